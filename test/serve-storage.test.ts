/**
 * Sizing, replication and legal holds through `cairn serve`, end to end (the built bundle on a free
 * port, a local repository and a replica folder named by the policy): `GET /api/v1/stats` and the
 * replication status answer exactly what the CLI prints with `--json`; an operator replicates, only
 * to the policy's replica; /metrics shows the replication gauges, refreshed in the background after a
 * replication; an operator places a legal hold, and lifting it is an approval request that runs once,
 * after two approvers other than the requester each grant it with a fresh TOTP code.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertExit } from './e2e.js';
import { type Fixture, fixture } from './helpers.js';
import { createBucket, s3Env } from './s3-support.js';
import {
  apiToken,
  client,
  enrolMfa,
  localToken,
  type ServeProcess,
  startServe,
  timeless,
  totp,
  until,
} from './serve-support.js';

/**
 * app-prod's tier replicates after every snapshot and asks two approvers to delete (and so to lift a
 * hold); app-dev's does neither. The replica is `replica/` beside the policy.
 */
const POLICY = `version: 1
governance:
  retentionClasses:
    short: { keep: 0d }
tiers:
  1:
    retentionClass: short
    keep: { last: 2 }
    deleteApprovals: 2
    replicate: true
  2:
    retentionClass: short
    keep: { last: 2 }
items:
  - name: app-prod
    owner: team@example.com
    tier: 1
    sources:
      - files: { root: src/prod }
  - name: app-dev
    owner: team@example.com
    tier: 2
    sources:
      - files: { root: src/dev }
replication:
  to: replica
`;

interface Created {
  snapshots: Array<{ item: string; id: string }>;
  replication?: { to: string; ok: boolean; items: string[]; result?: { copied: number } };
}
interface Approval {
  id: string;
  action: string;
  target: string;
  status: string;
  required: number;
  requestedBy: string;
  votes: Array<{ approver: string }>;
  result: { released?: number; stillHeld?: number; hold?: { snapshot: string } } | null;
}
interface Hold {
  snapshot: string;
  item: string;
  reason: string | null;
  actor: string;
  time: string;
}
interface Status {
  from: string;
  to: string;
  behind: number;
  items: Array<{ item: string; behind: number; lagMs: number }>;
}
type ErrorBody = { error: { code: string; message: string } };

