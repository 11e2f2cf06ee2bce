/**
 * `cairn coverage` and `cairn alerts` end to end (the bundled CLI on a local repository): coverage
 * rows and exit codes for never / ok / excepted / exception-expired / unknown environment; alerts
 * listed, shown, acknowledged and resolved with the deliveries going to a PagerDuty-style receiver
 * at once, refusals exiting 1, and a receiver that is down reported as pending.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AuditLog } from '../src/audit/index.js';
import type { AlertRecord } from '../src/catalog/index.js';
import { openCatalog } from '../src/catalog/index.js';
import { renderAlert, renderAlerts } from '../src/cli/commands/alerts.js';
import { startHookReceiver } from '../src/services/alerts/test-support.js';
import type { CoverageReport } from '../src/services/index.js';
import { AlertCenter } from '../src/services/index.js';
import { assertExit, cliAsync, jsonError } from './e2e.js';
import { fixture } from './helpers.js';
import { type PagerDutyReceiver, startPagerDutyReceiver } from './pagerduty-receiver.js';
import { localToken, startServe, until } from './serve-support.js';

const PD_KEY = 'R0UT1NGKEY0123456789ABCDEFGHIJKL';

function policy(pdUrl: string, exceptions: readonly string[] = []): string {
  return `version: 1
governance:
  retentionClasses:
    short: { keep: 0d }
tiers:
  0: { retentionClass: short, rpo: 1h, keep: { last: 2 } }
environments:
  prod: {}
  dev: {}
items:
  - { name: app-prod, owner: team@example.com, tier: "0", environment: prod, sources: [{ files: { root: src/prod } }] }
  - { name: app-dev, owner: team@example.com, tier: "0", environment: dev, sources: [{ files: { root: src/dev } }] }
exceptions:${exceptions.length === 0 ? ' []' : ''}
${exceptions.map((e) => `  - ${e}`).join('\n')}
alerts:
  sinks:
    - pagerduty: { routingKeyEnv: PD_KEY, url: "${pdUrl}" }
`;
}

const LEGACY =
  '{ item: legacy, reason: "retired in Q1", acceptedBy: [cto@acme.example], ticket: CHG-7, expires: 2999-12-31 }';
const LAPSED =
  '{ item: old-box, reason: "was to go", acceptedBy: [cto@acme.example], ticket: CHG-8, expires: 2020-01-31 }';

interface Shown {
  id: string;
  state: string;
  ackedBy: string | null;
  deliveries: Array<{ event: string; status: string; attempts: number; sink: string }>;
}

describe('cairn coverage and cairn alerts (CLI)', () => {
  const f = fixture();
  let pd: PagerDutyReceiver;
  const env = { PD_KEY };
  before(async () => {
    pd = await startPagerDutyReceiver();
    f.write('cairn.yaml', policy(pd.url, [LEGACY]));
  });
  after(() => pd.stop());

  it('coverage: exit 1 while an item was never captured, 0 once all are (the excepted one shown as such)', async () => {
    let r = await cliAsync(f, ['coverage', '--json']);
    assertExit(r, 1);
    let report = r.json<CoverageReport>();
    assert.deepEqual(
      report.rows.map((row) => [row.environment, row.item, row.status]),
      [
        ['dev', 'app-dev', 'never'],
        ['prod', 'app-prod', 'never'],
        [null, 'legacy', 'excepted'],
      ],
    );
    assertExit(await cliAsync(f, ['snapshot', '--quiet']), 0);
    r = await cliAsync(f, ['coverage', '--json']);
    assertExit(r, 0);
    report = r.json<CoverageReport>();
    assert.deepEqual(
      report.rows.map((row) => row.status),
      ['ok', 'ok', 'excepted'],
    );
    assert.equal(report.rows[2]?.exception?.ticket, 'CHG-7');
    r = await cliAsync(f, ['coverage']);
    assertExit(r, 0);
    assert.match(r.stdout, /^ENVIRONMENT +ITEM +TIER +AGE +RPO +STATUS/m);
    assert.match(r.stdout, /^prod +app-prod +0 +\S+ +1h +ok/m);
    assert.match(r.stdout, /legacy .*excepted .*CHG-7 until 2999-12-31 \(cto@acme\.example\): retired in Q1/);
    r = await cliAsync(f, ['coverage', '--env', 'prod', '--json']);
    assertExit(r, 0);
    assert.deepEqual(
      r.json<CoverageReport>().rows.map((row) => row.item),
      ['app-prod'],
    );
  });

  it('coverage: exit 1 for an expired exception, 2 for an unknown environment', async () => {
    f.write('cairn.yaml', policy(pd.url, [LEGACY, LAPSED]));
    try {
      const r = await cliAsync(f, ['coverage', '--json']);
      assertExit(r, 1);
      const row = r.json<CoverageReport>().rows.find((x) => x.item === 'old-box');
      assert.equal(row?.status, 'exception-expired');
      assert.equal(r.json<CoverageReport>().failing, 1);
    } finally {
      f.write('cairn.yaml', policy(pd.url, [LEGACY]));
    }
    const r = await cliAsync(f, ['coverage', '--env', 'qa', '--json']);
    assertExit(r, 2);
    assert.equal(jsonError(r).code, 'CAIRN_E_USAGE');
    assert.match(jsonError(r).message, /unknown environment "qa"/);
  });

  it('alerts: list, show, ack (PagerDuty acknowledge at once), ack again refused, resolve', async () => {
    const id = await raiseDirectly();
    let r = await cliAsync(f, ['alerts', '--json']);
    assertExit(r, 0);
    assert.deepEqual(
      r.json<{ alerts: Array<{ id: string; state: string }> }>().alerts.map((a) => [a.id, a.state]),
      [[id, 'open']],
    );
    r = await cliAsync(f, ['alerts', 'ack', id.slice(0, 9), '--json'], env);
    assertExit(r, 0);
    const acked = r.json<Shown>();
    assert.equal(acked.state, 'acknowledged');
    assert.match(acked.ackedBy ?? '', /.+/);
    assert.deepEqual(
      acked.deliveries.map((d) => [d.event, d.status]),
      [['acknowledge', 'delivered']],
    );
    assert.deepEqual(
      pd.events.map((e) => [e.event_action, e.dedup_key]),
      [['acknowledge', 'backup-failed:app-prod@prod']],
    );

    r = await cliAsync(f, ['alerts', 'ack', id, '--json'], env);
    assertExit(r, 1);
    assert.equal(jsonError(r).code, 'CAIRN_E_EXISTS');
    assert.match(jsonError(r).message, /already acknowledged/);
    r = await cliAsync(f, ['alerts', 'ack', 'al-ffffffffffffffff', '--json'], env);
    assertExit(r, 1);
    assert.equal(jsonError(r).code, 'CAIRN_E_NOT_FOUND');
    r = await cliAsync(f, ['alerts', 'ack', id, '--wait', 'soon'], env);
    assertExit(r, 2);

    r = await cliAsync(f, ['alerts', 'show', id]);
    assertExit(r, 0);
    assert.match(r.stdout, new RegExp(`^alert ${id}: acknowledged`, 'm'));
    assert.match(r.stdout, /acknowledge +pagerduty http:\/\/127\.0\.0\.1:\d+\/… #[0-9a-f]{8}: delivered/);

    r = await cliAsync(f, ['alerts', 'resolve', id, '--reason', 'fixed the source', '--json'], env);
    assertExit(r, 0);
    assert.equal(r.json<Shown>().state, 'resolved');
    assert.deepEqual(
      pd.events.map((e) => e.event_action),
      ['acknowledge', 'resolve'],
    );
    r = await cliAsync(f, ['alerts', 'resolve', id], env);
    assertExit(r, 1);
    assert.match(r.stderr, /already resolved/);
    r = await cliAsync(f, ['alerts', 'list', '--json']);
    assert.deepEqual(r.json<{ alerts: unknown[] }>().alerts, [], 'resolved ones are not listed by default');
    r = await cliAsync(f, ['alerts', 'list', '--state', 'resolved', '--json']);
    assert.equal(r.json<{ alerts: unknown[] }>().alerts.length, 1);
  });

  it('alerts ack: a receiver that is down leaves the delivery pending, reported, and exits 0', async () => {
    const down = await startPagerDutyReceiver({ answers: [503, 503, 503] });
    f.write('cairn.yaml', policy(down.url, [LEGACY]));
    try {
      const id = await raiseDirectly('backup-failed:app-dev@dev');
      const r = await cliAsync(f, ['alerts', 'ack', id, '--json'], env);
      assertExit(r, 0);
      const shown = r.json<Shown>();
      assert.deepEqual(
        shown.deliveries.map((d) => [d.event, d.status, d.attempts]),
        [['acknowledge', 'pending', 1]],
      );
      assert.match(r.stderr, /acknowledge to pagerduty .*: pending \(next attempt .*`cairn serve` retries\) — .*503/);
    } finally {
      await down.stop();
      f.write('cairn.yaml', policy(pd.url, [LEGACY]));
    }
  });

  it('through a server (CAIRN_SERVER): coverage as locally, alerts listed, acknowledged and resolved under the token', async () => {
    const id = await raiseDirectly('backup-failed:remote@prod');
    const ops = localToken(f, 'ops', ['operator']);
    const viewer = localToken(f, 'watcher', ['viewer']);
    const server = await startServe(f, [], { PD_KEY });
    try {
      const remote = (args: readonly string[], token = ops) =>
        cliAsync(f, [...args, '--json'], {
          CAIRN_SERVER: server.url,
          CAIRN_TOKEN: token,
          CAIRN_PASSWORD: undefined,
          CAIRN_REPOSITORY: join(f.dir, 'no-repository-here'),
        });
      const local = await cliAsync(f, ['coverage', '--json']);
      const there = await remote(['coverage']);
      assertExit(there, local.code);
      const rows = (r: typeof there) => r.json<CoverageReport>().rows.map((x) => [x.environment, x.item, x.status]);
      assert.deepEqual(rows(there), rows(local));

      let r = await remote(['alerts', 'list', '--state', 'open'], viewer);
      assertExit(r, 0);
      assert.ok(r.json<{ alerts: Array<{ id: string }> }>().alerts.some((a) => a.id === id));
      r = await remote(['alerts', 'ack', id], viewer);
      assertExit(r, 1);
      assert.equal(jsonError(r).code, 'CAIRN_E_FORBIDDEN');
      r = await remote(['alerts', 'ack', id]);
      assertExit(r, 0);
      assert.equal(r.json<Shown>().state, 'acknowledged');
      assert.match(r.json<Shown>().ackedBy ?? '', /^token:/);
      r = await remote(['alerts', 'show', id.slice(0, 10)]);
      assertExit(r, 0);
      assert.equal(r.json<Shown>().id, id);
      r = await remote(['alerts', 'resolve', id]);
      assertExit(r, 0);
      assert.equal(r.json<Shown>().state, 'resolved');
      r = await remote(['alerts', 'ack', 'al-ffffffffffffffff']);
      assertExit(r, 1);
      assert.equal(jsonError(r).code, 'CAIRN_E_NOT_FOUND');
    } finally {
      await server.stop();
    }
    const acks = pd.events.filter((e) => e.dedup_key === 'backup-failed:remote@prod').map((e) => e.event_action);
    assert.deepEqual(acks, ['acknowledge', 'resolve'], "the server's AlertCenter delivered them");
  });

  /** Raises an alert in the repository's SQLite catalog as the server would, without sending it. */
  async function raiseDirectly(dedupKey = 'backup-failed:app-prod@prod'): Promise<string> {
    const [dir] = readdirSync(f.home).filter((d) => /^[0-9a-f]{16}$/.test(d));
    assert.ok(dir, 'the CLI made its catalog');
    const catalog = await openCatalog({ sqlitePath: join(f.home, dir, 'catalog.sqlite') });
    try {
      const center = new AlertCenter({
        catalog,
        log: new AuditLog({ store: catalog.audit }),
        policy: async () => ({}) as never, // only its sinks are asked for, and there are none
        sinks: () => [],
      });
      const [item, environment] = dedupKey.replace('backup-failed:', '').split('@') as [string, string];
      const alert = await center.raise({
        kind: 'backup-failed',
        category: 'failure',
        severity: 'critical',
        summary: `backups of ${item} failed 2 times in a row`,
        dedupKey,
        details: { item, environment },
      });
      await center.settle();
      return alert.id;
    } finally {
      await catalog.close();
    }
  }
});

