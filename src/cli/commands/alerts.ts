import { setTimeout as sleep } from 'node:timers/promises';
import { type Command, Option } from 'commander';
import type { AlertDelivery, AlertRecord, AlertState } from '../../catalog/index.js';
import { CairnError } from '../../errors/index.js';
import type { Policy } from '../../policy/index.js';
import { AlertCenter, type ItemResult, recordSnapshotOutcomes } from '../../services/index.js';
import type { Context } from '../context.js';
import { table } from '../output.js';
import { segment } from '../remote-mode.js';
import { action } from '../run.js';

type StateChoice = AlertState | 'all' | 'active';
const STATES: readonly StateChoice[] = ['active', 'open', 'acknowledged', 'resolved', 'all'];
type Shown = AlertRecord & { deliveries?: readonly AlertDelivery[] };

export function registerAlerts(program: Command): void {
  const alerts = program
    .command('alerts')
    .description(
      'alerts Cairn raised (backup failures, late schedules, drift, drills, canary): list, show, ack, resolve',
    )
    .addHelpText(
      'after',
      '\nAn alert is open until someone acknowledges it (it then no longer escalates) and resolved when the\n' +
        "problem went away (a later backup succeeded) or someone resolves it. Each change goes to the policy's\n" +
        '`alerts.sinks` (PagerDuty: trigger, acknowledge, resolve with one dedup key) and the audit log.\n' +
        'Locally, ack and resolve send their deliveries at once and wait up to --wait seconds for them; what\n' +
        'is still pending is delivered, with retries, by `cairn serve`. See docs/MONITORING.md.\n\n' +
        'Examples:\n' +
        '  cairn alerts\n' +
        '  cairn alerts list --state all --json\n' +
        '  cairn alerts ack al-3f9c2a\n' +
        '  cairn alerts resolve al-3f9c2a --reason "disk replaced"\n\n' +
        'Exit codes: 0 ok; 1 unknown alert, or not in a state that allows it; 2 bad usage.\n' +
        'With CAIRN_SERVER, through the server (alerts.read to list, alerts.ack to ack and resolve).',
    );
  alerts
    .command('list', { isDefault: true })
    .description('alerts, newest first (default: open and acknowledged)')
    .addOption(
      new Option('--state <state>', 'active (open and acknowledged), open, acknowledged, resolved or all')
        .choices(STATES)
        .default('active'),
    )
    .option('--limit <n>', 'at most this many')
    .action(
      action(async (ctx, opts: { state: StateChoice; limit?: string }) => {
        const limit = opts.limit === undefined ? undefined : positive(opts.limit, '--limit');
        const list = await listAlerts(ctx, opts.state, limit);
        ctx.out.result({ alerts: list }, () => renderAlerts(list));
        return 0;
      }),
    );
  alerts
    .command('show <id>')
    .description('one alert (id or unique prefix) with its deliveries to each sink')
    .action(
      action(async (ctx, id: string) => {
        const shown = await showAlert(ctx, id);
        ctx.out.result(shown, () => renderAlert(shown));
        return 0;
      }),
    );
  alerts
    .command('ack <id>')
    .description('acknowledge an open alert: it stops escalating and the sinks hear of it')
    .option('--wait <seconds>', 'how long to wait for the deliveries (local only; default 5)')
    .action(
      action(async (ctx, id: string, opts: { wait?: string }) => {
        const remote = ctx.remote();
        if (remote) {
          const r = await remote.call<AlertRecord>('POST', `/api/v1/alerts/${segment(id)}/ack`, { body: {} });
          ctx.out.result(r, () => renderAlert(r));
          return 0;
        }
        return change(ctx, seconds(opts.wait), (center) => center.ack(id, ctx.identity.subject));
      }),
    );
  alerts
    .command('resolve <id>')
    .description('resolve an open or acknowledged alert; the sinks hear it ended')
    .option('--reason <text>', 'why, for the audit log')
    .option('--wait <seconds>', 'how long to wait for the deliveries (local only; default 5)')
    .action(
      action(async (ctx, id: string, opts: { reason?: string; wait?: string }) => {
        const remote = ctx.remote();
        if (remote) {
          const body = opts.reason ? { reason: opts.reason } : {};
          const r = await remote.call<AlertRecord>('POST', `/api/v1/alerts/${segment(id)}/resolve`, { body });
          ctx.out.result(r, () => renderAlert(r));
          return 0;
        }
        return change(ctx, seconds(opts.wait), async (center) => {
          const found = await center.catalog.alerts.get(id);
          if (!found) throw notFound(id);
          if (found.state === 'resolved') {
            throw new CairnError('CAIRN_E_EXISTS', `alert ${found.id} is already resolved (at ${found.resolvedAt})`, {
              alert: found.id,
              state: found.state,
            });
          }
          const resolved = await center.resolve(found.id, ctx.identity.subject, opts.reason);
          if (!resolved) throw new CairnError('CAIRN_E_EXISTS', `alert ${found.id} was resolved meanwhile`);
          return resolved;
        });
      }),
    );
}