/** Prometheus samples by `name{labels}`. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

describe('cairn serve: stats, replication and legal holds', () => {
  let f: Fixture;
  let server: ServeProcess;
  const t: Record<string, string> = {};
  const as = (who: string) => client(server.url, t[who]);
  const ids: Record<string, string> = {};
  const mfa: Record<string, string> = {};
  const created: Created[] = [];
  const localJson = <T>(args: readonly string[]): T => {
    const r = f.cli([...args, '--json']);
    assert.ok(r.code === 0 || r.code === 1, `${args.join(' ')}: ${r.stdout}\n${r.stderr}`);
    return r.json<T>();
  };

  before(async () => {
    f = fixture({ policy: POLICY });
    t['admin-a'] = localToken(f, 'admin-a', ['admin']);
    t['admin-b'] = localToken(f, 'admin-b', ['admin']);
    server = await startServe(f);
    // The operator and the approvers were made by different admins: they count as different people.
    t.operator = await apiToken(server.url, t['admin-a']!, 'operator', ['operator']);
    for (const name of ['approver1', 'approver2'])
      t[name] = await apiToken(server.url, t['admin-b']!, name, ['approver']);
    for (const role of ['viewer', 'restorer', 'auditor'])
      t[role] = await apiToken(server.url, t['admin-b']!, role, [role]);
    for (const who of ['approver1', 'approver2']) mfa[who] = (await enrolMfa(server.url, t[who]!)).secret;
    const op = as('operator');
    created.push(await op.ok<Created>(op.post('/api/v1/snapshots', {})));
    for (const snap of created[0]!.snapshots) ids[snap.item] = snap.id;
    f.write('src/prod/app.env', 'LOG_LEVEL=debug\nDB_HOST=db.internal\n');
    created.push(await op.ok<Created>(op.post('/api/v1/snapshots', { items: ['app-prod'], release: '1.1.0' })));
    ids.second = created[1]!.snapshots[0]!.id;
    f.write('src/dev/app.env', 'LOG_LEVEL=trace\n');
    created.push(await op.ok<Created>(op.post('/api/v1/snapshots', { items: ['app-dev'] })));
  });
  after(async () => {
    await server?.stop();
  });

  it('lists the new routes in its OpenAPI document', async () => {
    const doc = await as('viewer').ok<{ paths: Record<string, Record<string, unknown>> }>(
      as('viewer').get('/api/v1/openapi.json'),
    );
    for (const [path, method] of [
      ['/api/v1/stats', 'get'],
      ['/api/v1/replication/status', 'get'],
      ['/api/v1/replicate', 'post'],
      ['/api/v1/holds', 'get'],
      ['/api/v1/holds', 'post'],
      ['/api/v1/holds/{id}', 'delete'],
    ] as const) {
      assert.ok(doc.paths[path]?.[method], `${method} ${path}`);
    }
  });

  it('GET /api/v1/stats is `cairn stats --json`, for any role; an unknown item is a 400 naming it', async () => {
    for (const [query, args] of [
      ['', []],
      ['?projection=2y&window=90d', ['--projection', '2y', '--window', '90d']],
      ['?item=app-prod', ['--item', 'app-prod']],
      ['?tier=2', ['--tier', '2']],
    ] as const) {
      const there = await as('restorer').ok(as('restorer').get(`/api/v1/stats${query}`));
      const here = localJson(['stats', ...args]);
      assert.deepEqual(timeless(there), timeless(here), query);
    }
    const stats = await as('viewer').ok<{ total: { snapshots: number }; items: Array<{ item: string }> }>(
      as('viewer').get('/api/v1/stats'),
    );
    assert.equal(stats.total.snapshots, 4);
    assert.deepEqual(stats.items.map((i) => i.item).sort(), ['app-dev', 'app-prod']);
    const unknown = await as('viewer').get('/api/v1/stats?item=nope');
    assert.equal(unknown.status, 400);
    assert.match((unknown.body as unknown as ErrorBody).error.message, /"nope": no such item/);
    const badPeriod = await as('viewer').get('/api/v1/stats?projection=200y');
    assert.equal(badPeriod.status, 400);
    assert.match((badPeriod.body as unknown as ErrorBody).error.message, /projection "200y" is not a period/);
  });

  it('replicates after a snapshot of an item whose tier says so, as `cairn snapshot` does', () => {
    const replica = join(f.dir, 'replica');
    const [all, prod, dev] = created;
    assert.deepEqual(
      [all!.replication?.to, all!.replication?.ok, all!.replication?.items],
      [replica, true, ['app-prod']],
    );
    assert.ok((all!.replication?.result?.copied ?? 0) > 5);
    assert.equal(prod!.replication?.ok, true);
    assert.equal(dev!.replication, undefined, "app-dev's tier does not replicate");
  });

  it("replicates only to the policy's replica; status and /metrics show the lag, then none", async () => {
    const replica = join(f.dir, 'replica');
    const before = await as('viewer').ok<Status>(as('viewer').get('/api/v1/replication/status'));
    assert.equal(before.to, replica);
    assert.equal(before.behind, 1, "app-dev's last snapshot");
    assert.deepEqual(timeless(before), timeless(localJson(['replicate', '--status'])));
    const scrape = async () => samples((await as('viewer').get('/metrics')).text);
    const m = await scrape();
    assert.equal(m.get('cairn_replication_behind_snapshots{item="app-prod"}'), 0);
    assert.equal(m.get('cairn_replication_behind_snapshots{item="app-dev"}'), 1);
    assert.equal(m.get('cairn_replication_lag_seconds{item="app-prod"}'), 0);
    assert.ok(m.get('cairn_replication_lag_seconds{item="app-dev"}')! > 0);
    assert.ok(m.has(`cairn_replication_status_timestamp_seconds{replica="${replica}"}`));

    assert.equal((await as('viewer').post('/api/v1/replicate', {})).status, 403);
    for (const to of [join(f.dir, 'elsewhere'), 'replica', 's3://other-bucket/cairn']) {
      const refused = await as('operator').post('/api/v1/replicate', { to });
      assert.equal(refused.status, 403, to);
      assert.match((refused.body as unknown as ErrorBody).error.message, /replication\.to: .*replica/);
    }
    const copied = await as('operator').ok<{ ok: boolean; copied: number; to: string }>(
      as('operator').post('/api/v1/replicate', { to: replica, concurrency: 2 }),
    );
    assert.deepEqual([copied.ok, copied.to], [true, replica]);
    assert.ok(copied.copied >= 3, `copied ${copied.copied}: the snapshot, a pack and an index at least`);
    const again = await as('operator').ok<{ copied: number }>(as('operator').post('/api/v1/replicate', {}));
    assert.equal(again.copied, 0, 'idempotent');

    // The replication made the gauges out of date: a scrape starts working them out again, and a later one shows it.
    await until(
      'the replication gauges to show no lag',
      scrape,
      (s) => s.get('cairn_replication_behind_snapshots{item="app-dev"}') === 0,
    );
    const after = await as('viewer').ok<Status>(as('viewer').get('/api/v1/replication/status'));
    assert.equal(after.behind, 0);
    assert.deepEqual(timeless(after), timeless(localJson(['replicate', '--status'])));

    const events = await as('auditor').ok<{ events: Array<{ identity: string; result: string; target: string }> }>(
      as('auditor').get('/api/v1/audit/events?action=replication.run'),
    );
    assert.deepEqual(
      events.events
        .filter((e) => e.result === 'ok' && e.identity.startsWith('token:'))
        .map((e) => [e.identity, e.target]),
      [
        ['token:operator', replica],
        ['token:operator', replica],
      ],
    );
  });

  it('an operator places a legal hold (201, then 200); holds are read by operators, approvers and auditors', async () => {
    const op = as('operator');
    const placed = await op.ok<{ hold: Hold; objects: number; alreadyHeld: boolean }>(
      op.post('/api/v1/holds', { snapshot: ids.second!.slice(0, 12), reason: 'LEGAL-7: litigation' }),
      201,
    );
    assert.deepEqual(
      [placed.hold.snapshot, placed.hold.item, placed.hold.reason, placed.hold.actor, placed.alreadyHeld],
      [ids.second, 'app-prod', 'LEGAL-7: litigation', 'token:operator', false],
    );
    assert.ok(placed.objects >= 3, `${placed.objects} objects`);
    const again = await op.ok<{ alreadyHeld: boolean }>(op.post('/api/v1/holds', { snapshot: ids.second }), 200);
    assert.equal(again.alreadyHeld, true);
    assert.equal((await as('viewer').post('/api/v1/holds', { snapshot: ids.second })).status, 403);
    assert.equal((await op.post('/api/v1/holds', { snapshot: 'ffffffffffff' })).status, 404);

    for (const who of ['operator', 'approver1', 'auditor', 'admin-a']) {
      const { holds } = await as(who).ok<{ holds: Hold[] }>(as(who).get('/api/v1/holds'));
      assert.deepEqual(
        holds.map((h) => h.snapshot),
        [ids.second],
        who,
      );
    }
    for (const who of ['viewer', 'restorer']) assert.equal((await as(who).get('/api/v1/holds')).status, 403, who);
    assert.deepEqual(await op.ok(op.get('/api/v1/holds')), localJson(['hold', 'list']));

    // Held: forgetting it is refused when asked, before anyone is asked to approve.
    const forget = await op.post('/api/v1/forget', { ids: [ids.second] });
    assert.equal(forget.status, 409);
    assert.equal((forget.body as unknown as ErrorBody).error.code, 'CAIRN_E_RETAINED');
  });

  it('lifting a hold is an approval request; it runs once, after two approvers grant it with fresh TOTP codes', async () => {
    const op = as('operator');
    const noHold = await op.del(`/api/v1/holds/${ids['app-dev']}`, {});
    assert.equal(noHold.status, 404, 'a snapshot without a hold: nothing to approve');
    assert.match((noHold.body as unknown as ErrorBody).error.message, /has no legal hold/);
    assert.equal((await as('viewer').del(`/api/v1/holds/${ids.second}`, {})).status, 403);

    const { approval } = await op.ok<{ approval: Approval }>(
      op.del(`/api/v1/holds/${ids.second!.slice(0, 10)}`, { reason: 'LEGAL-7 settled' }),
      202,
    );
    assert.deepEqual(
      [approval.action, approval.target, approval.status, approval.required, approval.requestedBy],
      ['hold.remove', ids.second, 'pending', 2, 'token:operator'],
    );
    const held = async () => (await op.ok<{ holds: Hold[] }>(op.get('/api/v1/holds'))).holds.length;
    assert.equal(await held(), 1, 'asking lifts nothing');

    const grant = (who: string, code: string) => as(who).post(`/api/v1/approvals/${approval.id}/grant`, { totp: code });
    assert.equal((await grant('approver1', '000000')).status, 403, 'a wrong code');
    const code1 = await totp(mfa.approver1!, 1);
    const first = await as('approver1').ok<Approval>(grant('approver1', code1));
    assert.deepEqual([first.status, first.votes.length], ['pending', 1]);
    assert.equal(await held(), 1, 'one approval of two lifts nothing');
    const twice = await grant('approver1', await totp(mfa.approver1!, -1));
    assert.equal(twice.status, 409, 'one vote per approver');

    const done = await as('approver2').ok<Approval>(grant('approver2', await totp(mfa.approver2!, 1)));
    assert.equal(done.status, 'executed', JSON.stringify(done));
    assert.equal(done.result?.hold?.snapshot, ids.second);
    assert.ok((done.result?.released ?? 0) >= 3, JSON.stringify(done.result));
    assert.equal(await held(), 0);
    const late = await grant('approver2', await totp(mfa.approver2!, -1));
    assert.ok(late.status >= 400, 'an executed request takes no more grants');

    const events = await as('auditor').ok<{
      events: Array<{ identity: string; result: string; approvalId: string | null }>;
    }>(as('auditor').get('/api/v1/audit/events?action=hold.remove'));
    assert.deepEqual(
      events.events.map((e) => [e.identity, e.result, e.approvalId]),
      [
        ['token:approver2', 'allowed', approval.id],
        ['token:approver2', 'ok', approval.id],
      ],
      'performed exactly once, under the completing approver',
    );

    // Lifted: the snapshot can be asked to be forgotten again.
    const forget = await op.post('/api/v1/forget', { ids: [ids.second] });
    assert.equal(forget.status, 202, forget.text);
    const local = f.cli(['hold', 'list', '--json']);
    assertExit(local, 0);
    assert.deepEqual(local.json(), { holds: [] });
  });
});

describe('cairn serve: replication to a replica on S3 (Ceph RGW with Object Lock)', () => {
  let f: Fixture;
  let server: ServeProcess;
  let operator = '';
  const policyTo = (to: string) => POLICY.replace('replication:\n  to: replica\n', `replication:\n  to: ${to}\n`);

  before(async () => {
    const bucket = await createBucket({ tag: 'srv' });
    f = fixture({ policy: policyTo(`s3://${bucket}/replica`) });
    const admin = localToken(f, 'admin', ['admin']);
    server = await startServe(f, [], s3Env());
    operator = await apiToken(server.url, admin, 'operator', ['operator']);
  });
  after(async () => {
    await server?.stop();
  });

  it('replicates after a snapshot and on request, verified; status says up to date', async () => {
    const op = client(server.url, operator);
    const taken = await op.ok<Created>(op.post('/api/v1/snapshots', {}));
    assert.equal(taken.replication?.ok, true, JSON.stringify(taken.replication));
    assert.match(taken.replication?.to ?? '', /^s3:\/\/cairn-srv-/);
    const again = await op.ok<{ ok: boolean; copied: number }>(op.post('/api/v1/replicate', {}));
    assert.deepEqual([again.ok, again.copied], [true, 0]);
    const status = await op.ok<Status>(op.get('/api/v1/replication/status'));
    assert.equal(status.behind, 0);
  });

  it('refuses a replica bucket without Object Lock before copying anything (the policy read again)', async () => {
    const plain = await createBucket({ tag: 'srvplain', plain: true });
    f.write('cairn.yaml', policyTo(`s3://${plain}/replica`));
    const op = client(server.url, operator);
    const refused = await op.post('/api/v1/replicate', {});
    assert.ok(refused.status >= 400 && refused.status < 500, refused.text);
    assert.equal((refused.body as unknown as ErrorBody).error.code, 'CAIRN_E_BUCKET');
    assert.match((refused.body as unknown as ErrorBody).error.message, new RegExp(`${plain}.*Object Lock`, 's'));
  });
});
