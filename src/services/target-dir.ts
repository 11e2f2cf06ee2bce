import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  fchmodSync,
  futimesSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { CairnError, errnoCode } from '../errors/index.js';

/**
 * Writes restored entries under one folder and nowhere else: every folder on the way is checked to
 * be a real folder (never a symlink planted in the target), each file is written to a temporary
 * name, checked against its SHA-256, and only then renamed into place.
 */
export class TargetDir {
  private readonly dirs = new Set<string>(['']);

  constructor(readonly root: string) {}

  static isEmptyOrMissing(root: string): boolean {
    try {
      return readdirSync(root).length === 0;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return true;
      if (errnoCode(err) === 'ENOTDIR') throw new CairnError('CAIRN_E_USAGE', `restore target ${root} is not a folder`);
      throw err;
    }
  }

  prepare(): void {
    mkdirSync(this.root, { recursive: true });
  }

  ensureDir(rel: string): void {
    if (this.dirs.has(rel)) return;
    const parts = rel.split('/');
    let cur = '';
    for (const part of parts) {
      cur = cur ? `${cur}/${part}` : part;
      if (this.dirs.has(cur)) continue;
      const abs = join(this.root, cur);
      try {
        const st = lstatSync(abs);
        if (!st.isDirectory()) {
          throw new CairnError(
            'CAIRN_E_UNSAFE_PATH',
            `${abs} exists and is not a folder (${st.isSymbolicLink() ? 'a symlink' : 'a file'}); refusing to write through it`,
            { path: abs },
          );
        }
      } catch (err) {
        if (errnoCode(err) !== 'ENOENT') throw err;
        mkdirSync(abs, { mode: 0o700 });
      }
      this.dirs.add(cur);
    }
  }

  /** Writes chunks to a temporary file; renames it into place only if the SHA-256 matches. */
  writeFile(rel: string, chunks: Iterable<Uint8Array>, sha256: string, mode: number, mtime: number): void {
    const slash = rel.lastIndexOf('/');
    const dir = slash < 0 ? '' : rel.slice(0, slash);
    const name = rel.slice(slash + 1);
    if (dir) this.ensureDir(dir);
    const tmp = join(this.root, dir, `.${name}.cairn-${randomBytes(6).toString('hex')}`);
    const fd = openSync(tmp, 'wx', 0o600);
    const hash = createHash('sha256');
    try {
      for (const c of chunks) {
        hash.update(c);
        let off = 0;
        while (off < c.length) off += writeSync(fd, c, off, c.length - off);
      }
      fchmodSync(fd, mode & 0o7777);
      const t = mtime / 1000;
      futimesSync(fd, t, t);
    } catch (err) {
      closeSync(fd);
      unlinkSync(tmp);
      throw err;
    }
    closeSync(fd);
    const got = hash.digest('hex');
    if (got !== sha256) {
      unlinkSync(tmp);
      throw new CairnError(
        'CAIRN_E_INTEGRITY',
        `${rel}: restored content does not match its SHA-256 (${got.slice(0, 12)} ≠ ${sha256.slice(0, 12)})`,
        { path: rel },
      );
    }
    const final = join(this.root, rel);
    try {
      renameSync(tmp, final);
    } catch (err) {
      unlinkSync(tmp);
      if (errnoCode(err) === 'EISDIR' || errnoCode(err) === 'ENOTEMPTY') {
        throw new CairnError(
          'CAIRN_E_TARGET_NOT_EMPTY',
          `${final} is a folder in the target; cannot replace it with a file`,
        );
      }
      throw err;
    }
  }

  symlink(rel: string, target: string): void {
    const slash = rel.lastIndexOf('/');
    if (slash > 0) this.ensureDir(rel.slice(0, slash));
    const abs = join(this.root, rel);
    try {
      const st = lstatSync(abs);
      if (st.isDirectory()) {
        // Never delete a folder's contents to make room for a link: the same rule as for files.
        throw new CairnError(
          'CAIRN_E_TARGET_NOT_EMPTY',
          `${abs} is a folder in the target; cannot replace it with a symlink`,
        );
      }
      unlinkSync(abs);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
    symlinkSync(target, abs);
  }

  finishDir(rel: string, mode: number, mtime: number): void {
    const abs = join(this.root, rel);
    chmodSync(abs, mode & 0o7777);
    const t = mtime / 1000;
    utimesSync(abs, t, t);
  }
}