async function listAlerts(ctx: Context, state: StateChoice, limit?: number): Promise<AlertRecord[]> {
  const wanted: readonly AlertState[] | undefined =
    state === 'all' ? undefined : state === 'active' ? ['open', 'acknowledged'] : [state];
  const remote = ctx.remote();
  if (remote) {
    const query = wanted?.length === 1 ? { state: wanted[0] } : {};
    const r = await remote.call<{ alerts: AlertRecord[] }>('GET', '/api/v1/alerts', { query });
    const list = r.alerts.filter((a) => !wanted || wanted.includes(a.state));
    return limit ? list.slice(0, limit) : list;
  }
  const session = await ctx.session();
  return session.catalog.alerts.list({ ...(wanted ? { state: wanted } : {}), ...(limit ? { limit } : {}) });
}

async function showAlert(ctx: Context, id: string): Promise<Shown> {
  const remote = ctx.remote();
  if (remote) {
    // The API lists alerts without their deliveries; the alert is found among them by id or prefix.
    const r = await remote.call<{ alerts: AlertRecord[] }>('GET', '/api/v1/alerts');
    const hits = r.alerts.filter((a) => a.id.startsWith(id));
    if (hits.length > 1) throw new CairnError('CAIRN_E_AMBIGUOUS', `alert prefix ${id} matches ${hits.length} alerts`);
    if (!hits[0]) throw notFound(id);
    return hits[0];
  }
  const session = await ctx.session();
  const found = await session.catalog.alerts.get(id);
  if (!found) throw notFound(id);
  return { ...found, deliveries: await session.catalog.alerts.deliveries(found.id) };
}

/** An AlertCenter on the command's catalog and audit log; `settle(wait)` waits up to `wait` seconds for its deliveries. */
async function localCenter(ctx: Context, policy: Policy) {
  const session = await ctx.session();
  const governance = await ctx.governance();
  let finished = false;
  const center = new AlertCenter({
    catalog: session.catalog,
    log: governance.audit,
    policy: async () => policy,
    env: ctx.env,
    onError: (what, err) => {
      if (!finished) ctx.out.warn(`${what}: ${err instanceof Error ? err.message : String(err)}`);
    },
  });
  const settle = async (wait: number) => {
    const timer = new AbortController();
    await Promise.race([center.settle(), sleep(wait * 1000, undefined, { signal: timer.signal }).catch(() => {})]);
    timer.abort();
    finished = true;
  };
  return { center, session, settle };
}

/**
 * `cairn snapshot` run where the repository is: each item's outcome feeds its failure streak
 * (backup-failed after alerts.consecutiveFailures failures in a row, resolved by a success), as the
 * server's scheduled runs do. Deliveries are attempted at once for up to 5 seconds; what is still
 * pending then is retried by a running `cairn serve`. Recording never changes the command's outcome:
 * a failure to record is a warning.
 */