describe('cairn snapshot feeds the failure streak (CLI, and through a server)', () => {
  const flaky = (url: string) => `version: 1
governance:
  retentionClasses:
    short: { keep: 0d }
tiers:
  0: { retentionClass: short, rpo: 1h, keep: { last: 5 } }
environments:
  prod: {}
items:
  - name: flaky
    owner: team@example.com
    tier: "0"
    environment: prod
    sources:
      - command: { run: "cat state.yaml", file: out.yaml }
  - { name: steady, owner: team@example.com, tier: "0", environment: prod, sources: [{ files: { root: src/prod } }] }
alerts:
  consecutiveFailures: 3
  sinks:
    - webhook: { url: "${url}" }
`;

  it("three failing runs of an item raise one backup-failed, delivered at once; a good run resolves it; the exit code is the snapshot's", async (t) => {
    const receiver = await startHookReceiver();
    t.after(() => receiver.stop());
    const f = fixture();
    f.write('cairn.yaml', flaky(receiver.url));
    const got = (event: string) =>
      receiver.requests.filter((r) => r.body.kind === 'backup-failed' && r.body.event === event);
    for (let run = 1; run <= 3; run++) {
      const r = await cliAsync(f, ['snapshot', '--json']);
      assertExit(r, 1); // the item failed: the alert bookkeeping does not change that
      assert.equal(got('trigger').length, run === 3 ? 1 : 0, `after run ${run}`);
    }
    const [trigger] = got('trigger');
    assert.ok(trigger);
    const details = trigger.body.details as Record<string, unknown>;
    assert.equal(trigger.body.dedupKey, 'backup-failed:flaky@prod');
    assert.equal(details.consecutiveFailures, 3);
    assert.match(String(details.error), /CAIRN_E_SOURCE/);
    assert.equal(
      receiver.requests.filter((r) => String(r.body.dedupKey).includes('steady')).length,
      0,
      'the item that succeeded raised nothing',
    );
    // A fourth failure counts the open alert; nothing is sent again.
    assertExit(await cliAsync(f, ['snapshot', '--item', 'flaky', '--quiet']), 1);
    assert.equal(got('trigger').length, 1);
    let list = await cliAsync(f, ['alerts', '--json']);
    const [open] = list.json<{ alerts: Array<{ id: string; count: number; kind: string }> }>().alerts;
    assert.equal(open?.kind, 'backup-failed');
    assert.equal(open?.count, 2);

    f.write('state.yaml', 'healthy: true\n');
    assertExit(await cliAsync(f, ['snapshot', '--item', 'flaky', '--quiet']), 0);
    assert.equal(got('resolve').length, 1);
    assert.equal(got('resolve')[0]?.body.id, open?.id);
    list = await cliAsync(f, ['alerts', '--json']);
    assert.deepEqual(list.json<{ alerts: unknown[] }>().alerts, []);
  });

  it('a sink that is down: the snapshot still exits 0/1 as usual, the delivery stays pending for serve', async (t) => {
    const receiver = await startHookReceiver([503, 503, 503, 503]);
    t.after(() => receiver.stop());
    const f = fixture();
    f.write('cairn.yaml', flaky(receiver.url).replace('consecutiveFailures: 3', 'consecutiveFailures: 1'));
    const r = await cliAsync(f, ['snapshot', '--item', 'flaky', '--json']);
    assertExit(r, 1);
    const list = await cliAsync(f, ['alerts', '--json']);
    const [open] = list.json<{ alerts: Array<{ id: string }> }>().alerts;
    assert.ok(open, 'the alert is recorded');
    const shown = (await cliAsync(f, ['alerts', 'show', open.id, '--json'])).json<Shown>();
    assert.deepEqual(
      shown.deliveries.map((d) => [d.event, d.status]),
      [['trigger', 'pending']],
    );
  });

  it('through a server: POST /api/v1/snapshots records the outcomes too', async (t) => {
    const receiver = await startHookReceiver();
    t.after(() => receiver.stop());
    const f = fixture();
    f.write('cairn.yaml', flaky(receiver.url).replace('consecutiveFailures: 3', 'consecutiveFailures: 1'));
    const ops = localToken(f, 'ci', ['operator']);
    const server = await startServe(f, []);
    try {
      const r = await cliAsync(f, ['snapshot', '--item', 'flaky', '--json'], {
        CAIRN_SERVER: server.url,
        CAIRN_TOKEN: ops,
        CAIRN_PASSWORD: undefined,
        CAIRN_REPOSITORY: join(f.dir, 'no-repository-here'),
      });
      assertExit(r, 1);
      await until(
        'backup-failed delivered by the server',
        () => receiver.requests.filter((x) => x.body.kind === 'backup-failed'),
        (a) => a.length > 0,
        20_000,
      );
    } finally {
      await server.stop();
    }
    assert.equal(receiver.requests[0]?.body.dedupKey, 'backup-failed:flaky@prod');
  });
});

describe('alert rendering', () => {
  it('keeps a summary with line breaks on one line, in show and in list', () => {
    const a: AlertRecord = {
      id: 'al-0123456789abcdef',
      dedupKey: 'backup-failed:app',
      kind: 'backup-failed',
      category: 'backup',
      severity: 'critical',
      summary: 'backup of app failed: stderr:\nboom\r\n  again\n',
      details: {},
      state: 'open',
      count: 1,
      raisedAt: '2026-01-01T00:00:00.000Z',
      lastRaisedAt: '2026-01-01T00:00:00.000Z',
      ackedAt: null,
      ackedBy: null,
      escalatedAt: null,
      resolvedAt: null,
    };
    const shown = renderAlert(a).split('\n');
    assert.equal(shown[3], '  backup of app failed: stderr: ⏎ boom ⏎ again');
    assert.equal(shown.length, 4);
    const listed = renderAlerts([a]).split('\n');
    assert.equal(listed.length, 2);
    assert.match(listed[1]!, /backup of app failed: stderr: ⏎ boom ⏎ again$/);
  });
});
