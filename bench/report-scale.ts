/**
 * The monthly report at scale (issue 6, docs/REPORTS.md "Speed"):
 *   node --import tsx bench/report-scale.ts --snapshots 100000 --events 1000000 --dir DIR [--keep]
 * makes a real repository (`cairn init`) and its SQLite catalog under DIR with that many snapshots in
 * one month (snapshot objects written through the repository, rows through the catalog, as a snapshot
 * run does, without reading any files) and that many audit events recorded through the real AuditLog
 * with its signed checkpoints, spread over the same month. Then it times the real CLI:
 * `cairn report --format json`, `--format html` and `cairn report verify` (each under /usr/bin/time -v
 * when it exists, for the peak RSS), and prints one JSON line of results.
 *   --month YYYY-MM   the month (default: the last complete one)
 *   --items N         items the snapshots are spread over (default 140: hourly snapshots fill a month)
 *   --skip-generate   reuse DIR as a previous run left it
 *   --one-by-one      record every event through AuditLog.record (about 1 ms each) instead of 1000 per transaction
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { eventFields } from '../src/audit/event-input.js';
import { type AuditInput, AuditLog, eventHash } from '../src/audit/index.js';
import type { RunMetadata } from '../src/catalog/index.js';
import { RepositoryCheckpointStore } from '../src/services/audit-checkpoints.js';
import { snapshotRecord } from '../src/services/catalog-sync.js';
import { initRepository, openSession } from '../src/services/index.js';

const ROOT = resolve(import.meta.dirname ?? '.', '..');
const BIN = join(ROOT, 'bin', 'cairn.js');
const PASSWORD = 'report scale bench';
const log = (line: string) => process.stderr.write(`${line}\n`);

const { values: a } = parseArgs({
  options: {
    snapshots: { type: 'string', default: '100000' },
    events: { type: 'string', default: '1000000' },
    items: { type: 'string', default: '140' },
    dir: { type: 'string' },
    month: { type: 'string' },
    'skip-generate': { type: 'boolean', default: false },
    'one-by-one': { type: 'boolean', default: false },
  },
});
if (!a.dir) throw new Error('usage: report-scale.ts --snapshots N --events N --dir DIR');
const dir = resolve(a.dir);
const nSnapshots = Number(a.snapshots);
const nEvents = Number(a.events);
const nItems = Math.max(1, Number(a.items));
const month = a.month ?? lastCompleteMonth(new Date());
const start = Date.parse(`${month}-01T00:00:00Z`);
const end = new Date(start).setUTCMonth(new Date(start).getUTCMonth() + 1);
const env = {
  ...process.env,
  CAIRN_PASSWORD: PASSWORD,
  CAIRN_REPOSITORY: join(dir, 'repo'),
  CAIRN_HOME: join(dir, 'home'),
  CAIRN_CONFIG: join(dir, 'cairn.yaml'),
};

function lastCompleteMonth(now: Date): string {
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  return d.toISOString().slice(0, 7);
}

const itemName = (i: number) => `svc-${String(i).padStart(4, '0')}`;

function policyText(): string {
  const items = Array.from(
    { length: nItems },
    (_, i) =>
      `  - { name: ${itemName(i)}, owner: ops@acme.example, tier: gold, environment: ${i % 2 ? 'prod' : 'staging'}, sources: [ { files: { root: . } } ] }`,
  );
  return `version: 1
organisation: Acme (report scale bench)
tiers:
  gold:
    rpo: 2h
    rto: 1h
    keep: { within: 400d }
environments:
  prod: {}
  staging: {}
items:
${items.join('\n')}
exceptions:
  - { item: legacy-ldap, reason: decommissioning, acceptedBy: [ciso@acme.example], ticket: RISK-7, expires: 2099-01-01 }
`;
}

async function generate(): Promise<Record<string, number>> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(env.CAIRN_CONFIG, policyText());
  // Not `cairn init`: its audit events would carry today's time before the month's (seq order = time order).
  await initRepository({ repository: env.CAIRN_REPOSITORY, secret: { kind: 'password', value: PASSWORD } });
  const session = await openSession({
    repository: env.CAIRN_REPOSITORY,
    secret: { kind: 'password', value: PASSWORD },
    home: env.CAIRN_HOME,
  });
  const { repo, catalog } = session;
  const timings: Record<string, number> = {};
  try {
    let t = performance.now();
    const tree = await repo.saveTree({ entries: [] });
    await repo.flush();
    const span = end - start;
    const meta = (item: string, time: string): RunMetadata => ({
      item,
      environment: Number(item.slice(4)) % 2 ? 'prod' : 'staging',
      tier: 'gold',
      component: null,
      trigger: 'scheduled',
      release: null,
      commit: null,
      change: null,
      deployment: null,
      pipeline: null,
      actor: 'system:scheduler',
      host: 'runner',
      time,
    });
    const ids: string[] = [];
    const parallel = 16;
    for (let base = 0; base < nSnapshots; base += parallel) {
      const batch = Array.from({ length: Math.min(parallel, nSnapshots - base) }, (_, k) => base + k);
      const made = await Promise.all(
        batch.map(async (n) => {
          const time = new Date(start + Math.floor(((n + 0.5) * span) / nSnapshots)).toISOString();
          const obj = {
            version: 1 as const,
            meta: meta(itemName(n % nItems), time),
            parent: null,
            tree,
            contentHash: (n.toString(16).padStart(8, '0') + '0'.repeat(56)).slice(0, 64),
            status: n % 997 === 0 ? ('partial' as const) : ('complete' as const),
            files: 40,
            bytes: 120_000,
            addedBytes: n % 10 === 0 ? 4000 : 0,
            retainUntil: null,
            unreadable: n % 997 === 0 ? ['secret.key'] : [],
          };
          const id = await repo.saveSnapshot(obj);
          return { id, obj };
        }),
      );
      for (const { id, obj } of made) {
        await catalog.putSnapshot(snapshotRecord(id, obj));
        ids.push(id);
      }
      if (base % 10_000 === 0 && base > 0)
        log(`  ${base} snapshots (${((performance.now() - t) / 1000).toFixed(0)} s)`);
    }
    timings.snapshotsMs = Math.round(performance.now() - t);
    log(`${nSnapshots} snapshots in ${(timings.snapshotsMs / 1000).toFixed(1)} s`);

    // Audit events: built and hashed by the audit module's own functions (what AuditLog.record does),
    // appended 1000 to a transaction (the AuditStore appends one per transaction, ~1 ms each: 1,000,000
    // would take a quarter of an hour), and sealed by the real AuditLog's checkpointer after every
    // 1000 (its default `checkpointEvery`). --one-by-one records every event through AuditLog.record.
    t = performance.now();
    let clock = new Date(start);
    const audit = new AuditLog({
      store: catalog.audit,
      checkpoints: new RepositoryCheckpointStore(repo, { clock: () => clock }),
      clock: () => clock,
      settings: { checkpointEvery: { events: 1000, minutes: 60 } },
    });
    const timeOf = (n: number) => new Date(start + Math.floor(((n + 0.5) * span) / nEvents));
    if (a['one-by-one']) {
      for (let n = 0; n < nEvents; n++) {
        clock = timeOf(n);
        await audit.record(eventAt(n, ids));
        if (n % 100_000 === 0 && n > 0) log(`  ${n} events (${((performance.now() - t) / 1000).toFixed(0)} s)`);
      }
    } else {
      const db = new Database(join(env.CAIRN_HOME, repo.id.slice(0, 16), 'catalog.sqlite'));
      db.pragma('busy_timeout = 5000');
      db.pragma('synchronous = NORMAL');
      const insert = db.prepare(
        'INSERT INTO audit_events (seq, id, time, identity, roles, ip, user_agent, action, target, result, change_id, approval_id, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      );
      const moveHead = db.prepare('UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1');
      let head = await catalog.audit.head();
      const appendMany = db.transaction((from: number, to: number) => {
        for (let n = from; n < to; n++) {
          const time = timeOf(n);
          const body = { ...eventFields(eventAt(n, ids), time), seq: head.seq + 1, prevHash: head.hash };
          const e = { ...body, hash: eventHash(body) };
          insert.run(
            e.seq,
            e.id,
            e.time,
            e.identity,
            JSON.stringify(e.roles),
            e.ip,
            e.userAgent,
            e.action,
            e.target,
            e.result,
            e.changeId,
            e.approvalId,
            JSON.stringify(e.details),
            e.prevHash,
            e.hash,
          );
          head = { seq: e.seq, hash: e.hash };
        }
        moveHead.run(head.seq, head.hash);
      });
      for (let n = 0; n < nEvents; n += 1000) {
        const to = Math.min(nEvents, n + 1000);
        appendMany(n, to);
        clock = new Date(timeOf(to - 1).getTime() + 500);
        await audit.checkpoint();
        if (n % 100_000 === 0 && n > 0) log(`  ${n} events (${((performance.now() - t) / 1000).toFixed(0)} s)`);
      }
      db.close();
    }
    clock = new Date(end + 60_000);
    await audit.checkpoint();
    timings.eventsMs = Math.round(performance.now() - t);
    timings.checkpoints = (await catalog.audit.checkpoints()).length;
    log(`${nEvents} events, ${timings.checkpoints} checkpoints in ${(timings.eventsMs / 1000).toFixed(1)} s`);
  } finally {
    await session.close();
  }
  return timings;
}

/** A month's mix: mostly scheduled snapshots and searches, with failures, alerts, drills, deletions and approvals. */
function eventAt(n: number, ids: readonly string[]): AuditInput {
  const who = { identity: 'system:scheduler', roles: ['operator'] };
  const item = itemName(n % nItems);
  const r = n % 1000;
  if (r === 1)
    return {
      ...who,
      action: 'schedule.run',
      result: 'failed',
      target: `snapshot:${item}`,
      details: { error: 'source unreachable' },
    };
  if (r === 2) {
    return {
      ...who,
      action: 'alert.raised',
      result: 'ok',
      target: `al-${n.toString(16).padStart(16, '0')}`,
      details: {
        kind: 'backup-failed',
        category: 'failure',
        severity: 'warning',
        dedupKey: `backup-failed:${item}@prod`,
      },
    };
  }
  if (r === 3) {
    return {
      ...who,
      action: 'alert.resolved',
      result: 'ok',
      target: `al-${(n - 1).toString(16).padStart(16, '0')}`,
      details: { kind: 'backup-failed', category: 'failure' },
    };
  }
  if (n % 50_000 === 4) {
    return {
      identity: 'oidc:ops@acme.example',
      action: 'drill.finish',
      result: 'ok',
      target: 'quarterly',
      details: {
        drill: `dr-${n.toString(16).padStart(20, '0')}`,
        plan: 'quarterly',
        status: 'passed',
        rtoMs: 90_000,
        rtoSlaMs: 3_600_000,
        rpoMs: 1_800_000,
        rpoSlaMs: 7_200_000,
        withinSla: true,
        items: [{ item, snapshot: ids[n % ids.length] ?? null, ok: true }],
      },
    };
  }
  if (n % 20_000 === 5) {
    return { identity: 'local:ops@host', action: 'forget', result: 'ok', target: null, details: { applyPolicy: true } };
  }
  if (r === 6)
    return {
      identity: 'oidc:eve@acme.example',
      action: 'snapshots.search',
      result: 'denied',
      details: { reason: 'no permission' },
    };
  if (r % 3 === 0) return { ...who, action: 'snapshots.create', result: 'allowed', target: item };
  if (r % 3 === 1)
    return {
      ...who,
      action: 'snapshots.create',
      result: 'ok',
      target: item,
      details: { snapshot: ids[n % ids.length] ?? null },
    };
  return {
    identity: 'oidc:auditor@acme.example',
    roles: ['auditor'],
    action: 'snapshots.search',
    result: 'ok',
    details: { item },
  };
}

