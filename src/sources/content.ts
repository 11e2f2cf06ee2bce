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

/**
 * A URL fit for messages: any userinfo (a password, or a token given as the user name) and
 * `password`/`token`/`secret`/`key` query values become ***. Only the literal user `git` (ssh
 * `git@host:org/repo`) stays readable. A keyword/value connection string (`host=db password=x`)
 * gets its password masked.
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username && u.username !== 'git') u.username = '***';
    if (u.password) u.password = '***';
    for (const key of [...u.searchParams.keys()]) {
      if (/pass|token|secret|key/i.test(key)) u.searchParams.set(key, '***');
    }
    return u.toString();
  } catch {
    return redactConninfo(
      url
        // scheme://user:pass@ and scheme://user@ (anything that did not parse as a URL)
        .replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/@\s]+)@/i, (_m, scheme: string, info: string) =>
          info === 'git' ? `${scheme}git@` : `${scheme}***@`,
        )
        // scp form user@host:path
        .replace(/^([^/:@\s]+)@([^/:\s]+:)/, (_m, user: string, host: string) =>
          user === 'git' ? `git@${host}` : `***@${host}`,
        ),
    );
  }
}

/** `password=…` of a libpq keyword/value string (`host=db password='a b'`) replaced by `password=***`. */
export function redactConninfo(text: string): string {
  return text.replace(/(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s'][^\s]*)/gi, '$1***');
}

/**
 * The credentials in a URL or keyword/value connection string, to scrub from messages (decoded and
 * as written): the password, or a user name other than `git` when it comes alone (a token), secret
 * query values, a `password=` value.
 */
export function secretsOf(url: string): string[] {
  const out = new Set<string>();
  const add = (v: string | undefined) => {
    if (!v) return;
    out.add(v);
    try {
      out.add(decodeURIComponent(v));
    } catch {
      // Not percent-encoded.
    }
  };
  try {
    const u = new URL(url);
    if (u.password) add(u.password);
    else if (u.username !== 'git') add(u.username);
    for (const [key, value] of u.searchParams) if (/pass|token|secret|key/i.test(key)) add(value);
  } catch {
    const info = /^(?:[a-z][a-z0-9+.-]*:\/\/)?([^/@\s]+)@/i.exec(url)?.[1];
    const colon = info?.indexOf(':') ?? -1;
    if (info && colon >= 0) add(info.slice(colon + 1));
    else if (info && info !== 'git') add(info);
    for (const m of url.matchAll(/\bpassword\s*=\s*('(?:[^'\\]|\\.)*'|[^\s'][^\s]*)/gi)) {
      add(m[1]!.replace(/^'|'$/g, ''));
    }
  }
  return [...out];
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
