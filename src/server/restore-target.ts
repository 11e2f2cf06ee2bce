import { realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { CairnError, errnoCode } from '../errors/index.js';

/**
 * Where a restore through the server may write: into or below one of the configured restore roots,
 * or exactly the item's own `restore.directory`. Paths are compared after resolving symbolic links
 * (of the part that exists), so a link inside a root cannot lead out of it. Returns the resolved
 * target, which is what the restore must use.
 */
export async function allowedRestoreTarget(
  target: string,
  roots: readonly string[],
  itemDirectory: string | null,
): Promise<string> {
  if (!isAbsolute(target))
    throw new CairnError('CAIRN_E_USAGE', `target ${target} must be an absolute path on the server`, {
      field: 'body.target',
    });
  const real = await realpathOfExisting(resolve(target));
  for (const root of roots) {
    const r = await realpathOfExisting(resolve(root));
    if (real === r || real.startsWith(r.endsWith(sep) ? r : r + sep)) return real;
  }
  if (itemDirectory && real === (await realpathOfExisting(resolve(itemDirectory)))) return real;
  const allowed = [...roots.map((r) => `${r}/…`), ...(itemDirectory ? [itemDirectory] : [])];
  throw new CairnError(
    'CAIRN_E_FORBIDDEN',
    `target ${target} is not a place this server restores to; allowed: ${allowed.join(', ') || 'none (no restore roots configured and the item has no restore.directory)'}`,
    { target, allowed },
  );
}

/** The real path of the longest existing prefix of `path`, with the rest appended. */
async function realpathOfExisting(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch (err) {
    const code = errnoCode(err);
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
    const parent = dirname(path);
    if (parent === path) return path;
    return join(await realpathOfExisting(parent), basename(path));
  }
}