export async function recordLocalBackupOutcomes(
  ctx: Context,
  policy: Policy,
  results: readonly ItemResult[],
): Promise<void> {
  try {
    const { center, session, settle } = await localCenter(ctx, policy);
    await recordSnapshotOutcomes(center, session.catalog, policy, results, (item, err) =>
      ctx.out.warn(`the outcome of ${item} was not recorded for alerting: ${errText(err)}`),
    );
    await settle(5);
  } catch (err) {
    ctx.out.warn(`backup outcomes were not recorded for alerting: ${errText(err)}`);
  }
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** ack or resolve on the local catalog: the change, then its deliveries for up to `wait` seconds. */
async function change(ctx: Context, wait: number, op: (c: AlertCenter) => Promise<AlertRecord>) {
  const { policy } = await ctx.policy();
  const { center, session, settle } = await localCenter(ctx, policy);
  const record = await op(center);
  await settle(wait);
  const deliveries = await session.catalog.alerts.deliveries(record.id);
  const shown: Shown = { ...record, deliveries };
  for (const d of deliveries.filter((x) => x.status !== 'delivered')) {
    ctx.out.note(
      `${d.event} to ${d.sink}: ${d.status}${d.status === 'pending' ? ` (next attempt ${d.nextAttemptAt}; \`cairn serve\` retries)` : ''}` +
        (d.lastError ? ` — ${d.lastError}` : ''),
    );
  }
  ctx.out.result(shown, () => renderAlert(shown));
  return 0;
}

export function renderAlerts(list: readonly AlertRecord[]): string {
  if (list.length === 0) return 'no alerts';
  return table(
    ['ID', 'STATE', 'SEVERITY', 'CATEGORY', 'KIND', 'COUNT', 'RAISED', 'SUMMARY'],
    list.map((a) => [
      a.id,
      a.escalatedAt && a.state === 'open' ? 'open (escalated)' : a.state,
      a.severity,
      a.category,
      a.kind,
      String(a.count),
      a.raisedAt,
      oneLine(a.summary).length > 80 ? `${oneLine(a.summary).slice(0, 79)}…` : oneLine(a.summary),
    ]),
  );
}

export function renderAlert(a: Shown): string {
  const lines = [
    `alert ${a.id}: ${a.state}${a.escalatedAt ? ` (escalated ${a.escalatedAt})` : ''}`,
    `  ${a.severity} ${a.kind} (${a.category}), raised ${a.count} time${a.count === 1 ? '' : 's'}: first ${a.raisedAt}, last ${a.lastRaisedAt}`,
    `  dedup key: ${a.dedupKey}`,
    `  ${oneLine(a.summary)}`,
  ];
  if (a.ackedAt) lines.push(`  acknowledged by ${a.ackedBy} at ${a.ackedAt}`);
  if (a.resolvedAt) lines.push(`  resolved at ${a.resolvedAt}`);
  if (a.deliveries) {
    lines.push('', a.deliveries.length === 0 ? 'no deliveries (no sink takes it)' : 'deliveries:');
    for (const d of a.deliveries) {
      const when =
        d.status === 'delivered' ? ` at ${d.deliveredAt}` : d.status === 'pending' ? `, next ${d.nextAttemptAt}` : '';
      lines.push(
        `  ${d.event.padEnd(11)} ${d.sink}: ${d.status}${when}, ${d.attempts} attempt${d.attempts === 1 ? '' : 's'}` +
          (d.lastError && d.status !== 'delivered' ? ` — ${oneLine(d.lastError)}` : ''),
      );
    }
  }
  return lines.join('\n');
}

/** Text on one line, so a summary with newlines (a command's stderr) keeps the layout: each line break becomes ' ⏎ '. */
export function oneLine(text: string): string {
  return text.trim().replace(/[ \t]*\r?\n\s*/g, ' ⏎ ');
}

function notFound(id: string): CairnError {
  return new CairnError('CAIRN_E_NOT_FOUND', `no alert ${id} (see \`cairn alerts list --state all\`)`, { alert: id });
}

function positive(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 10_000)
    throw new CairnError('CAIRN_E_USAGE', `${flag} ${v} is not a whole number from 1 to 10000`);
  return n;
}

/** --wait: 0 to 600 seconds, default 5. */
function seconds(v: string | undefined): number {
  if (v === undefined) return 5;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n > 600)
    throw new CairnError('CAIRN_E_USAGE', `--wait ${v} is not a number of seconds from 0 to 600`);
  return n;
}
