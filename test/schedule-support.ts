/**
 * What the end-to-end tests of schedules in `cairn serve` share: a fixture on a fresh PostgreSQL
 * catalog, a server started as one replica (its own CAIRN_HOME, a fast scheduler tick), queries on
 * the catalog's schedule_runs, and a node:http webhook receiver that collects the alerts it is sent.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { join } from 'node:path';
import pg from 'pg';
import { freshPgDatabase } from './e2e.js';
import { type Fixture, fixture } from './helpers.js';
import { type ServeProcess, startServe } from './serve-support.js';

export interface RunRow {
  schedule_key: string;
  slot: string;
  due_at: string;
  claimed_by: string;
  claimed_at: string;
  started_at: string | null;
  finished_at: string | null;
  status: string;
  details: string | null;
  late_alerted_at: string | null;
  escalated_at: string | null;
}

/** One query on a fresh connection. */
export async function query<T>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    return (await pool.query(sql, params)).rows as T[];
  } finally {
    await pool.end();
  }
}

/** The schedule_runs rows of one schedule, oldest slot first. */
export const runsOf = (url: string, key: string) =>
  query<RunRow>(url, 'select * from schedule_runs where schedule_key = $1 order by slot', [key]);

/** One fixture on a fresh PostgreSQL database, initialised. */
export function pgFixture(yaml: string): { f: Fixture; db: ReturnType<typeof freshPgDatabase> } {
  const db = freshPgDatabase();
  const f = fixture({ policy: yaml, init: false });
  f.env.CAIRN_CATALOG_URL = db.url;
  assert.equal(f.cli(['init']).code, 0);
  return { f, db };
}

/** `cairn serve` as replica `n`: its own CAIRN_HOME, the scheduler ticking every 200 ms. */
export function replica(
  f: Fixture,
  n: number,
  extra: Record<string, string> = {},
  args: string[] = [],
): Promise<ServeProcess> {
  return startServe(f, args, { CAIRN_HOME: join(f.dir, `home-${n}`), CAIRN_SCHEDULER_TICK_MS: '200', ...extra });
}

/** An alert as the generic webhook sink posts it. */
export interface ReceivedAlert {
  kind: string;
  severity: string;
  summary: string;
  dedupKey: string;
  details: Record<string, unknown>;
}

export interface AlertReceiver {
  /** The URL to put in a `webhook` sink. */
  readonly url: string;
  /** Every alert received, in order. */
  readonly received: ReceivedAlert[];
  close(): Promise<void>;
}

/** A node:http server on a free port that answers 200 to every POST and keeps its JSON body. */
export async function alertReceiver(): Promise<AlertReceiver> {
  const received: ReceivedAlert[] = [];
  const hook = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      received.push(JSON.parse(body) as ReceivedAlert);
      res.writeHead(200).end('{}');
    });
  });
  hook.listen(0, '127.0.0.1');
  await once(hook, 'listening');
  const port = (hook.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    close: () => new Promise<void>((r) => hook.close(() => r())),
  };
}

/** The `alerts:` block of a policy with one webhook sink (and the other keys given, e.g. `lateAfter: 1s`). */
export function alertsYaml(url: string, extra: Record<string, string | number> = {}): string {
  const keys = Object.entries(extra).map(([k, v]) => `  ${k}: ${v}\n`);
  return `alerts:\n${keys.join('')}  sinks:\n    - webhook: { url: "${url}" }\n`;
}
