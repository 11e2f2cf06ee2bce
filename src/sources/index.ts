/**
 * sources/ — where an item's configuration is read from. Each source yields entries (path, mode,
 * times, size, and a path to read or the bytes). Sources know nothing of repositories or catalogs.
 * Built: files (a folder walked), git (a ref's tree), dotenv (one file), command (its stdout), http
 * (a GET's body, checked to parse), postgres (settings, roles and grants, extensions). ssh is parsed
 * by the policy but not built. Content sources give bytes with times 0, so change detection goes by content.
 * Also here: runProcess, the process-group runner the restore targets use as well.
 */
import { CairnError } from '../errors/index.js';
import type { Source } from '../policy/index.js';
import { runCommandSource } from './command-source.js';
import { readDotenv } from './dotenv-source.js';
import { type PathFilter, walkFiles } from './files-source.js';
import { readGitSource } from './git-source.js';
import { fetchHttpSource } from './http-source.js';
import { readPostgres } from './postgres-source.js';
import type { CollectOptions, SourceResult } from './types.js';

export { redactUrl, scrub, tail } from './content.js';
export type { PathFilter } from './files-source.js';
export { defaultGitCache } from './git-source.js';
export { describeFetchError, parseProblem, resolveHeaders } from './http-source.js';
export { sourceLabel } from './label.js';
export { stableJson } from './postgres-source.js';
export { type ProcessOutcome, type ProcessRun, passEnv, runProcess } from './run-process.js';
export type { CollectOptions, SourceEntry, SourceResult, Unreadable } from './types.js';

export async function collectSource(
  source: Source,
  filterFor: (source: Source) => PathFilter,
  item: string,
  opts: CollectOptions = {},
): Promise<SourceResult> {
  switch (source.kind) {
    case 'files':
      return walkFiles(source, filterFor(source), item);
    case 'git':
      return readGitSource(source, filterFor(source), item, opts);
    case 'dotenv':
      return readDotenv(source, item);
    case 'command':
      return runCommandSource(source, item, opts);
    case 'http':
      return fetchHttpSource(source, item, opts);
    case 'postgres':
      return readPostgres(source, item, opts);
    default:
      throw new CairnError(
        'CAIRN_E_NOT_IMPLEMENTED',
        `item ${item}: sources of kind '${source.kind}' are not built yet; files, git, dotenv, command, http and postgres work`,
        { item, kind: source.kind },
      );
  }
}
