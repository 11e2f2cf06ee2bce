import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { ROOT, scratch } from './helpers.js';

it('the README quickstart runs end to end on the shipped example', () => {
  const dir = join(scratch('cairn-qs-'), 'qs');
  const r = spawnSync('bash', [join(ROOT, 'examples', 'quickstart.sh')], {
    env: { ...process.env, CAIRN_QUICKSTART_DIR: dir, CAIRN_QUICKSTART_SERVE: '0', CAIRN_QUICKSTART_PORT: '0' },
    encoding: 'utf8',
    timeout: 180_000,
  });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /identical: the restore brought back 1\.0\.0 byte for byte/);
  assert.match(r.stdout, /-\s+replicas: 6\n\+\s+replicas: 8/);
  assert.match(r.stdout, /no errors found/);
  assert.match(r.stdout, /gate PASSED: release 1\.2\.0 in prod \(4 items\)/);
  assert.match(r.stdout, /rollback R-\d{8}-[a-z2-7]{6}: completed\n\s+payments-api-prod: verified/);
  assert.match(r.stdout, /rolled back: prod is in its pre-deploy state again/);
  // The server part: a viewer reads through the API, is refused a snapshot, and the CLI works through it.
  assert.match(r.stdout, /cairn serve is listening on http:\/\/127\.0\.0\.1:\d+/);
  assert.match(r.stdout, /\n\d+ snapshots\n/);
  assert.match(r.stdout, /HTTP 403/);
  assert.match(r.stdout, /the server has been stopped/);
  // ...and it has: no server is left running after the script.
  const { pid } = JSON.parse(readFileSync(join(dir, 'serve.json'), 'utf8')) as { pid: number };
  assert.throws(() => process.kill(pid, 0), /ESRCH/, `cairn serve (pid ${pid}) is still running`);
});
