import { basename } from 'node:path';
import { type ContentFormat, type Item, makePathFilter, type Policy } from '../policy/index.js';
import {
  type CollectOptions,
  collectSource,
  type SourceEntry,
  type SourceResult,
  type Unreadable,
} from '../sources/index.js';

/**
 * An item's entries as a snapshot stores them: each source collected with the policy's filters, and
 * with several sources each under a folder of its own named by position and root. `snapshot` and
 * `drift` both collect through here, so a live state and a snapshot's tree line up path for path.
 */
export interface ItemEntries {
  readonly entries: SourceEntry[];
  readonly unreadable: Unreadable[];
  /** The declared format of content-source files (command, http), by path: how drift compares them. */
  readonly formats: ReadonlyMap<string, ContentFormat>;
}

type Source = Item['sources'][number];

export async function collectItemEntries(policy: Policy, item: Item, opts: CollectOptions = {}): Promise<ItemEntries> {
  const filterFor = (source: Source) =>
    source.kind === 'files' || source.kind === 'git'
      ? makePathFilter([...source.include], [...policy.exclude, ...source.exclude])
      : () => true;
  const results: SourceResult[] = [];
  // One after another: a source may be a command or a request, and order keeps messages readable.
  for (const s of item.sources) results.push(await collectSource(s, filterFor, item.name, opts));
  const formats = new Map<string, ContentFormat>();
  const formatOf = (src: Source) => (src.kind === 'command' || src.kind === 'http' ? src.format : undefined);
  if (results.length === 1) {
    const only = results[0]!;
    const format = formatOf(item.sources[0]!);
    if (format) for (const e of only.entries) if (e.type === 'file') formats.set(e.path, format);
    return { entries: only.entries, unreadable: [...only.unreadable], formats };
  }
  const entries: SourceEntry[] = [];
  const unreadable: Unreadable[] = [];
  results.forEach((r, i) => {
    const src = item.sources[i]!;
    const dir = sourceFolder(src, i);
    const format = formatOf(src);
    entries.push({ path: dir, type: 'dir', mode: 0o755, mtime: 0, ctime: 0, ino: 0, size: 0 });
    for (const e of r.entries) {
      entries.push({ ...e, path: `${dir}/${e.path}` });
      if (format && e.type === 'file') formats.set(`${dir}/${e.path}`, format);
    }
    for (const u of r.unreadable) unreadable.push({ ...u, path: `${dir}/${u.path}` });
  });
  return { entries, unreadable, formats };
}

/** The folder a source's entries go under when an item has several. */
export function sourceFolder(src: Source, index: number): string {
  return `${index}-${src.kind === 'files' ? basename(src.root) : src.kind}`;
}
