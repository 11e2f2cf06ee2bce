/**
 * A snapshot large enough to be hashed and sealed on worker threads (more than 8 MiB to read), through the
 * built CLI: the bundle must find its worker modules wherever the code that starts them ended up.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fixture } from './helpers.js';

test('a snapshot of 12 MiB runs on worker threads in the bundle and restores byte for byte', () => {
  const f = fixture();
  const files = Array.from({ length: 12 }, (_, i) => f.write(`src/prod/blob-${i}.bin`, randomBytes(1024 * 1024)));
  const snap = f.cli(['snapshot', '--item', 'app-prod', '--json']);
  assert.equal(snap.code, 0, snap.stdout + snap.stderr);
  const id = snap.json<{ snapshots: Array<{ id: string; status: string }> }>().snapshots[0]!;
  assert.equal(id.status, 'created');
  const target = join(f.dir, 'restored');
  const restored = f.cli(['restore', id.id, '--target', target, '--json']);
  assert.equal(restored.code, 0, restored.stdout + restored.stderr);
  files.forEach((path, i) => {
    assert.ok(readFileSync(join(target, `blob-${i}.bin`)).equals(readFileSync(path)), `blob-${i}.bin`);
  });
});
