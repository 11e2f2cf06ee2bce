import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Catalog, openCatalog } from '../catalog/index.js';
import { catalogTargets, snapshotRecord, verificationRecord } from '../catalog/test-support.js';
import { isCairnError } from '../errors/index.js';
import { type Policy, parsePolicy } from '../policy/index.js';
import { type CoverageRow, coverage } from './coverage.js';

const NOW = new Date('2026-11-20T12:00:00.000Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString();
const HOUR = 3_600_000;

const item = (name: string, tier: string, environment?: string) =>
  `  - { name: ${name}, owner: t@example.com, tier: "${tier}",${environment ? ` environment: ${environment},` : ''} sources: [{ files: { root: src } }] }`;

const POLICY = `version: 1
tiers:
  0: { rpo: 1h, keep: { last: 5 } }
  1: { rpo: 1d, keep: { last: 5 } }
  2: { keep: { last: 5 } }
environments:
  prod: {}
  staging: {}
items:
${item('fresh', '0', 'prod')}
${item('stale', '0', 'prod')}
${item('verified', '0', 'prod')}
${item('missing', '1', 'prod')}
${item('norpo', '2', 'prod')}
${item('waived', '0', 'staging')}
${item('lapsed', '1', 'staging')}
${item('waived-ok', '0', 'staging')}
${item('global', '1')}
exceptions:
  - { item: waived, reason: "migrating", acceptedBy: [cto@acme.example], ticket: CHG-1, expires: 2026-11-20 }
  - { item: waived, reason: "older", acceptedBy: [cto@acme.example], ticket: CHG-0, expires: 2026-10-01 }
  - { item: lapsed, reason: "was migrating", acceptedBy: [cto@acme.example, ciso@acme.example], ticket: CHG-2, expires: 2026-11-19 }
  - { item: waived-ok, reason: "just in case", acceptedBy: [cto@acme.example], ticket: CHG-3, expires: 2027-01-01 }
  - { item: mainframe, reason: "not backed up by decision", acceptedBy: [cto@acme.example], ticket: CHG-4, expires: 2027-06-30 }
  - { item: old-box, reason: "was to be retired", acceptedBy: [cto@acme.example], ticket: CHG-5, expires: 2026-01-31 }
`;

function policy(): Policy {
  const loaded = parsePolicy(POLICY, '/nonexistent/cairn.yaml', { now: NOW, expiredExceptions: 'warning' });
  const errors = loaded.issues.filter((i) => i.severity === 'error');
  assert.deepEqual(errors, []);
  return loaded.policy;
}

async function seed(catalog: Catalog): Promise<Record<string, string>> {
  const ids: Record<string, string> = {};
  const put = async (name: string, environment: string | null, time: string, fields = {}) => {
    const s = snapshotRecord({ item: name, environment, time, ...fields });
    await catalog.putSnapshot(s);
    ids[name] = s.id;
    return s;
  };
  await put('fresh', 'prod', ago(2 * HOUR));
  await put('fresh', 'prod', ago(30 * 60_000)); // the newest counts
  await put('stale', 'prod', ago(HOUR + 1));
  await put('stale', 'prod', ago(10 * 60_000), { status: 'partial' }); // not complete: does not count
  const v = await put('verified', 'prod', ago(5 * HOUR));
  const verification = verificationRecord(v, { time: ago(20 * 60_000) });
  await catalog.putVerification(verification);
  ids['verified:verification'] = verification.id;
  await put('norpo', 'prod', ago(400 * HOUR));
  await put('waived', 'staging', ago(3 * HOUR));
  await put('waived-ok', 'staging', ago(60_000));
  await put('global', null, ago(2 * HOUR));
  await put('missing', 'staging', ago(60_000)); // another environment's capture is not prod's
  await put('old-box', 'prod', ago(900 * HOUR));
  return ids;
}

for (const target of catalogTargets) {
  describe(`coverage (${target.dialect})`, () => {
    it('gives one row per environment × item with every status, exceptions included', async (t) => {
      const { options, remove } = await target.fresh();
      const catalog = await openCatalog(options);
      t.after(async () => {
        await catalog.close();
        await remove();
      });
      const ids = await seed(catalog);
      await catalog.health.recordOutcome({ item: 'stale', environment: 'prod', ok: false, at: ago(HOUR), error: 'x' });
      await catalog.health.recordOutcome({
        item: 'stale',
        environment: 'prod',
        ok: false,
        at: ago(HOUR / 2),
        error: 'y',
      });
      await catalog.health.recordOutcome({ item: 'stale', environment: 'staging', ok: false, at: ago(HOUR) });

      const report = await coverage(catalog, policy(), NOW);
      const by = (name: string) => report.rows.find((r) => r.item === name) as CoverageRow;
      assert.equal(report.at, NOW.toISOString());
      assert.deepEqual(
        report.rows.map((r) => [r.environment, r.item, r.status]),
        [
          ['prod', 'fresh', 'ok'],
          ['prod', 'missing', 'never'],
          ['prod', 'norpo', 'no-rpo'],
          ['prod', 'stale', 'out-of-rpo'],
          ['prod', 'verified', 'ok'],
          ['staging', 'lapsed', 'exception-expired'],
          ['staging', 'waived', 'excepted'],
          ['staging', 'waived-ok', 'ok'],
          [null, 'global', 'ok'],
          [null, 'mainframe', 'excepted'],
          [null, 'old-box', 'exception-expired'],
        ],
      );
      assert.deepEqual(
        { ...by('fresh') },
        {
          environment: 'prod',
          item: 'fresh',
          tier: '0',
          rpoMs: HOUR,
          lastSnapshotId: ids.fresh,
          lastCaptureAt: ago(30 * 60_000),
          ageMs: 30 * 60_000,
          status: 'ok',
          consecutiveFailures: 0,
          lastCaptureId: ids.fresh,
          lastCaptureKind: 'snapshot',
        },
      );
      assert.equal(by('stale').ageMs, HOUR + 1);
      assert.equal(by('stale').consecutiveFailures, 2, "prod's streak, not staging's");
      assert.equal(by('verified').lastSnapshotId, ids.verified);
      assert.equal(by('verified').lastCaptureId, ids['verified:verification']);
      assert.equal(by('verified').lastCaptureKind, 'verification');
      assert.equal(by('verified').ageMs, 20 * 60_000);
      assert.equal(by('missing').ageMs, null);
      assert.equal(by('missing').lastSnapshotId, null);
      assert.equal(by('norpo').rpoMs, null);
      // An exception expiring today is still valid today; of two, the active one counts.
      assert.deepEqual(by('waived').exception, {
        reason: 'migrating',
        ticket: 'CHG-1',
        expires: '2026-11-20',
        acceptedBy: ['cto@acme.example'],
      });
      assert.equal(by('lapsed').exception?.ticket, 'CHG-2');
      assert.equal(by('waived-ok').exception?.ticket, 'CHG-3', 'shown even where not needed');
      assert.equal(by('mainframe').tier, null);
      assert.equal(by('mainframe').lastCaptureAt, null);
      assert.equal(by('old-box').lastSnapshotId, ids['old-box'], 'its newest capture in any environment');
      assert.equal(report.total, 11);
      assert.equal(report.outOfRpo, 2);
      assert.equal(report.covered, 5);
      assert.equal(report.failing, 4);
    });

    it('filters one environment and refuses an unknown one', async (t) => {
      const { options, remove } = await target.fresh();
      const catalog = await openCatalog(options);
      t.after(async () => {
        await catalog.close();
        await remove();
      });
      await seed(catalog);
      const staging = await coverage(catalog, policy(), NOW, { environment: 'staging' });
      assert.deepEqual(
        staging.rows.map((r) => r.item),
        ['lapsed', 'waived', 'waived-ok'],
      );
      await assert.rejects(
        coverage(catalog, policy(), NOW, { environment: 'prdo' }),
        (e) => isCairnError(e, 'CAIRN_E_USAGE') && /unknown environment "prdo".*prod, staging/.test(e.message),
      );
      const empty = await coverage(catalog, { ...policy(), items: [], exceptions: [] }, NOW);
      assert.deepEqual(empty, { at: NOW.toISOString(), rows: [], outOfRpo: 0, covered: 0, total: 0, failing: 0 });
    });
  });
}
