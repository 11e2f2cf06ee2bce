/**
 * What the alert tests share: a fresh catalog (SQLite or PostgreSQL) with an audit log over it, a
 * clock that moves when told, a policy the test can swap, AlertCenters over all of it, and a plain
 * node:http webhook receiver that answers as told.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import { AuditLog } from '../../audit/index.js';
import { type Catalog, openCatalog } from '../../catalog/index.js';
import type { CatalogTarget } from '../../catalog/test-support.js';
import { type Policy, parsePolicy } from '../../policy/index.js';
import { AlertCenter, type AlertCenterOptions } from './alert-center.js';

export class Clock {
  #now: number;
  constructor(start = '2026-11-02T09:00:00.000Z') {
    this.#now = Date.parse(start);
  }
  readonly now = (): Date => new Date(this.#now);
  advance(ms: number): void {
    this.#now += ms;
  }
}

/** A policy with one prod item `app` (tier 0, RPO 1h), the given alert sinks (YAML list entries) and thresholds. */
export function alertPolicy(sinks: readonly string[], alerts = 'consecutiveFailures: 2\n  escalateAfter: 30m'): Policy {
  const yaml = `version: 1
tiers:
  0: { rpo: 1h, keep: { last: 5 } }
environments:
  prod: {}
items:
  - name: app
    owner: team@example.com
    tier: 0
    environment: prod
    sources: [{ files: { root: src } }]
alerts:
  ${alerts}
  sinks:${sinks.length === 0 ? ' []' : ''}
${sinks.map((s) => `    - ${s}`).join('\n')}
`;
  const loaded = parsePolicy(yaml, '/nonexistent/cairn.yaml');
  const errors = loaded.issues.filter((i) => i.severity === 'error');
  if (errors.length > 0) throw new Error(`test policy invalid: ${JSON.stringify(errors)}`);
  return loaded.policy;
}

export interface AlertFixture {
  readonly catalog: Catalog;
  readonly log: AuditLog;
  readonly clock: Clock;
  /** The policy every center of the fixture reads, swappable. */
  policy: Policy;
  center(o?: Partial<AlertCenterOptions>): AlertCenter;
  /** A second handle on the same database (another replica). */
  replica(): Promise<{ catalog: Catalog; log: AuditLog; center(o?: Partial<AlertCenterOptions>): AlertCenter }>;
  events(action: string): Promise<Array<{ identity: string; target: string | null; details: Record<string, unknown> }>>;
}

export const PD_KEY = 'R0UT1NGKEY0123456789ABCDEFGHIJKL'; // 32 characters, as PagerDuty's

export async function alertFixture(t: TestContext, target: CatalogTarget, policy: Policy): Promise<AlertFixture> {
  const { options, remove } = await target.fresh();
  const catalog = await openCatalog(options);
  const clock = new Clock();
  const log = new AuditLog({ store: catalog.audit, clock: clock.now });
  const opened: Catalog[] = [catalog];
  t.after(async () => {
    for (const c of opened) await c.close();
    await remove();
  });
  const f: AlertFixture = {
    catalog,
    log,
    clock,
    policy,
    center: (o = {}) => makeCenter(catalog, log, o),
    async replica() {
      const other = await openCatalog(options);
      opened.push(other);
      const otherLog = new AuditLog({ store: other.audit, clock: clock.now });
      return { catalog: other, log: otherLog, center: (o = {}) => makeCenter(other, otherLog, o) };
    },
    async events(action) {
      return (await log.query({ action })).map((e) => ({
        identity: e.identity,
        target: e.target,
        details: e.details as Record<string, unknown>,
      }));
    },
  };
  function makeCenter(c: Catalog, l: AuditLog, o: Partial<AlertCenterOptions>): AlertCenter {
    return new AlertCenter({
      catalog: c,
      log: l,
      policy: async () => f.policy,
      env: { PD_KEY },
      now: clock.now,
      backoffMs: 1000,
      onError: (what, err) => {
        throw new Error(`${what}: ${String(err)}`);
      },
      ...o,
    });
  }
  return f;
}

export interface HookRequest {
  readonly headers: IncomingHttpHeaders;
  readonly body: Record<string, unknown>;
}

export interface HookReceiver {
  readonly url: string;
  readonly requests: HookRequest[];
  stop(): Promise<void>;
}

/** A webhook receiver: answers the statuses in `answers` in turn, then 200. */
export async function startHookReceiver(answers: readonly number[] = []): Promise<HookReceiver> {
  const queue = [...answers];
  const requests: HookRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = queue.shift() ?? 200;
      if (status < 300) {
        requests.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      }
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
