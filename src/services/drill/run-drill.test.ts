import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { catalogTargets } from '../../catalog/test-support.js';
import { isCairnError } from '../../errors/index.js';
import { takeSnapshots } from '../snapshot.js';
import { listGaps, openGapWarnings } from './gaps.js';
import { isolationAvailable } from './isolation.js';
import { runDrill } from './run-drill.js';
import { lastDrillLines } from './runbook-section.js';
import { type DrillScene, drillScene } from './test-fixture.js';

const PLANS = (outside: string, forgotten: string) => `  - name: good
    items: [app, db]
    validate:
      - run: { command: "test -f {restored}/config.json && grep -q replicas {restored}/config.json", items: [app] }
      - jsonSchema: { schema: schema.json }
      - baseline: { snapshot: "release:1.0", allowChanges: ["VERSION"] }
    signoff: [ops, security]
  - name: bad
    items: [app]
    validate:
      - run: { command: "echo pid=$$; sleep 60", timeout: 1s }
      - run: "echo leaked > ${outside}"
      - run: "cairn-no-such-tool --check {restored}"
      - jsonSchema: { schema: strict.json, files: "*.json" }
      - baseline: { snapshot: "release:1.0" }
      - baseline: { snapshot: "${forgotten.slice(0, 16)}" }
      - baseline: { snapshot: "release:9.9" }
  - name: plain
    items: [db]
  - name: slow
    items: [db]
    timeout: 1s
    validate:
      - run: { command: "sleep 30", timeout: 1m }
  - name: never
    items: [app, cache]
  - name: hang
    items: [app]
    validate:
      - run: { command: "echo $$ > started; exec sleep 60", timeout: 5m }
  - name: newest
    items: [app]
    validate:
      - baseline: { snapshot: "release:1.1" }
  - name: tamper
    items: [app]
    validate:
      - run: "m=$(stat -c %y config.json); printf '{ \\"replicas\\": 9' | dd of=config.json conv=notrunc 2>/dev/null; touch -d \\"$m\\" config.json"
      - baseline: { snapshot: "release:1.1" }
`;

function alive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

