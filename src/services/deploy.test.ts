import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ErrorCode, isCairnError } from '../errors/index.js';
import { type Policy, parsePolicy } from '../policy/index.js';
import { failDeployment, finishDeployment, listDeployments, showDeployment, startDeployment } from './deploy.js';
import { initRepository } from './repository-admin.js';
import { openSession, type Session } from './session.js';
import { takeSnapshots } from './snapshot.js';

const secret = { kind: 'password', value: 'deploy tests' } as const;
const NOW = new Date('2026-11-29T10:00:00.000Z');

const POLICY = `version: 1
tiers:
  0: { keep: { last: 5 } }
  2: { keep: { last: 5 } }
environments:
  prod: { autoRollback: true }
  staging: {}
changeTickets:
  provider: { file: { path: tickets.yaml } }
  requireFor: { tiers: [], environments: [prod], actions: [deploy] }
items:
  - name: app
    owner: team@example.com
    tier: 2
    environment: prod
    version: { file: src/app/VERSION }
    requires: [{ item: db, version: ">=14", when: "2.x" }, { item: flags }]
    sources: [{ files: { root: src/app } }]
  - name: db
    owner: team@example.com
    tier: 0
    environment: prod
    version: { file: src/db/schema_version }
    sources: [{ files: { root: src/db } }]
  - name: flags
    owner: team@example.com
    tier: 2
    environment: prod
    sources: [{ files: { root: src/flags } }]
  - name: web
    owner: team@example.com
    tier: 2
    environment: staging
    sources: [{ files: { root: src/web } }]
`;

/** A property of `target`, methods bound to it (they use private fields, which a Proxy receiver lacks). */
function bound(target: object, key: string | symbol): unknown {
  const v: unknown = Reflect.get(target, key);
  return typeof v === 'function' ? v.bind(target) : v;
}

async function expectError(p: Promise<unknown>, code: ErrorCode, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (err) => {
    assert.ok(isCairnError(err, code), `expected ${code}, got ${String(err)}`);
    assert.match(err.message, pattern);
    return true;
  });
}

