import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type CairnError, isCairnError } from '../../errors/index.js';
import { type Policy, parsePolicy } from '../../policy/index.js';
import { checkChangeTicket } from './index.js';

const NOW = new Date('2026-11-29T10:00:00.000Z');
const dir = mkdtempSync(join(tmpdir(), 'cairn-tickets-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function policy(
  provider: string,
  requireFor = '{ tiers: [0], environments: [prod], actions: [snapshot, deploy] }',
): Policy {
  const text = `version: 1
tiers:
  0: { keep: { last: 2 } }
  2: { keep: { last: 2 } }
environments:
  prod: {}
  dev: {}
changeTickets:
  provider: ${provider}
  requireFor: ${requireFor}
items:
  - { name: app, owner: a@example.com, tier: 2, environment: prod, sources: [{ files: { root: src } }] }
`;
  return parsePolicy(text, join(dir, 'cairn.yaml'), { now: NOW }).policy;
}

async function ticketError(p: Promise<unknown>, pattern: RegExp): Promise<CairnError> {
  let caught: unknown;
  await p.catch((err) => {
    caught = err;
  });
  assert.ok(isCairnError(caught, 'CAIRN_E_CHANGE_TICKET'), `expected CAIRN_E_CHANGE_TICKET, got ${String(caught)}`);
  assert.match(caught.message, pattern);
  return caught;
}

describe('change tickets from a file', () => {
  writeFileSync(
    join(dir, 'tickets.yaml'),
    `tickets:
  - { id: CHG1, state: scheduled, approval: approved, start: "2026-11-29 09:00:00", end: "2026-11-29T11:00:00Z" }
  - { id: CHG2, state: assess, approval: requested, start: "2026-11-29 09:00:00", end: "2026-11-29 11:00:00" }
  - { id: CHG3, state: implement, approval: approved, start: "2026-11-28 09:00:00", end: "2026-11-28 11:00:00" }
`,
  );
  const p = policy('{ file: { path: tickets.yaml } }');
  const check = (
    change: string | null,
    extra: { tiers?: string[]; environment?: string; action?: 'deploy' | 'rollback' } = {},
  ) =>
    checkChangeTicket(p, {
      action: extra.action ?? 'deploy',
      tiers: extra.tiers ?? ['2'],
      environment: extra.environment ?? 'prod',
      change,
      now: NOW,
    });

  it('is not asked when the policy does not require a ticket for the action, tiers and environment', async () => {
    assert.equal(await check(null, { environment: 'dev' }), null);
    assert.equal(await check(null, { action: 'rollback' }), null);
    assert.equal(
      await checkChangeTicket(policy('{ file: { path: nowhere.yaml } }'), {
        action: 'snapshot',
        tiers: ['2'],
        change: null,
        now: NOW,
      }),
      null,
    );
  });

  it('returns the state of an approved ticket whose window covers now (either tier or environment matches)', async () => {
    const state = await check('CHG1');
    assert.deepEqual(state, {
      id: 'CHG1',
      provider: `file ${join(dir, 'tickets.yaml')}`,
      state: 'scheduled',
      approval: 'approved',
      start: '2026-11-29T09:00:00.000Z',
      end: '2026-11-29T11:00:00.000Z',
      approved: true,
      inWindow: true,
      checkedAt: NOW.toISOString(),
    });
    assert.equal((await check('CHG1', { environment: 'dev', tiers: ['0'] }))?.id, 'CHG1');
  });

  it('refuses a missing ticket id, an unknown ticket, an unapproved one and one outside its window', async () => {
    await ticketError(
      check(null),
      /deploy in prod \(tier 2\) needs an approved change ticket.*--change ID or set CAIRN_CHANGE_ID/,
    );
    await ticketError(check('CHG404'), /change ticket CHG404 was not found in file .*tickets\.yaml/);
    const unapproved = await ticketError(check('CHG2'), /CHG2 is not approved \(state assess, approval requested/);
    assert.equal((unapproved.details?.ticket as { approved?: boolean } | undefined)?.approved, false);
    const outside = await ticketError(
      check('CHG3'),
      /CHG3 is approved but its window 2026-11-28T09:00:00.000Z – 2026-11-28T11:00:00.000Z does not cover now \(2026-11-29T10:00:00.000Z\)/,
    );
    assert.equal(outside.details?.now, NOW.toISOString());
  });

  it('says which file cannot be read or has no ticket list', async () => {
    await ticketError(
      checkChangeTicket(policy('{ file: { path: missing.yaml } }'), {
        action: 'deploy',
        tiers: [],
        environment: 'prod',
        change: 'X',
        now: NOW,
      }),
      /missing\.yaml cannot be read \(ENOENT\)/,
    );
    writeFileSync(join(dir, 'bad.yaml'), 'tickets: nope\n');
    await ticketError(
      checkChangeTicket(policy('{ file: { path: bad.yaml } }'), {
        action: 'deploy',
        tiers: [],
        environment: 'prod',
        change: 'X',
        now: NOW,
      }),
      /bad\.yaml has no `tickets:` list/,
    );
  });
});

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('change tickets from a ServiceNow-shaped Table API', () => {
  let server: Server;
  let base: string;
  const seen: IncomingMessage[] = [];
  const rows: Record<string, Record<string, unknown>> = {
    CHG0030001: {
      number: 'CHG0030001',
      state: '-2',
      approval: 'approved',
      start_date: '2026-11-29 09:30:00',
      end_date: '2026-11-29 10:30:00',
    },
    CHG0030002: {
      number: 'CHG0030002',
      state: '-4',
      approval: 'requested',
      start_date: '2026-11-29 09:30:00',
      end_date: '2026-11-29 10:30:00',
    },
    CHG0030003: {
      number: 'CHG0030003',
      state: 'Implement',
      approval: 'approved',
      planned_start: '2026-11-30 09:30:00',
      planned_end: '2026-11-30 10:30:00',
    },
  };
  before(async () => {
    server = createServer((req, res) => {
      seen.push(req);
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/fail') return void res.writeHead(500).end('boom');
      if (
        req.headers.authorization !== 'Bearer s3cret' &&
        req.headers.authorization !== `Basic ${Buffer.from('cab:pw').toString('base64')}`
      ) {
        return void res
          .writeHead(401, { 'content-type': 'application/json' })
          .end('{"error":{"message":"User Not Authenticated"}}');
      }
      if (url.pathname === '/other') {
        // A provider answering some other ticket than the one asked for.
        return void res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ result: [rows.CHG0030001] }));
      }
      // ServiceNow's encoded query: `^NQ` and `^OR` join alternatives, `^` joins conditions.
      const query = url.searchParams.get('sysparm_query') ?? '';
      const alternatives = query.split(/\^NQ|\^OR/).map((q) => q.split('^').map((c) => c.split('=')));
      const row = Object.values(rows).find((r) =>
        alternatives.some((conds) => conds.every(([field, value]) => r[field ?? ''] === value)),
      );
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ result: row ? [row] : [] }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  const http = (path: string, extra = 'tokenEnv: SNOW_TOKEN') =>
    policy(`{ http: { url: "${base}${path}", ${extra} } }`);
  const env = { SNOW_TOKEN: 's3cret', CAB_USER: 'cab', CAB_PASSWORD: 'pw' };
  const check = (p: Policy, change: string, e: Record<string, string> = env) =>
    checkChangeTicket(p, { action: 'deploy', tiers: ['0'], environment: 'prod', change, now: NOW, env: e });

  it('asks for one ticket by number with the bearer token and maps ServiceNow state codes', async () => {
    seen.length = 0;
    const state = await check(http('/api/now/table/change_request'), 'CHG0030001');
    assert.equal(state?.state, 'scheduled');
    assert.equal(state?.start, '2026-11-29T09:30:00.000Z');
    assert.equal(state?.approved, true);
    const url = new URL(seen[0]?.url ?? '', 'http://x');
    assert.equal(url.pathname, '/api/now/table/change_request');
    assert.equal(url.searchParams.get('sysparm_query'), 'number=CHG0030001');
    assert.equal(url.searchParams.get('sysparm_limit'), '1');
    assert.equal(url.searchParams.get('sysparm_fields'), 'number,state,approval,start_date,end_date');
    assert.equal(seen[0]?.headers.accept, 'application/json');
  });

  it('uses basic auth and the field mapping of the policy', async () => {
    const p = http(
      '/t',
      'userEnv: CAB_USER, passwordEnv: CAB_PASSWORD, fields: { start: planned_start, end: planned_end }',
    );
    await ticketError(check(p, 'CHG0030003'), /CHG0030003 is approved but its window 2026-11-30T09:30:00.000Z/);
  });

  it('refuses an unapproved ticket, an unknown one, a 401, a 500 and an unreachable provider', async () => {
    await ticketError(check(http('/t'), 'CHG0030002'), /not approved \(state assess, approval requested/);
    await ticketError(check(http('/t'), 'CHG0000000'), /CHG0000000 was not found in http http:\/\/127\.0\.0\.1/);
    const denied = await ticketError(
      check(http('/t'), 'CHG0030001', { SNOW_TOKEN: 'wrong' }),
      /answered HTTP 401 \(check the credentials/,
    );
    assert.equal(denied.details?.status, 401);
    await ticketError(check(http('/fail'), 'CHG0030001'), /\/fail answered HTTP 500/);
    await ticketError(check(http('/t'), 'CHG0030001', {}), /needs \$SNOW_TOKEN, which is not set/);
    await ticketError(
      check(policy(`{ http: { url: "http://127.0.0.1:${await closedPort()}/x" } }`), 'CHG0030001'),
      /http:\/\/127\.0\.0\.1:\d+\/x is unreachable \(ECONNREFUSED\)/,
    );
  });

  it('refuses a change id carrying query operators before asking, and a ticket other than the one asked for', async () => {
    // Without the id check, `CHG0000000^ORapproval=approved` would match the approved CHG0030001.
    for (const id of ['CHG0000000^ORapproval=approved', 'X^NQnumber=CHG0030001', 'CHG 1', '', 'a'.repeat(129)]) {
      seen.length = 0;
      let caught: unknown;
      await check(http('/t'), id).catch((err) => {
        caught = err;
      });
      if (id === '') {
        assert.ok(isCairnError(caught, 'CAIRN_E_CHANGE_TICKET'), String(caught));
        continue;
      }
      assert.ok(isCairnError(caught, 'CAIRN_E_USAGE'), `expected CAIRN_E_USAGE for ${id}, got ${String(caught)}`);
      assert.match(caught.message, /change ticket id .* is not a ticket id/);
      assert.equal(seen.length, 0, 'the provider is not asked');
    }
    await ticketError(
      check(http('/other'), 'CHG0030009'),
      /CHG0030009: http:\/\/127\.0\.0\.1:\d+\/other answered ticket "CHG0030001", not CHG0030009; refused/,
    );
  });

  it('never shows the credentials of the provider URL', async () => {
    const p = policy(`{ http: { url: "http://cab:hunter22@127.0.0.1:${await closedPort()}/x?token=abc123" } }`);
    const err = await ticketError(check(p, 'CHG0030001'), /unreachable|answered/);
    assert.doesNotMatch(err.message, /hunter22|abc123/);
    assert.doesNotMatch(JSON.stringify(err.details), /hunter22|abc123/);
  });
});