for (const target of catalogTargets) {
  describe(`runDrill (${target.dialect})`, () => {
    let s: DrillScene;
    let outside: string;
    let isolated = false;
    before(async () => {
      s = await drillScene(target);
      outside = join(s.dir, `outside-${randomBytes(4).toString('hex')}`);
      s.write('strict.json', JSON.stringify({ type: 'object', required: ['port', 'tls'] }));
      isolated = (await isolationAvailable()).available;
    });
    after(() => s?.close());
    const policy = () => s.policy(PLANS(outside, s.forgotten));

    it('restores into a sandbox, runs the three kinds of validator, measures, then waits for sign-off', async () => {
      const phases: string[] = [];
      const r = await runDrill(s.session, policy(), s.log, {
        plan: 'good',
        actor: 'tester',
        progress: (p) => phases.push(`${p.phase} ${p.item ?? ''}`.trim()),
      });
      assert.equal(r.status, 'awaiting-signoff', JSON.stringify(r.result, null, 1));
      assert.deepEqual(r.signoffRequired, ['ops', 'security']);
      const result = r.result!;
      assert.deepEqual(
        result.validators.map((v) => [v.kind, v.item, v.ok]),
        [
          ['run', 'app', true],
          ['jsonSchema', 'app', true],
          ['jsonSchema', 'db', true],
          ['baseline', 'app', true],
          ['baseline', 'db', true],
        ],
      );
      assert.match(result.validators[3]!.output, /allowed changed VERSION/);
      assert.deepEqual(result.gaps, []);
      assert.equal(result.sandbox.cleaned, true);
      assert.equal(existsSync(result.sandbox.path), false, 'the sandbox is deleted');
      assert.equal(result.sandbox.isolated, isolated);
      const latest = await s.session.catalog.gate.latestComplete(['app', 'db']);
      assert.deepEqual(
        result.items.map((i) => [i.item, i.snapshotId, i.ok]),
        [
          ['app', latest.get('app')!.id, true],
          ['db', latest.get('db')!.id, true],
        ],
      );
      assert.ok(r.rtoMs! >= r.restoreMs! && r.validateMs === r.rtoMs! - r.restoreMs!);
      assert.equal(r.rtoSlaMs, 10 * 60_000, 'the strictest tier RTO');
      assert.equal(r.rpoSlaMs, 3600_000);
      assert.equal(r.withinSla, true);
      assert.ok(phases.includes('restore app') && phases.includes('validate db'), phases.join(', '));
      const events = await s.session.catalog.audit.find({ action: 'drill.*', target: 'good' });
      assert.deepEqual(
        events.map((e) => e.action),
        ['drill.start', 'drill.finish'],
      );
      const d = events[1]!.details as Record<string, unknown>;
      assert.equal(d.status, 'awaiting-signoff');
      assert.equal(d.rtoMs, r.rtoMs);
      assert.deepEqual(
        (d.items as Array<{ snapshot: string }>).map((i) => i.snapshot),
        result.items.map((i) => i.snapshotId),
      );
    });

    it('fails on a hanging, escaping, missing, invalid or deviating check, each a gap, and cleans up', async () => {
      const r = await runDrill(s.session, policy(), s.log, { plan: 'bad', actor: 'tester' });
      assert.equal(r.status, 'failed');
      const result = r.result!;
      const cats = result.gaps.map((g) => `${g.category} ${g.key}`);
      assert.ok(cats.includes('validator-timeout run: echo pid=$$; sleep 60'), cats.join('\n'));
      assert.ok(cats.includes('missing-dependency cairn-no-such-tool'), cats.join('\n'));
      assert.ok(cats.includes('schema-failure config.json'), cats.join('\n'));
      assert.ok(cats.includes('baseline-deviation VERSION'), cats.join('\n'));
      assert.ok(cats.includes(`missing-baseline ${s.forgotten.slice(0, 16)}`), cats.join('\n'));
      assert.ok(cats.includes('missing-baseline release:9.9'), cats.join('\n'));
      const forgotten = result.gaps.find((g) => g.key === s.forgotten.slice(0, 16))!;
      assert.match(forgotten.message, new RegExp(`baseline snapshot ${s.forgotten.slice(0, 16)} no longer exists`));
      assert.match(
        result.gaps.find((g) => g.category === 'schema-failure')!.message,
        /must have required property 'tls'/,
      );
      if (isolated) assert.ok(cats.includes('sandbox-violation run: echo leaked > ' + outside), cats.join('\n'));
      else assert.ok(result.validators[1]!.ok === true || cats.some((c) => c.startsWith('validator-failed')));
      if (isolated) assert.equal(existsSync(outside), false, 'nothing was written outside the sandbox');
      const hang = result.validators[0]!;
      assert.equal(hang.timedOut, true);
      const pid = Number(/pid=(\d+)/.exec(hang.output)?.[1]);
      for (let i = 0; i < 50 && alive(pid); i++) await new Promise((res) => setTimeout(res, 100));
      assert.equal(alive(pid), false, 'the hanging validator’s process group is gone');
      assert.equal(result.sandbox.cleaned, true);
      assert.equal(existsSync(result.sandbox.path), false);

      const open = await listGaps(s.session.catalog, { item: 'app' });
      assert.equal(open.length, result.gaps.length);
      const warnings = await openGapWarnings(s.session.catalog, policy());
      assert.equal(warnings.length, 1);
      assert.equal(warnings[0]!.field, 'items[0]');
      assert.match(warnings[0]!.message, /app has \d+ open drill gaps .*cairn gaps --item app/);
      const section = (await lastDrillLines(s.session.catalog, policy(), 'app')).join('\n');
      assert.match(section, new RegExp(`Drill: \`${r.id}\` of plan bad`));
      assert.match(section, /Status: failed/);
      assert.match(section, /RTO: .* against 10m: met/);
      assert.match(section, /Open gaps \(\d+\):\n {2}- /);
      assert.match(section, /missing-dependency `cairn-no-such-tool`/);
      const finish = (await s.session.catalog.audit.find({ action: 'drill.finish', target: 'bad' }))[0]!;
      assert.equal(finish.result, 'failed');
      assert.equal((finish.details.gapCategories as Record<string, number>)['missing-baseline'], 2);
    });

    it('closes the gaps a later drill of the same plan no longer finds; another plan leaves them open', async () => {
      const before = await listGaps(s.session.catalog, { item: 'app' });
      assert.ok(before.length >= 6);
      await runDrill(s.session, policy(), s.log, { plan: 'good', actor: 'tester' });
      assert.deepEqual(await listGaps(s.session.catalog, { item: 'app' }), before, 'good does not run bad’s checks');
      // The plan fixed (its checks no longer find anything): its next drill closes them all.
      const fixed = s.policy(
        PLANS(outside, s.forgotten).replace(/ {2}- name: bad\n(?: {4}.*\n)+/, '  - name: bad\n    items: [app]\n'),
      );
      await runDrill(s.session, fixed, s.log, { plan: 'bad', actor: 'tester' });
      assert.deepEqual(await listGaps(s.session.catalog, { item: 'app' }), []);
      const all = await listGaps(s.session.catalog, { item: 'app', all: true });
      assert.ok(all.length >= 6 && all.every((g) => g.closedAt !== null && g.closedByDrill !== null));
      assert.deepEqual(await openGapWarnings(s.session.catalog, policy()), []);
    });

    it('passes without sign-off when the plan names none; an old state breaks the RPO', async () => {
      const r = await runDrill(s.session, policy(), s.log, { plan: 'plain', actor: 'tester' });
      assert.equal(r.status, 'passed');
      const later = new Date(Date.now() + 2 * 24 * 3600_000);
      const old = await runDrill(s.session, policy(), s.log, { plan: 'plain', actor: 'tester', now: () => later });
      assert.equal(old.status, 'failed');
      assert.deepEqual(
        old.result!.gaps.map((g) => [g.item, g.category]),
        [['db', 'rpo-breach']],
      );
      assert.equal(old.withinSla, false);
      assert.ok(old.rpoMs! > 24 * 3600_000);
    });

    it('stops a drill at its timeout, fails it and deletes the sandbox', async () => {
      const r = await runDrill(s.session, policy(), s.log, { plan: 'slow', actor: 'tester' });
      assert.equal(r.status, 'failed');
      assert.match(r.result!.error!, /did not finish within its timeout \(1s\)/);
      assert.equal(existsSync(r.result!.sandbox.path), false);
    });

    it('restores into a staging folder and keeps it; refuses one that is not empty', async () => {
      const staging = join(s.dir, 'staging');
      const r = await runDrill(s.session, policy(), s.log, { plan: 'plain', actor: 'tester', staging });
      assert.equal(r.kind, 'staging');
      assert.equal(r.result!.sandbox.path, staging);
      assert.equal(statSync(staging).mode & 0o777, 0o700, 'a staging folder Cairn creates is 0700: it holds secrets');
      assert.equal(readFileSync(join(staging, 'db', 'settings.json'), 'utf8'), '{ "max_connections": 100 }\n');
      const staged = await s.session.catalog.audit.find({ action: 'staging.restore' });
      assert.equal(staged.length, 1);
      const full = join(s.dir, 'full');
      mkdirSync(full);
      writeFileSync(join(full, 'x'), 'x');
      const before = (await s.session.catalog.drills.list()).length;
      await assert.rejects(
        runDrill(s.session, policy(), s.log, { plan: 'plain', actor: 'tester', staging: full }),
        (e) => isCairnError(e, 'CAIRN_E_TARGET_NOT_EMPTY'),
      );
      assert.equal((await s.session.catalog.drills.list()).length, before, 'no drill recorded');
    });

    it('runs one drill of a plan at a time; one left running past its timeout is failed as abandoned', async () => {
      const running = (id: string, startedAt: string) => ({
        id,
        plan: 'slow',
        kind: 'drill' as const,
        environment: null,
        trigger: 'manual' as const,
        actor: 'elsewhere',
        startedAt,
        finishedAt: null,
        status: 'running' as const,
        rtoMs: null,
        restoreMs: null,
        validateMs: null,
        rpoMs: null,
        rtoSlaMs: null,
        rpoSlaMs: null,
        withinSla: null,
        signoffRequired: [],
        result: null,
      });
      const drills = s.session.catalog.drills;
      await drills.insert(running('dr-00000000000000000001', new Date().toISOString()));
      await assert.rejects(
        runDrill(s.session, policy(), s.log, { plan: 'slow', actor: 'tester' }),
        (e) => isCairnError(e, 'CAIRN_E_REPO_LOCKED') && /slow is running already \(drill dr-0+1/.test(e.message),
      );
      await drills.finish('dr-00000000000000000001', {
        finishedAt: new Date().toISOString(),
        status: 'failed',
        rtoMs: null,
        restoreMs: null,
        validateMs: null,
        rpoMs: null,
        rtoSlaMs: null,
        rpoSlaMs: null,
        withinSla: null,
        result: null,
      });
      await drills.insert(running('dr-00000000000000000002', new Date(Date.now() - 3600_000).toISOString()));
      const r = await runDrill(s.session, policy(), s.log, { plan: 'slow', actor: 'tester' });
      assert.equal(r.status, 'failed');
      const old = await drills.get('dr-00000000000000000002');
      assert.equal(old!.status, 'failed');
      assert.match(old!.result!.error!, /abandoned/);
    });

    it('fails a drill whose item was never snapshotted: a restore-failed gap saying so; the other items are restored', async () => {
      const r = await runDrill(s.session, policy(), s.log, { plan: 'never', actor: 'tester' });
      assert.equal(r.status, 'failed');
      const result = r.result!;
      assert.deepEqual(
        result.items.map((i) => [i.item, i.ok, i.snapshotId === null]),
        [
          ['app', true, false],
          ['cache', false, true],
        ],
      );
      assert.deepEqual(
        result.gaps.map((g) => [g.item, g.category, g.key]),
        [['cache', 'restore-failed', 'no-snapshot']],
      );
      assert.match(result.gaps[0]!.message, /no complete snapshot of cache in the catalog: nothing to restore/);
      assert.equal(r.withinSla, true, 'RTO is not compared when an item is missing; RPO of app is');
      assert.equal(existsSync(result.sandbox.path), false);
    });

    it('a cancelled drill (Ctrl-C) stops its validator, deletes the sandbox and is recorded as failed', async () => {
      const stop = new AbortController();
      const mine = () => readdirSync(tmpdir()).filter((n) => n.startsWith(`cairn-drill-${process.pid}-`));
      assert.deepEqual(mine(), []);
      const running = runDrill(s.session, policy(), s.log, { plan: 'hang', actor: 'tester', signal: stop.signal });
      let pid = 0;
      for (let i = 0; i < 300 && !pid; i++) {
        await new Promise((res) => setTimeout(res, 100));
        const [box] = mine();
        const started = box ? join(tmpdir(), box, 'app', 'started') : '';
        if (started && existsSync(started)) {
          pid = Number(readFileSync(started, 'utf8'));
          assert.equal(statSync(join(tmpdir(), box!)).mode & 0o777, 0o700, 'the sandbox is 0700');
        }
      }
      assert.ok(pid > 0, 'the validator started');
      stop.abort();
      const r = await running;
      assert.equal(r.status, 'failed');
      assert.match(r.result!.error!, /cancelled/);
      assert.equal(r.result!.sandbox.cleaned, true);
      assert.deepEqual(mine(), [], 'the sandbox is deleted');
      for (let i = 0; i < 50 && alive(pid); i++) await new Promise((res) => setTimeout(res, 100));
      assert.equal(alive(pid), false, 'the validator is stopped');
      const again = await runDrill(s.session, policy(), s.log, { plan: 'plain', actor: 'tester' });
      assert.equal(again.status, 'passed', 'nothing is left running');
    });

    it('of two drills of a plan started at once in one process, one runs and the other is refused', async () => {
      const both = await Promise.allSettled([
        runDrill(s.session, policy(), s.log, { plan: 'plain', actor: 'tester' }),
        runDrill(s.session, policy(), s.log, { plan: 'plain', actor: 'tester' }),
      ]);
      assert.deepEqual(both.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
      const refused = both.find((r) => r.status === 'rejected')!.reason;
      assert.ok(isCairnError(refused, 'CAIRN_E_REPO_LOCKED'), String(refused));
      assert.match(refused.message, /drill plan plain is running already/);
      // Another plan is not held up.
      await Promise.all([
        runDrill(s.session, policy(), s.log, { plan: 'plain', actor: 'tester' }),
        runDrill(s.session, policy(), s.log, { plan: 'never', actor: 'tester' }),
      ]);
    });

    it('fails running drills of any plan left by a process that died, with a drill.finish event', async () => {
      const id = `dr-${randomBytes(10).toString('hex')}`;
      await s.session.catalog.drills.insert({
        id,
        plan: 'good',
        kind: 'drill',
        environment: null,
        trigger: 'scheduled',
        actor: 'system:scheduler',
        startedAt: new Date(Date.now() - 2 * 3600_000).toISOString(),
        finishedAt: null,
        status: 'running',
        rtoMs: null,
        restoreMs: null,
        validateMs: null,
        rpoMs: null,
        rtoSlaMs: null,
        rpoSlaMs: null,
        withinSla: null,
        signoffRequired: ['ops', 'security'],
        result: null,
      });
      await runDrill(s.session, policy(), s.log, { plan: 'plain', actor: 'tester' });
      const old = await s.session.catalog.drills.get(id);
      assert.equal(old!.status, 'failed');
      assert.match(old!.result!.error!, /abandoned/);
      const finish = (await s.session.catalog.audit.find({ action: 'drill.finish', target: 'good' })).find(
        (e) => e.details.drill === id,
      );
      assert.ok(finish, 'drill.finish recorded for the abandoned drill');
      assert.equal(finish.result, 'failed');
      assert.equal(finish.details.abandoned, true);
    });

    it('a release baseline is the newest state taken under that release', async () => {
      // app is changed and snapshotted again under 1.1: the baseline is that state, not the first 1.1 one.
      s.write('src/app/config.json', '{ "replicas": 4, "port": 8080 }\n');
      await takeSnapshots(s.session, policy(), { items: ['app'], run: { release: '1.1' } });
      const r = await runDrill(s.session, policy(), s.log, { plan: 'newest', actor: 'tester' });
      assert.equal(r.status, 'passed', JSON.stringify(r.result, null, 1));
      assert.match(r.result!.validators[0]!.output, /\nno differences$/);
    });

    it('a baseline after a run validator that rewrote a file in place (same size, mtime put back) finds the change', async () => {
      const r = await runDrill(s.session, policy(), s.log, { plan: 'tamper', actor: 'tester' });
      assert.equal(r.result!.validators[0]!.ok, true, r.result!.validators[0]!.output);
      const cats = r.result!.gaps.map((g) => `${g.category} ${g.key}`);
      assert.deepEqual(cats, ['baseline-deviation config.json'], r.result!.validators[1]!.output);
      assert.match(r.result!.validators[1]!.output, /DEVIATES changed config\.json/);
      assert.match(r.result!.validators[1]!.output, /\n1 difference, 1 not allowed$/);
    });

    it('refuses an unknown plan, naming the plans there are', async () => {
      await assert.rejects(
        runDrill(s.session, policy(), s.log, { plan: 'nope', actor: 'tester' }),
        (e) => isCairnError(e, 'CAIRN_E_USAGE') && /no drill plan nope .*plans: good, bad, plain, slow/.test(e.message),
      );
    });
  });
}
