import { CairnError } from '../errors/index.js';
import type { SourceEntry } from './types.js';

/**
 * An entry whose bytes a source produced. Times and inode are 0 so a snapshot never takes it as
 * unchanged by its metadata: change detection goes by content.
 */
export function contentEntry(path: string, content: Buffer, mode = 0o644): SourceEntry {
  return { path, type: 'file', mode, mtime: 0, ctime: 0, ino: 0, size: content.length, content };
}

/** A folder entry of a content source (fixed mode and time: deterministic snapshots). */
export function dirEntry(path: string): SourceEntry {
  return { path, type: 'dir', mode: 0o755, mtime: 0, ctime: 0, ino: 0, size: 0 };
}

/** CAIRN_E_SOURCE naming the item and what was read (`label` is already free of credentials). */
export function sourceError(
  item: string,
  label: string,
  problem: string,
  details: Record<string, unknown> = {},
): CairnError {
  return new CairnError('CAIRN_E_SOURCE', `item ${item}: ${label}: ${problem}`, { item, source: label, ...details });
}

/** A URL fit for messages: the password in the userinfo and `password`/`token` query values become ***. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    for (const key of [...u.searchParams.keys()]) {
      if (/pass|token|secret|key/i.test(key)) u.searchParams.set(key, '***');
    }
    return u.toString();
  } catch {
    return url.replace(/\/\/([^/:@]*):[^@/]*@/, '//$1:***@');
  }
}

/** text with every secret given replaced by ***. */
export function scrub(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 3) out = out.split(s).join('***');
  return out;
}

/** The last `lines` non-empty lines of a process's stderr, for messages. */
export function tail(text: string, lines = 5): string {
  const kept = text.trim().split('\n').slice(-lines).join('\n').trim();
  return kept.length > 2000 ? `…${kept.slice(-2000)}` : kept;
}

/** The decoded password of a URL's userinfo, to scrub from messages. */
export function passwordOf(url: string): string | undefined {
  try {
    const p = new URL(url).password;
    return p ? decodeURIComponent(p) : undefined;
  } catch {
    return undefined;
  }
}
