import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Writes data to a new, uniquely named file in tmpDir and makes it durable before returning its
 * path, so the caller can give it its final name with link or rename. Nothing is left on failure.
 */
export async function writeTempFile(tmpDir: string, data: Uint8Array | string, mode: number): Promise<string> {
  const tmp = join(tmpDir, randomBytes(16).toString('hex'));
  // Durable directories: the first write into a new repository also creates its root.
  await makeParentDirs(tmp);
  const handle = await fs.open(tmp, 'wx', 0o600);
  try {
    try {
      await handle.writeFile(data);
      // The mode is set before the file gets its final name, so it is never writable under that name.
      await handle.chmod(mode);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  return tmp;
}

/** mkdir -p for a file's directory; every directory it creates is made durable in its parent. */
export async function makeParentDirs(file: string): Promise<void> {
  const dir = dirname(file);
  const firstCreated = await fs.mkdir(dir, { recursive: true });
  if (firstCreated === undefined) return;
  const stop = dirname(firstCreated);
  for (let d = dirname(dir); ; d = dirname(d)) {
    await syncDirectory(d);
    if (d === stop || d === dirname(d)) break;
  }
}

/** A new directory entry survives a crash only once its directory has been fsynced. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
