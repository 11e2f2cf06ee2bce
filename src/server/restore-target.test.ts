import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isCairnError } from '../errors/index.js';
import { buildServer } from './build-server.js';
import { allowedRestoreTarget } from './restore-target.js';
import { fakeDeps, tokenFor } from './test-support.js';

describe('restore targets', () => {
  let dir: string;
  let root: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cairn-restore-target-'));
    root = join(dir, 'restore');
    await mkdir(join(root, 'inside'), { recursive: true });
    await mkdir(join(dir, 'outside'));
    await symlink(join(dir, 'outside'), join(root, 'escape'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const refused = (code: string) => (err: unknown) => isCairnError(err) && err.code === code;

  it('allows the root, anything below it (existing or not), and the item directory exactly', async () => {
    assert.equal(await allowedRestoreTarget(root, [root], null), root);
    assert.equal(await allowedRestoreTarget(join(root, 'inside'), [root], null), join(root, 'inside'));
    assert.equal(await allowedRestoreTarget(join(root, 'new', 'deeper'), [root], null), join(root, 'new', 'deeper'));
    const itemDir = join(dir, 'outside', 'app');
    assert.equal(await allowedRestoreTarget(itemDir, [root], itemDir), itemDir);
  });

  it('refuses paths outside, climbing out with .., through a symlink, or sharing only a prefix', async () => {
    const forbidden = refused('CAIRN_E_FORBIDDEN');
    await assert.rejects(allowedRestoreTarget(join(dir, 'outside'), [root], null), forbidden);
    await assert.rejects(allowedRestoreTarget(join(root, '..', 'outside'), [root], null), forbidden);
    await assert.rejects(allowedRestoreTarget(join(root, 'escape', 'x'), [root], null), forbidden);
    await assert.rejects(allowedRestoreTarget(`${root}-evil`, [root], null), forbidden);
    await assert.rejects(
      allowedRestoreTarget(join(dir, 'outside', 'app', 'sub'), [root], join(dir, 'outside', 'app')),
      forbidden,
    );
    await assert.rejects(allowedRestoreTarget('/etc', [], null), forbidden);
    await assert.rejects(allowedRestoreTarget('relative/dir', [root], null), refused('CAIRN_E_USAGE'));
  });

  it('refuses a restore route outside the allowed places with 403 before restoring, audited as denied', async () => {
    const deps = fakeDeps();
    const app = await buildServer(deps, { logger: false, restoreRoots: [root] });
    const post = (target: string) =>
      app.inject({
        method: 'POST',
        url: '/api/v1/restore',
        headers: { authorization: `Bearer ${tokenFor('restorer')}` },
        payload: { release: '2.4.1', item: 'payments-api-prod', target },
      });
    const res = await post('/etc/cron.d');
    assert.equal(res.statusCode, 403);
    assert.equal(res.json().error.code, 'CAIRN_E_FORBIDDEN');
    assert.deepEqual(deps.backend.calls, ['resolveRestore']);
    const events = deps.audit.events.map((e) => e.result);
    assert.deepEqual(events, ['allowed', 'denied']);
    assert.equal((await post(join(root, 'inside'))).statusCode, 200);
    assert.deepEqual(deps.backend.calls, ['resolveRestore', 'resolveRestore', 'restore']);
    const both = await app.inject({
      method: 'POST',
      url: '/api/v1/restore',
      headers: { authorization: `Bearer ${tokenFor('restorer')}` },
      payload: { snapshot: 'abcd', release: '2.4.1', target: root },
    });
    assert.equal(both.statusCode, 400);
    await app.close();
  });
});
