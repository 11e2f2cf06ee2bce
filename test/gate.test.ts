/**
 * `evaluateGate` against a real repository and catalog: a release never captured fails for every
 * item; captured and unchanged passes; an edit after the capture fails as drift; a failing `requires`
 * rule fails; a capture whose pack is gone fails as not intact; an unknown environment is a usage error.
 */
import assert from 'node:assert/strict';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isCairnError } from '../src/errors/index.js';
import { packKey } from '../src/repo/index.js';
import { evaluateGate } from '../src/services/index.js';
import { type World, world } from './drift-support.js';

const item = (name: string, env: string, root: string, extra = '') => `  - name: ${name}
    owner: team@example.com
    tier: 2
    environment: ${env}
    sources:
      - files: { root: ${root} }
${extra}`;

const policy = (dir: string) => `version: 1
tiers:
  2: { keep: { last: 5 } }
environments:
  prod: {}
  staging: {}
  dr: {}
items:
${item('api', 'prod', join(dir, 'src/api'), '    drift: { ignoreLines: ["^# built"] }\n')}
${item('flags', 'prod', join(dir, 'src/flags'))}
${item('web', 'staging', join(dir, 'src/web'), `    version: { file: ${join(dir, 'src/web/VERSION')} }\n    requires: [{ item: db, version: ">=14" }]\n`)}
${item('db', 'staging', join(dir, 'src/db'), `    version: { file: ${join(dir, 'src/db/VERSION')} }\n`)}
${item('vault', 'dr', join(dir, 'src/vault'))}
`;

const files = {
  'src/api/api.conf': '# built 10:00\nport = 8080\n',
  'src/api/deploy.yaml': 'replicas: 3\n',
  'src/flags/flags.json': '{"newCheckout": false}\n',
  'src/web/VERSION': '2.0.0\n',
  'src/web/web.conf': 'workers = 4\n',
  'src/db/VERSION': '13.2\n',
  'src/db/postgresql.conf': 'max_connections = 100\n',
  'src/vault/vault.hcl': 'storage "raft" {}\n',
};

describe('release gate', () => {
  let w: World;
  before(async () => {
    w = await world(policy, files);
  });
  after(() => w.close());

  it('fails a release never captured, explaining each item, without erroring', async () => {
    const r = await evaluateGate(w.session, w.policy, { environment: 'prod', release: '9.9.9' });
    assert.equal(r.passed, false);
    assert.deepEqual(r.failed, [
      'api: no pre-deploy snapshot for release 9.9.9 in prod',
      'flags: no pre-deploy snapshot for release 9.9.9 in prod',
    ]);
    assert.deepEqual(
      r.items.map((i) => [i.item, i.snapshot, i.checks.map((c) => `${c.name}:${c.ok}`)]),
      [
        ['api', null, ['captured:false']],
        ['flags', null, ['captured:false']],
      ],
    );
  });

  it('passes when every item has an intact pre-deploy capture of its current state', async () => {
    await w.capture('prod', '2.4.1');
    const r = await evaluateGate(w.session, w.policy, { environment: 'prod', release: '2.4.1' });
    assert.deepEqual(r.failed, []);
    assert.equal(r.passed, true);
    for (const i of r.items)
      assert.deepEqual(
        i.checks.map((c) => `${c.name}:${c.ok}`),
        ['captured:true', 'intact:true', 'current:true'],
      );
  });

  it('a capture recorded as a verification of an earlier snapshot counts too', async () => {
    await w.capture('prod', '2.4.2');
    const r = await evaluateGate(w.session, w.policy, { environment: 'prod', release: '2.4.2' });
    assert.equal(r.passed, true, r.failed.join('\n'));
    assert.ok(r.items.every((i) => i.verification !== null));
  });

  it('an ignored line edited after the capture still passes; a real edit fails as drift', async () => {
    w.edit('src/api/api.conf', '# built 11:00\nport = 8080\n');
    assert.equal((await evaluateGate(w.session, w.policy, { environment: 'prod', release: '2.4.1' })).passed, true);
    w.edit('src/api/deploy.yaml', 'replicas: 5\n');
    w.write('src/flags/extra.json', '{}\n');
    const r = await evaluateGate(w.session, w.policy, { environment: 'prod', release: '2.4.1' });
    assert.equal(r.passed, false);
    assert.equal(r.failed.length, 2, r.failed.join('\n'));
    assert.match(r.failed[0]!, /^api: live state differs from snapshot [0-9a-f]{12} in 1 file \(deploy\.yaml\)$/);
    assert.match(r.failed[1]!, /^flags: live state differs from snapshot [0-9a-f]{12} in 1 file \(extra\.json\)$/);
  });

  it('fails when a requires rule does not hold over the captures', async () => {
    await w.capture('staging', '3.0.0');
    const r = await evaluateGate(w.session, w.policy, { environment: 'staging', release: '3.0.0' });
    assert.equal(r.passed, false);
    assert.equal(r.failed.length, 1, r.failed.join('\n'));
    assert.match(r.failed[0]!, /^web\b.*requires db >=14.*13\.2/);
    const web = r.items.find((i) => i.item === 'web')!;
    assert.deepEqual(web.checks.at(-1)!.name, 'requirements');
    assert.equal(web.checks.at(-1)!.ok, false);
    assert.equal(r.requirements.filter((q) => !q.ok).length, 1);
  });

  it('fails a capture whose pack was deleted: not intact', async () => {
    await w.capture('dr', '1.0.0');
    const [hit] = await w.session.catalog.findSnapshots({ item: ['vault'], limit: 1 });
    await w.session.repo.loadIndex();
    const loc = w.session.repo.index.find(hit!.tree)!;
    rmSync(join(w.dir, 'repo', packKey(loc.pack)));
    const r = await evaluateGate(w.session, w.policy, { environment: 'dr', release: '1.0.0' });
    assert.equal(r.passed, false);
    assert.equal(r.failed.length, 1);
    assert.match(r.failed[0]!, /^vault: pre-deploy snapshot [0-9a-f]{12} is not intact: /);
    assert.ok(readdirSync(join(w.dir, 'repo', 'packs')).length > 0, 'other packs stay');
  });

  it('refuses an unknown environment as a usage error', async () => {
    await assert.rejects(
      evaluateGate(w.session, w.policy, { environment: 'qa', release: '1.0.0' }),
      (e) => isCairnError(e, 'CAIRN_E_USAGE') && /no environment qa/.test(e.message),
    );
  });
});
