import { type Dirent, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { errnoCode } from '../../errors/index.js';

type OnFile = (key: string, path: string) => void;

/**
 * Calls onFile for every regular file under root whose key (its slash-separated path relative to
 * root) starts with prefix. Only the directories the prefix can reach are read, synchronously:
 * listing 100k objects through the promise API costs several times more for no gain here.
 */
export function walkKeys(root: string, prefix: string, skipTopLevel: ReadonlySet<string>, onFile: OnFile): void {
  const cut = prefix.lastIndexOf('/');
  const dirKey = prefix.slice(0, cut + 1);
  const namePrefix = prefix.slice(cut + 1);
  if (dirKey !== '' && skipTopLevel.has(dirKey.slice(0, dirKey.indexOf('/')))) return;
  const startDir = dirKey === '' ? root : join(root, dirKey);
  for (const entry of readEntries(startDir)) {
    if (!entry.name.startsWith(namePrefix)) continue;
    if (dirKey === '' && skipTopLevel.has(entry.name)) continue;
    visit(join(startDir, entry.name), dirKey + entry.name, entry, onFile);
  }
}

function visit(path: string, key: string, entry: Dirent, onFile: OnFile): void {
  if (entry.isFile()) {
    onFile(key, path);
  } else if (entry.isDirectory()) {
    for (const child of readEntries(path)) visit(join(path, child.name), `${key}/${child.name}`, child, onFile);
  }
}

/** Entries of dir, without hidden ones; a directory removed meanwhile simply has none. */
function readEntries(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((e) => !e.name.startsWith('.'));
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw err;
  }
}
