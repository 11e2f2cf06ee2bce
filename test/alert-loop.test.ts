/**
 * The alert loop of `cairn serve` end to end, with a real webhook receiver: scheduled backups feed
 * each item's failure streak (backup-failed after alerts.consecutiveFailures failures in a row,
 * exactly once, resolved by the next success; no schedule-failed beside it), and an alert nobody
 * acknowledged escalates after alerts.escalateAfter while an acknowledged one does not.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { startAlertLoop } from '../src/server/wire/alert-loop.js';
import type { AlertCenter } from '../src/services/index.js';
import { fixture } from './helpers.js';
import { alertReceiver, alertsYaml, type ReceivedAlert, replica } from './schedule-support.js';
import { client, localToken, until } from './serve-support.js';

const HEAD = `version: 1
governance:
  retentionClasses:
    short: { keep: 0d }
`;

const tier = (schedule: string) => `tiers:
  2:
    retentionClass: short
    keep: { last: 1000 }
    schedule: ${schedule}
environments:
  prod: {}
`;

const item = (name: string, run: string) => `  - name: ${name}
    owner: team@example.com
    tier: 2
    environment: prod
    sources:
      - command: { run: "${run}", file: out.yaml }
`;

interface Event extends ReceivedAlert {
  event?: string;
  id?: string;
}

const of = (received: ReceivedAlert[], kind: string, event = 'trigger') =>
  (received as Event[]).filter((a) => a.kind === kind && (a.event ?? 'trigger') === event);

interface AlertRow {
  id: string;
  kind: string;
  dedupKey: string;
  state: string;
  count: number;
  escalatedAt: string | null;
}

describe('backup outcomes of scheduled runs', () => {
  const cleanup: Array<() => unknown> = [];
  after(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it('raises backup-failed once after consecutiveFailures failures of an item, and resolves it after a success', async () => {
    const receiver = await alertReceiver();
    cleanup.push(() => receiver.close());
    // The source reads a file that is not there yet: `cat` exits 1, the item's backup fails.
    const f = fixture({
      policy: `${HEAD}${alertsYaml(receiver.url, { consecutiveFailures: 3 })}${tier('"* * * * * *"')}items:
${item('flaky', 'cat state.yaml')}`,
    });
    const server = await replica(f, 0, { CAIRN_HOME: f.home, CAIRN_ALERT_TICK_MS: '200' });
    cleanup.push(() => server.stop());
    const api = client(server.url, localToken(f, 'alert-reader', ['viewer']));
    const alerts = async () => (await api.ok<{ alerts: AlertRow[] }>(api.get('/api/v1/alerts'))).alerts;

    const [first] = await until(
      'backup-failed',
      () => of(receiver.received, 'backup-failed'),
      (a) => a.length > 0,
      30_000,
    );
    assert.equal(first!.dedupKey, 'backup-failed:flaky@prod');
    assert.equal(first!.severity, 'critical');
    assert.equal(first!.details.consecutiveFailures, 3, 'raised by the third failure in a row');
    assert.match(String(first!.details.error), /CAIRN_E_SOURCE/);
    // Two more failures count the open alert; nothing more is sent.
    await until(
      'two more failures',
      alerts,
      (all) => (all.find((a) => a.dedupKey === 'backup-failed:flaky@prod')?.count ?? 0) >= 3,
      30_000,
    );
    assert.equal(of(receiver.received, 'backup-failed').length, 1);
    // The schedule failed 3 runs in a row too, but its one failed item has its alert: one page for one fault.
    assert.equal(of(receiver.received, 'schedule-failed').length, 0, JSON.stringify(receiver.received));

    f.write('state.yaml', 'healthy: true\n');
    const [resolved] = await until(
      'backup-failed resolved',
      () => of(receiver.received, 'backup-failed', 'resolve'),
      (a) => a.length > 0,
      30_000,
    );
    assert.equal(resolved!.dedupKey, 'backup-failed:flaky@prod');
    assert.equal(await server.stop(), 0);
    assert.equal(of(receiver.received, 'backup-failed').length, 1, 'exactly once');
    assert.equal(of(receiver.received, 'schedule-failed').length, 0);
    // Still recorded: the schedule.failed audit event names the alert that said it.
    const audited = f.cli(['audit', 'log', '--json', '--action', 'schedule.failed']);
    assert.equal(audited.code, 0, audited.stderr);
    const [failedRun] = audited.json<{ events: Array<{ details: Record<string, unknown> }> }>().events;
    assert.deepEqual(failedRun?.details.alertedAs, ['backup-failed:flaky@prod'], audited.stdout);
  });
});

describe('escalation in serve', () => {
  const cleanup: Array<() => unknown> = [];
  after(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it('escalates an unacknowledged alert after escalateAfter, and not an acknowledged one', async () => {
    const receiver = await alertReceiver();
    cleanup.push(() => receiver.close());
    // One catch-up run of a yearly schedule: both items fail once, each one a backup-failed alert.
    const f = fixture({
      policy: `${HEAD}${alertsYaml(receiver.url, { consecutiveFailures: 1, escalateAfter: '4s' })}${tier('"0 0 1 1 *"')}items:
${item('left', 'exit 1')}${item('right', 'exit 1')}`,
    });
    const server = await replica(f, 0, { CAIRN_HOME: f.home, CAIRN_ALERT_TICK_MS: '200' });
    cleanup.push(() => server.stop());
    const operator = client(server.url, localToken(f, 'alert-operator', ['operator']));
    const raised = await until(
      'two backup-failed',
      () => of(receiver.received, 'backup-failed'),
      (a) => a.length === 2,
      30_000,
    );
    const left = raised.find((a) => a.dedupKey === 'backup-failed:left@prod')!;
    const right = raised.find((a) => a.dedupKey === 'backup-failed:right@prod')!;
    assert.ok(left.id && right.id, JSON.stringify(raised));
    const acked = await operator.ok<AlertRow>(operator.post(`/api/v1/alerts/${left.id}/ack`));
    assert.equal(acked.state, 'acknowledged');

    const [escalated] = await until(
      'the escalation of the unacknowledged alert',
      () => of(receiver.received, 'backup-failed', 'escalate'),
      (a) => a.length > 0,
      30_000,
    );
    assert.equal(escalated!.dedupKey, 'backup-failed:right@prod');
    assert.equal(await server.stop(), 0); // settles the deliveries in flight
    const escalations = of(receiver.received, 'backup-failed', 'escalate').map((a) => a.dedupKey);
    assert.deepEqual(escalations, ['backup-failed:right@prod'], 'the acknowledged one does not escalate');
    assert.deepEqual(
      of(receiver.received, 'backup-failed', 'acknowledge').map((a) => a.dedupKey),
      ['backup-failed:left@prod'],
    );
    const log = f.cli(['audit', 'log', '--json', '--action', 'alert.escalated']);
    assert.equal(log.code, 0, log.stderr);
    const { events } = log.json<{ events: Array<{ target: string }> }>();
    assert.ok(events.some((e) => e.target === right.id) && !events.some((e) => e.target === left.id), log.stdout);
  });
});

describe('startAlertLoop', () => {
  it('reports a failed round and goes on; stop waits for the round in flight and the deliveries', async () => {
    const calls: string[] = [];
    const errors: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    const center = {
      escalateDue: async () => {
        calls.push('escalate');
        if (calls.length === 1) throw new Error('catalog down');
        return [];
      },
      deliverDue: async () => {
        calls.push('deliver');
        if (calls.filter((c) => c === 'deliver').length === 3) await held;
        return { delivered: 0, retrying: 0, failed: 0 };
      },
      settle: async () => {
        calls.push('settle');
      },
    } as unknown as AlertCenter;
    const loop = startAlertLoop(center, { tickMs: 10, onError: (what, err) => errors.push(`${what}: ${String(err)}`) });
    await until(
      'the third round',
      () => calls.filter((c) => c === 'deliver').length,
      (n) => n >= 3,
    );
    let stopped = false;
    const stopping = loop.stop().then(() => {
      stopped = true;
    });
    await new Promise((r) => setImmediate(r));
    assert.equal(stopped, false, 'waits for the delivery round in flight');
    release();
    await stopping;
    assert.deepEqual(errors, ['alert escalation: Error: catalog down']);
    assert.deepEqual(calls.slice(0, 2), ['escalate', 'deliver'], 'a failed escalation does not skip the deliveries');
    assert.equal(calls.at(-1), 'settle');
    const rounds = calls.length;
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(calls.length, rounds, 'no round after stop');
  });
});
