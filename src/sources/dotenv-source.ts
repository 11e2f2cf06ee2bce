import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { errnoCode, isCairnError } from '../errors/index.js';
import type { DotenvSource } from '../policy/index.js';
import { contentEntry, sourceError } from './content.js';
import { sourceLabel } from './label.js';
import type { SourceResult } from './types.js';

/**
 * One .env file, stored under its own name. Its permission bits are kept (a .env is often 0600);
 * secret-shaped values are the snapshot's business: the item's `secrets` mode refuses, redacts or encrypts them.
 */
export function readDotenv(source: DotenvSource, item: string): SourceResult {
  const label = sourceLabel(source);
  let content: Buffer;
  let mode: number;
  try {
    const st = statSync(source.path);
    if (!st.isFile()) throw sourceError(item, label, 'is not a file', { kind: 'dotenv', path: source.path });
    mode = st.mode & 0o777;
    content = readFileSync(source.path);
  } catch (err) {
    if (isCairnError(err)) throw err;
    throw sourceError(item, label, `cannot be read (${errnoCode(err) ?? String(err)})`, {
      kind: 'dotenv',
      path: source.path,
    });
  }
  return { entries: [contentEntry(basename(source.path), content, mode)], unreadable: [] };
}