function timed(label: string, args: string[]): { ms: number; peakRssMb: number | null; code: number; stdout: string } {
  const withTime = existsSync('/usr/bin/time');
  const t = performance.now();
  const r = withTime
    ? spawnSync('/usr/bin/time', ['-v', process.execPath, BIN, ...args], {
        env,
        cwd: dir,
        encoding: 'utf8',
        maxBuffer: 1 << 28,
      })
    : spawnSync(process.execPath, [BIN, ...args], { env, cwd: dir, encoding: 'utf8', maxBuffer: 1 << 28 });
  const ms = Math.round(performance.now() - t);
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr ?? '');
  const peakRssMb = rss ? Math.round(Number(rss[1]) / 1024) : null;
  log(`${label}: ${(ms / 1000).toFixed(2)} s, exit ${r.status}, peak RSS ${peakRssMb ?? '?'} MB`);
  if (r.status !== 0 && r.status !== 1) log(r.stderr.split('\n').slice(-15).join('\n'));
  return { ms, peakRssMb, code: r.status ?? -1, stdout: r.stdout };
}

const generated = a['skip-generate'] ? {} : await generate();
const json = timed('report --format json', [
  'report',
  '--month',
  month,
  '--format',
  'json',
  '--out',
  join(dir, 'r.json'),
]);
const html = timed('report --format html', [
  'report',
  '--month',
  month,
  '--format',
  'html',
  '--out',
  join(dir, 'r.html'),
]);
const verify = timed('report verify (html)', ['report', 'verify', join(dir, 'r.html'), '--json']);
let verifyOk: boolean | null = null;
let verifyDifferences: unknown = null;
try {
  const v = JSON.parse(verify.stdout) as { ok: boolean; differences: unknown[] };
  verifyOk = v.ok;
  verifyDifferences = v.differences.slice(0, 5);
} catch {
  verifyOk = null;
}
const size = (f: string) =>
  existsSync(f) ? Number(spawnSync('stat', ['-c', '%s', f], { encoding: 'utf8' }).stdout.trim()) : null;
const result = {
  bench: 'report-scale',
  month,
  snapshots: nSnapshots,
  events: nEvents,
  items: nItems,
  generate: generated,
  reportJson: { ms: json.ms, peakRssMb: json.peakRssMb, exit: json.code, bytes: size(join(dir, 'r.json')) },
  reportHtml: { ms: html.ms, peakRssMb: html.peakRssMb, exit: html.code, bytes: size(join(dir, 'r.html')) },
  verify: {
    ms: verify.ms,
    peakRssMb: verify.peakRssMb,
    exit: verify.code,
    ok: verifyOk,
    differences: verifyDifferences,
  },
};
process.stdout.write(`${JSON.stringify(result)}\n`);
