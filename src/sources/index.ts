/**
 * sources/ — where an item's configuration is read from. Each source yields entries (path, mode,
 * times, size, and a path to read or the bytes). Sources know nothing of repositories or catalogs.
 * Built: files. Parsed by the policy but not built yet: git, dotenv, command, http, postgres, ssh.
 */
import { CairnError } from '../errors/index.js';
import type { Source } from '../policy/index.js';
import { type PathFilter, walkFiles } from './files-source.js';
import type { SourceResult } from './types.js';

export type { PathFilter } from './files-source.js';
export type { SourceEntry, SourceResult, Unreadable } from './types.js';

export function collectSource(source: Source, filterFor: (source: Source) => PathFilter, item: string): SourceResult {
  if (source.kind === 'files') return walkFiles(source, filterFor(source), item);
  throw new CairnError(
    'CAIRN_E_NOT_IMPLEMENTED',
    `item ${item}: sources of kind '${source.kind}' are not built yet (planned in issue 5); only 'files' sources work today`,
    { item, kind: source.kind },
  );
}
