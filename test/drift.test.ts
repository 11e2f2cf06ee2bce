/**
 * `driftCheck` / `compareLive` against a real repository and catalog: unchanged files are not read,
 * edits outside ignore rules are drift, edits inside them are not, deleted and added files are listed,
 * a command whose output carries a timestamp line does not cry wolf, and every check is recorded.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isCairnError } from '../src/errors/index.js';
import { driftCheck } from '../src/services/index.js';
import { type World, world } from './drift-support.js';

const policy = (dir: string) => `version: 1
tiers:
  2: { keep: { last: 5 } }
environments:
  prod: {}
  dev: {}
items:
  - name: app
    owner: team@example.com
    tier: 2
    environment: prod
    secrets: allow
    sources:
      - files: { root: ${join(dir, 'src/app')} }
    drift: { ignore: ["metadata.resourceVersion"], ignoreLines: ["^# generated at"] }
  - name: stamped
    owner: team@example.com
    tier: 2
    environment: prod
    sources:
      - command: { run: "printf 'generatedAt: %s\\\\nreplicas: 3\\\\n' \\"$(date +%s%N)\\"", file: out.yaml, format: yaml }
    drift: { ignoreLines: ["^generatedAt:"] }
  - name: never
    owner: team@example.com
    tier: 2
    environment: dev
    sources:
      - files: { root: ${join(dir, 'src/never')} }
`;

const files = {
  'src/app/deploy.yaml':
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  resourceVersion: "41"\ndata:\n  replicas: "3"\n',
  'src/app/app.conf': '# generated at 10:00\nport = 80\n',
  'src/app/nested/settings.json': '{"timeoutMs": 3000}\n',
  'src/never/a.conf': 'x = 1\n',
};

describe('drift against the latest snapshot', () => {
  let w: World;
  before(async () => {
    w = await world(policy, files);
    await w.capture('prod', '1.0.0');
  });
  after(() => w.close());

  it('finds no drift when nothing changed, without reading a single unchanged file', async () => {
    const report = await driftCheck(w.session, w.policy, { environment: 'prod' });
    assert.equal(report.drifted, false, JSON.stringify(report, null, 2));
    const app = report.items.find((i) => i.item === 'app')!;
    assert.deepEqual(app.changes, []);
    assert.equal(app.readFiles, 0, 'an unchanged file was read');
    // The command ran again: a new timestamp, ignored by ignoreLines.
    const stamped = report.items.find((i) => i.item === 'stamped')!;
    assert.equal(stamped.drifted, false, JSON.stringify(stamped));
    assert.equal(stamped.ignored, 1);
  });

  it('an edit only in an ignored key or line is not drift; it is counted as ignored', async () => {
    w.edit('src/app/deploy.yaml', files['src/app/deploy.yaml'].replace('"41"', '"42"'));
    w.edit('src/app/app.conf', '# generated at 11:30\nport = 80\n');
    const report = await driftCheck(w.session, w.policy, { environment: 'prod', items: ['app'] });
    const app = report.items[0]!;
    assert.equal(app.drifted, false, JSON.stringify(app));
    assert.equal(app.ignored, 2);
    assert.equal(app.readFiles, 2);
  });

  it('an edited key is drift, with the key named', async () => {
    w.edit('src/app/deploy.yaml', files['src/app/deploy.yaml'].replace('"3"', '"5"'));
    const report = await driftCheck(w.session, w.policy, { environment: 'prod', items: ['app'] });
    assert.equal(report.drifted, true);
    assert.deepEqual(report.items[0]!.changes, [
      { path: 'deploy.yaml', kind: 'modified', detail: ['~ data.replicas'] },
    ]);
    w.edit('src/app/deploy.yaml', files['src/app/deploy.yaml']);
  });

  it('lists deleted and added files', async () => {
    rmSync(join(w.dir, 'src/app/nested/settings.json'));
    w.write('src/app/extra.conf', 'new = 1\n');
    const report = await driftCheck(w.session, w.policy, { environment: 'prod', items: ['app'] });
    const changes = report.items[0]!.changes.map((c) => `${c.kind} ${c.path}`);
    assert.deepEqual(changes, ['added extra.conf', 'removed nested/settings.json']);
    w.write('src/app/nested/settings.json', files['src/app/nested/settings.json']);
    rmSync(join(w.dir, 'src/app/extra.conf'));
  });

  it('records every check; the latest per item is what GET /api/v1/drift shows', async () => {
    const latest = await w.session.catalog.drift.latestPerItem('prod');
    assert.deepEqual(
      latest.map((c) => c.item),
      ['app', 'stamped'],
    );
    const app = latest.find((c) => c.item === 'app')!;
    assert.equal(app.drifted, true);
    assert.deepEqual(
      app.changes.map((c) => c.path),
      ['extra.conf', 'nested/settings.json'],
    );
  });

  it('an item never captured is drift, saying so', async () => {
    const report = await driftCheck(w.session, w.policy, { environment: 'dev' });
    assert.equal(report.drifted, true);
    assert.equal(report.items[0]!.snapshot, null);
    assert.match(report.items[0]!.error!.message, /never captured/);
  });

  it('refuses an unknown environment or item as a usage error', async () => {
    await assert.rejects(
      driftCheck(w.session, w.policy, { environment: 'nope' }),
      (e) => isCairnError(e, 'CAIRN_E_USAGE') && /no environment nope/.test(e.message),
    );
    await assert.rejects(
      driftCheck(w.session, w.policy, { environment: 'prod', items: ['ghost'] }),
      (e) => isCairnError(e, 'CAIRN_E_USAGE') && /ghost/.test(e.message),
    );
  });
});