describe('deployments', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-deploy-'));
  const write = (rel: string, text: string) => {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  };
  let session: Session;
  let policy: Policy;

  before(async () => {
    write('src/app/VERSION', '2.1.0\n');
    write('src/app/app.yaml', 'replicas: 3\n');
    write('src/db/schema_version', '13\n');
    write('src/db/postgresql.conf', 'max_connections = 100\n');
    write('src/flags/flags.json', '{"checkout": true}\n');
    write('src/web/site.conf', 'listen 80;\n');
    write(
      'tickets.yaml',
      `tickets:
  - { id: CHG1, state: scheduled, approval: approved, start: "2026-11-29T09:00:00Z", end: "2026-11-29T11:00:00Z" }
  - { id: CHG2, state: scheduled, approval: rejected, start: "2026-11-29T09:00:00Z", end: "2026-11-29T11:00:00Z" }
  - { id: CHG3, state: scheduled, approval: approved, start: "2026-11-30T09:00:00Z", end: "2026-11-30T11:00:00Z" }
`,
    );
    write('cairn.yaml', POLICY);
    policy = parsePolicy(POLICY, join(dir, 'cairn.yaml'), { now: NOW }).policy;
    const repository = join(dir, 'repo');
    await initRepository({ repository, secret });
    session = await openSession({ repository, secret, home: join(dir, 'home') });
  });
  after(async () => {
    await session?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts with a pre-deploy bundle of every item, a failed requirement explained, the ticket stored', async () => {
    const view = await startDeployment(session, policy, {
      environment: 'prod',
      release: '2.1.0',
      commit: 'abc1234',
      change: 'CHG1',
      pipeline: 'https://ci.example.com/runs/7',
      id: 'D-one',
      actor: 'ci-bot',
      now: NOW,
    });
    assert.equal(view.deployment.status, 'started');
    assert.deepEqual(
      view.pre.map((e) => [e.item, e.status, e.phase]),
      [
        ['app', 'created', 'pre'],
        ['db', 'created', 'pre'],
        ['flags', 'created', 'pre'],
      ],
    );
    assert.ok(view.pre.every((e) => e.snapshotId?.length === 64));
    assert.equal(view.deployment.ticket?.id, 'CHG1');
    assert.equal(view.deployment.ticket?.approved, true);
    const [db, flags] = view.requirements;
    assert.equal(db?.ok, false);
    assert.equal(db?.version, '2.1.0');
    assert.equal(db?.requiredVersion, '13');
    assert.match(
      db?.reason ?? '',
      /app 2\.1\.0 requires db >=14, but db is 13 \(schema_version in snapshot [0-9a-f]{12}\)/,
    );
    assert.equal(flags?.ok, true);
    const snaps = await session.catalog.findSnapshots({ deployment: 'D-one' });
    assert.equal(snaps.length, 3);
    assert.ok(snaps.every((s) => s.trigger === 'pre-deploy' && s.release === '2.1.0' && s.change === 'CHG1'));
    assert.deepEqual(await showDeployment(session, 'D-one'), view);
  });

  it('finishes with a post-deploy bundle (unchanged items verified) and refuses to finish twice', async () => {
    write('src/app/app.yaml', 'replicas: 4\n');
    const view = await finishDeployment(session, policy, 'D-one', { now: new Date(NOW.getTime() + 60_000) });
    assert.equal(view.deployment.status, 'succeeded');
    assert.equal(view.deployment.finishedAt, '2026-11-29T10:01:00.000Z');
    assert.deepEqual(
      view.post.map((e) => [e.item, e.status]),
      [
        ['app', 'created'],
        ['db', 'unchanged'],
        ['flags', 'unchanged'],
      ],
    );
    assert.ok(view.post[1]?.verificationId);
    assert.equal(view.pre.length, 3);
    await expectError(
      finishDeployment(session, policy, 'D-one'),
      'CAIRN_E_EXISTS',
      /D-one is succeeded since .*only a started deployment/,
    );
  });

  it('fails a deployment, saying whether the environment rolls back automatically', async () => {
    const failed = await failDeployment(session, policy, 'D-one', { reason: 'smoke tests red', now: NOW });
    assert.equal(failed.deployment.status, 'failed');
    assert.equal(failed.deployment.reason, 'smoke tests red');
    assert.equal(failed.autoRollback, true);
    await expectError(failDeployment(session, policy, 'D-one'), 'CAIRN_E_EXISTS', /D-one is failed/);
    await expectError(failDeployment(session, policy, 'D-nope'), 'CAIRN_E_NOT_FOUND', /no deployment D-nope/);
    await expectError(finishDeployment(session, policy, 'D-nope'), 'CAIRN_E_NOT_FOUND', /no deployment D-nope/);
    await expectError(showDeployment(session, 'D-nope'), 'CAIRN_E_NOT_FOUND', /no deployment D-nope/);
  });

  it('refuses an unknown environment, listing the known ones, and records nothing', async () => {
    await expectError(
      startDeployment(session, policy, { environment: 'qa', change: 'CHG1' }),
      'CAIRN_E_USAGE',
      /no environment qa in .*cairn\.yaml; environments: prod, staging/,
    );
    await expectError(
      startDeployment(session, policy, { environment: 'prod', id: 'bad id!' }),
      'CAIRN_E_USAGE',
      /not valid/,
    );
    await expectError(
      startDeployment(session, policy, { environment: 'prod', id: 'D-one' }),
      'CAIRN_E_EXISTS',
      /D-one exists already/,
    );
  });

  it('refuses a deployment whose change ticket is missing, unapproved or outside its window', async () => {
    await expectError(
      startDeployment(session, policy, { environment: 'prod', now: NOW }),
      'CAIRN_E_CHANGE_TICKET',
      /needs an approved change ticket/,
    );
    await expectError(
      startDeployment(session, policy, { environment: 'prod', change: 'CHG404', now: NOW }),
      'CAIRN_E_CHANGE_TICKET',
      /CHG404 was not found/,
    );
    await expectError(
      startDeployment(session, policy, { environment: 'prod', change: 'CHG2', now: NOW }),
      'CAIRN_E_CHANGE_TICKET',
      /CHG2 is not approved/,
    );
    await expectError(
      startDeployment(session, policy, { environment: 'prod', change: 'CHG3', now: NOW }),
      'CAIRN_E_CHANGE_TICKET',
      /CHG3 is approved but its window/,
    );
    assert.deepEqual(
      (await listDeployments(session, { environment: 'prod' })).map((d) => d.id),
      ['D-one'],
    );
  });

  it('passes the requirement once the database is at 14, records a generated id, and lists by environment', async () => {
    write('src/db/schema_version', '14\n');
    const view = await startDeployment(session, policy, {
      environment: 'prod',
      change: 'CHG1',
      now: new Date(NOW.getTime() + 120_000),
    });
    assert.match(view.deployment.id, /^D-20261129-[A-Z2-7]{6}$/);
    assert.deepEqual(
      view.requirements.map((r) => r.ok),
      [true, true],
    );
    assert.match(view.requirements[0]?.reason ?? '', /db is 14/);
    const staging = await startDeployment(session, policy, {
      environment: 'staging',
      id: 'D-stg',
      source: 'github',
      externalId: '99',
    });
    assert.deepEqual(staging.requirements, []);
    assert.equal(staging.deployment.ticket, null);
    assert.deepEqual(
      (await listDeployments(session, { environment: 'prod' })).map((d) => d.id),
      [view.deployment.id, 'D-one'],
    );
    assert.equal((await session.catalog.deployments.findExternal('github', '99'))?.id, 'D-stg');
    await expectError(
      startDeployment(session, policy, { environment: 'staging', source: 'github', externalId: '99' }),
      'CAIRN_E_EXISTS',
      /D-stg exists already/,
    );
  });

  it('checks the ticket before a snapshot of a tier the policy names, and returns it with the results', async () => {
    const strict = parsePolicy(
      POLICY.replace(
        'requireFor: { tiers: [], environments: [prod], actions: [deploy] }',
        'requireFor: { tiers: [0], environments: [], actions: [snapshot] }',
      ),
      join(dir, 'cairn.yaml'),
      { now: NOW },
    ).policy;
    const saved = process.env.CAIRN_CHANGE_ID;
    delete process.env.CAIRN_CHANGE_ID;
    try {
      await expectError(
        takeSnapshots(session, strict, { items: ['db'], run: {}, now: NOW }),
        'CAIRN_E_CHANGE_TICKET',
        /snapshot in prod \(tier 0\) needs/,
      );
      await expectError(
        takeSnapshots(session, strict, { items: ['db'], run: { change: 'CHG3' }, now: NOW }),
        'CAIRN_E_CHANGE_TICKET',
        /CHG3 is approved but its window/,
      );
      const results = await takeSnapshots(session, strict, { items: ['db'], run: { change: 'CHG1' }, now: NOW });
      assert.equal(results[0]?.ticket?.id, 'CHG1');
      // Kept in the snapshot's (or verification's) own object in the repository, beside the snapshot.
      const r0 = results[0]!;
      const stored = r0.verification
        ? await session.repo.loadVerification(r0.verification)
        : await session.repo.loadSnapshot(r0.id!);
      assert.equal(stored.ticket?.id, 'CHG1');
      assert.equal(stored.ticket?.approved, true);
      const untouched = await takeSnapshots(session, strict, { items: ['flags'], run: {}, now: NOW });
      assert.equal(untouched[0]?.ticket, undefined);
    } finally {
      if (saved !== undefined) process.env.CAIRN_CHANGE_ID = saved;
    }
  });

  it("covers a deployment's captures with the ticket checked at its start, even after the window closed", async () => {
    const strict = parsePolicy(
      POLICY.replace(
        'requireFor: { tiers: [], environments: [prod], actions: [deploy] }',
        'requireFor: { tiers: [], environments: [prod], actions: [deploy, snapshot] }',
      ),
      join(dir, 'cairn.yaml'),
      { now: NOW },
    ).policy;
    const started = await startDeployment(session, strict, {
      environment: 'prod',
      change: 'CHG1',
      id: 'D-late',
      now: NOW,
    });
    assert.equal(started.deployment.ticket?.inWindow, true);
    // CHG1's window ends at 11:00; the deployment finishes at 13:00.
    const late = new Date('2026-11-29T13:00:00.000Z');
    await expectError(
      takeSnapshots(session, strict, { environment: 'prod', run: { change: 'CHG1' }, now: late }),
      'CAIRN_E_CHANGE_TICKET',
      /window/,
    );
    const finished = await finishDeployment(session, strict, 'D-late', { now: late });
    assert.equal(finished.deployment.status, 'succeeded');
    assert.ok(finished.post.every((e) => e.status !== 'failed'));
    const stored = finished.post[0]!;
    const object = stored.verificationId
      ? await session.repo.loadVerification(stored.verificationId)
      : await session.repo.loadSnapshot(stored.snapshotId!);
    assert.equal(object.ticket?.id, 'CHG1', "the post-deploy capture keeps the deployment's ticket");
  });

  it('finishes again a succeeded deployment whose post-deploy bundle has a failed item, retaking only that item', async () => {
    await startDeployment(session, policy, { environment: 'prod', id: 'D-retake', change: 'CHG1', now: NOW });
    renameSync(join(dir, 'src/flags'), join(dir, 'src/flags.away')); // the source fails at finish
    let view: Awaited<ReturnType<typeof finishDeployment>>;
    try {
      view = await finishDeployment(session, policy, 'D-retake', { now: NOW });
    } finally {
      renameSync(join(dir, 'src/flags.away'), join(dir, 'src/flags'));
    }
    assert.equal(view.deployment.status, 'succeeded');
    const flags = view.post.find((e) => e.item === 'flags');
    assert.equal(flags?.status, 'failed');
    const others = view.post.filter((e) => e.item !== 'flags').map((e) => [e.item, e.snapshotId, e.verificationId]);
    const again = await finishDeployment(session, policy, 'D-retake', { now: NOW });
    assert.equal(again.deployment.status, 'succeeded');
    assert.notEqual(again.post.find((e) => e.item === 'flags')?.status, 'failed');
    assert.deepEqual(
      again.post.filter((e) => e.item !== 'flags').map((e) => [e.item, e.snapshotId, e.verificationId]),
      others,
      'the items captured the first time are left as they were',
    );
    await expectError(finishDeployment(session, policy, 'D-retake', { now: NOW }), 'CAIRN_E_EXISTS', /succeeded/);
  });

  it('records a deployment whose pre-deploy bundle has a failed item, saying so', async () => {
    rmSync(join(dir, 'src/web'), { recursive: true, force: true });
    const view = await startDeployment(session, policy, { environment: 'staging', id: 'D-broken' });
    assert.equal(view.deployment.status, 'started');
    assert.equal(view.pre[0]?.status, 'failed');
    assert.match(view.pre[0]?.error ?? '', /^CAIRN_E_/);
    assert.equal((await showDeployment(session, 'D-broken')).pre[0]?.status, 'failed');
  });

  it('records the deployment before its capture; a capture that fails half-way leaves it failed, items listed', async () => {
    write('src/web/site.conf', 'listen 80;\n');
    const held = await session.repo.lock(true, 'prune');
    try {
      await expectError(
        startDeployment(session, policy, {
          environment: 'staging',
          id: 'D-locked',
          externalId: 'x-1',
          source: 'generic',
        }),
        'CAIRN_E_REPO_LOCKED',
        /locked by prune/,
      );
    } finally {
      await held.release();
    }
    const view = await showDeployment(session, 'D-locked');
    assert.equal(view.deployment.status, 'failed');
    assert.match(view.deployment.reason ?? '', /^pre-deploy capture failed: CAIRN_E_REPO_LOCKED: repository is locked/);
    assert.ok(view.deployment.finishedAt);
    assert.deepEqual(
      view.pre.map((e) => [e.item, e.status, e.snapshotId]),
      [['web', 'failed', null]],
    );
    assert.match(view.pre[0]?.error ?? '', /CAIRN_E_REPO_LOCKED/);
    // Neither finished nor started again under the same external id; a new start can follow.
    await expectError(finishDeployment(session, policy, 'D-locked'), 'CAIRN_E_EXISTS', /D-locked is failed/);
    await expectError(
      startDeployment(session, policy, { environment: 'staging', externalId: 'x-1', source: 'generic' }),
      'CAIRN_E_EXISTS',
      /D-locked exists already \(failed\)/,
    );
  });

  it('refuses to finish or fail while the pre-deploy capture runs (retryable 409), then finishes', async () => {
    const d = session.catalog.deployments;
    const started = new Date();
    await d.create({
      id: 'D-capturing',
      environment: 'staging',
      release: null,
      commit: null,
      change: null,
      pipeline: null,
      status: 'started',
      source: 'cli',
      externalId: null,
      actor: 'ci',
      startedAt: started.toISOString(),
      finishedAt: null,
      reason: null,
      ticket: null,
      requirements: [],
    });
    const pending = {
      deployment: 'D-capturing',
      phase: 'pre' as const,
      item: 'web',
      snapshotId: null,
      verificationId: null,
      error: null,
    };
    await d.putBundle([{ ...pending, status: 'pending' }]);
    for (const attempt of [
      finishDeployment(session, policy, 'D-capturing'),
      failDeployment(session, policy, 'D-capturing'),
    ])
      await assert.rejects(attempt, (err) => {
        assert.ok(isCairnError(err, 'CAIRN_E_EXISTS'), String(err));
        assert.match(err.message, /D-capturing is still taking its pre-deploy bundle \(pending: web\)/);
        assert.deepEqual([err.details?.retryable, err.details?.capture, err.httpStatus], [true, 'running', 409]);
        return true;
      });
    assert.equal((await d.get('D-capturing'))?.status, 'started');
    // A start interrupted long ago (its process died) is not waited for.
    const later = new Date(started.getTime() + 7 * 60 * 60_000);
    await failDeployment(session, policy, 'D-capturing', { now: later, reason: 'abandoned' });
    assert.equal((await d.get('D-capturing'))?.status, 'failed');
    // Once captured, a finish goes through.
    const view = await startDeployment(session, policy, { environment: 'staging', id: 'D-captured' });
    assert.deepEqual(
      view.pre.map((e) => e.status),
      ['unchanged'],
    ); // web as at D-broken's start: verified
    assert.equal((await finishDeployment(session, policy, 'D-captured')).deployment.status, 'succeeded');
  });

  it('fails a deployment after it succeeded, and a finish that loses the race to a failure says so', async () => {
    const failed = await failDeployment(session, policy, 'D-captured', { reason: 'alerts after release' });
    assert.equal(failed.deployment.status, 'failed');
    assert.equal(failed.deployment.reason, 'alerts after release');
    // A fail recorded while finish takes its post-deploy bundle wins: finish's compare-and-set refuses.
    await startDeployment(session, policy, { environment: 'staging', id: 'D-race' });
    const deployments = session.catalog.deployments;
    const racing: Session = {
      ...session,
      catalog: new Proxy(session.catalog, {
        get: (t, k) =>
          k === 'deployments'
            ? new Proxy(deployments, {
                get: (dt, dk) =>
                  dk === 'putBundle'
                    ? async (entries: Parameters<typeof deployments.putBundle>[0]) => {
                        // The failure lands while finish is taking its post-deploy bundle.
                        if (entries[0]?.phase === 'post')
                          await failDeployment(session, policy, 'D-race', { reason: 'smoke tests red' });
                        return dt.putBundle(entries);
                      }
                    : bound(dt, dk),
              })
            : bound(t, k),
      }),
    };
    await expectError(
      finishDeployment(racing, policy, 'D-race'),
      'CAIRN_E_EXISTS',
      /D-race is failed .*not started: it cannot become succeeded/,
    );
    const after = await showDeployment(session, 'D-race');
    assert.deepEqual([after.deployment.status, after.deployment.reason], ['failed', 'smoke tests red']);
  });
});
