import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ThreadPool } from './thread-pool.js';

describe('thread pool', () => {
  it('refuses calls when its worker module cannot be loaded, instead of waiting for ever', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cairn-pool-'));
    try {
      const pool = new ThreadPool('no-such-worker', pathToFileURL(join(dir, 'base.js')).href, null, 2);
      await assert.rejects(pool.call(0, { x: 1 }), /worker thread .*no-such-worker\.js (failed|stopped)/);
      // Later calls are refused at once, on every thread.
      await assert.rejects(pool.call(1, { x: 2 }), /no-such-worker/);
      await pool.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses calls once a worker has exited on its own', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cairn-pool-'));
    try {
      writeFileSync(join(dir, 'quits.js'), 'process.exit(3);\n');
      const pool = new ThreadPool('quits', pathToFileURL(join(dir, 'base.js')).href, null, 1);
      await assert.rejects(pool.call(0, {}), /stopped \(exit code 3\)/);
      await pool.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
