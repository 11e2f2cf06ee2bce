/**
 * FORMAT.md "Retention (WORM)" and the keep rules: forget never removes a snapshot under a compliance
 * lock or a retention class (it says until when), `forget ID` of one fails with CAIRN_E_RETAINED and
 * the date, prune never deletes a retained pack; on a tier without retention, forget --apply-policy
 * removes exactly what `keep: {last: N}` does not keep (nothing with --dry-run) and prune frees the
 * space while the remaining snapshots restore byte for byte.
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parsePolicy } from '../src/policy/index.js';
import { Repository } from '../src/repo/index.js';
import { checkRepository, initRepository, openSession, prune, takeSnapshots } from '../src/services/index.js';
import { FaultStorage, LocalStorage } from '../src/storage/index.js';
import {
  assertCheckPasses,
  assertCliRestore,
  Corpus,
  type CorpusState,
  cairn,
  describeRun,
  scene,
  treeSize,
} from './crash-support.js';
import { policyYaml, scratch } from './helpers.js';

const PASSWORD = 'retention passphrase';
const DAY = 86_400_000;

const POLICY = policyYaml({
  classes: { short: '0d', month: '30d' },
  tiers: {
    worm: { class: 'short', lock: { mode: 'compliance', for: '1d' }, last: 1 },
    archive: { class: 'month', last: 1 },
    free: { class: 'short', last: 2 },
  },
  items: [
    { name: 'ledger', tier: 'worm', root: 'src/ledger' },
    { name: 'audit', tier: 'archive', root: 'src/audit' },
    { name: 'web', tier: 'free', root: 'src/web' },
  ],
});

interface Decision {
  id: string;
  item: string;
  time: string;
  action: 'keep' | 'remove' | 'retained';
  reasons: string[];
  retainUntil?: string;
}
interface ForgetJson {
  dryRun: boolean;
  decisions: Decision[];
  removed: number;
  retained: number;
}
interface Hit {
  id: string;
  item: string;
  time: string;
  retainUntil: string | null;
}

describe('forget, prune and WORM retention', () => {
  const { seed, r, dir, repo, env } = scene('retention', PASSWORD);
  const corpora = new Map(
    ['ledger', 'audit', 'web'].map((item) => [
      item,
      new Corpus(join(dir, 'src', item), { smallFiles: 60, bigFiles: 1, bigSize: 1 << 20, salt: `${item}${seed}` }),
    ]),
  );
  /** snapshot id -> its item and the state it was taken from */
  const taken = new Map<string, { item: string; state: CorpusState }>();
  const run = (args: string[]) => cairn(args, { env, cwd: dir });
  const hits = async (item?: string) => {
    const res = await run(['snapshots', '--json', ...(item ? ['--item', item] : [])]);
    assert.equal(res.code, 0, describeRun(res));
    return (JSON.parse(res.stdout) as { snapshots: Hit[] }).snapshots;
  };
  const restoreAll = async (what: string) => {
    const live = new Set((await hits()).map((h) => h.id));
    for (const [id, { item, state }] of taken) {
      if (!live.has(id)) continue;
      await assertCliRestore(env, corpora.get(item)!, { id, state }, join(dir, 'restore'), `${what} (${item})`);
    }
  };

  before(async () => {
    writeFileSync(env.CAIRN_CONFIG, POLICY);
    for (const c of corpora.values()) c.create();
    const init = await run(['init', '-q']);
    assert.equal(init.code, 0, describeRun(init));
    // Three runs over all items; web's big file is new every time, so forgetting web frees it.
    for (let i = 0; i < 3; i++) {
      if (i > 0)
        for (const [item, c] of corpora) c.mutate(r, { fraction: 0.3, big: item === 'web' ? 'replace' : true });
      const states = new Map([...corpora].map(([item, c]) => [item, c.state()]));
      const res = await run(['snapshot', '-q', '--json', '--release', `5.0.${i}`]);
      assert.equal(res.code, 0, describeRun(res));
      for (const s of (JSON.parse(res.stdout) as { snapshots: Array<{ item: string; id: string; status: string }> })
        .snapshots) {
        assert.equal(s.status, 'created');
        taken.set(s.id, { item: s.item, state: states.get(s.item)! });
      }
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const [item, span, label] of [
    ['ledger', DAY, 'a compliance lock for 1d'],
    ['audit', 30 * DAY, 'a retention class keeping 30d'],
  ] as const) {
    it(`${label}: forget --apply-policy keeps the snapshots its keep rules drop, saying until when`, async () => {
      const before = await hits(item);
      assert.equal(before.length, 3);
      for (const h of before)
        assert.equal(Date.parse(h.retainUntil!), Date.parse(h.time) + span, `${h.id} retainUntil`);

      const res = await run(['forget', '--apply-policy', '--item', item, '--json']);
      assert.equal(res.code, 0, describeRun(res));
      const out = JSON.parse(res.stdout) as ForgetJson;
      assert.equal(out.removed, 0);
      assert.equal(out.retained, 2);
      const newest = before[0]!;
      for (const d of out.decisions) {
        const hit = before.find((h) => h.id === d.id)!;
        if (d.id === newest.id) {
          assert.equal(d.action, 'keep', JSON.stringify(d));
          continue;
        }
        assert.equal(d.action, 'retained', JSON.stringify(d));
        assert.equal(d.retainUntil, hit.retainUntil);
        assert.deepEqual(d.reasons, [`retained until ${hit.retainUntil}`]);
      }
      // The table says it too.
      const text = await run(['forget', '--apply-policy', '--item', item]);
      assert.equal(text.code, 0, describeRun(text));
      for (const h of before.slice(1)) {
        assert.match(text.stdout, new RegExp(`${h.id.slice(0, 12)} .*retained +retained until ${h.retainUntil}`));
      }
      assert.match(text.stdout, /removed 0 snapshots; 2 kept by retention locks/);
      assert.deepEqual(
        (await hits(item)).map((h) => h.id),
        before.map((h) => h.id),
        'a retained snapshot was removed',
      );
    });

    it(`${label}: forget ID of a retained snapshot exits 1 with CAIRN_E_RETAINED and the date`, async () => {
      const oldest = (await hits(item)).at(-1)!;
      for (const extra of [[], ['--dry-run']]) {
        const res = await run(['forget', oldest.id, ...extra]);
        assert.equal(res.code, 1, describeRun(res));
        assert.match(res.stderr, /CAIRN_E_RETAINED/);
        assert.ok(res.stderr.includes(`retained until ${oldest.retainUntil}`), res.stderr);
        assert.ok(res.stderr.includes(oldest.id.slice(0, 12)), res.stderr);
      }
      const json = await run(['forget', oldest.id.slice(0, 16), '--json']);
      assert.equal(json.code, 1);
      const err = (JSON.parse(json.stdout) as { error: { code: string; details: { retainUntil: string } } }).error;
      assert.equal(err.code, 'CAIRN_E_RETAINED');
      assert.equal(err.details.retainUntil, oldest.retainUntil);
      assert.ok(
        (await hits(item)).some((h) => h.id === oldest.id),
        'the retained snapshot is gone',
      );
    });
  }

  it('a tier without retention: --dry-run lists the decisions and removes nothing', async () => {
    const before = await hits('web');
    assert.equal(before.length, 3);
    const res = await run(['forget', '--apply-policy', '--item', 'web', '--dry-run', '--json']);
    assert.equal(res.code, 0, describeRun(res));
    const out = JSON.parse(res.stdout) as ForgetJson;
    assert.equal(out.dryRun, true);
    assert.equal(out.retained, 0);
    const actions = new Map(out.decisions.map((d) => [d.id, d]));
    assert.deepEqual(
      before.map((h) => actions.get(h.id)?.action),
      ['keep', 'keep', 'remove'],
      'keep {last: 2} of 3 (newest first)',
    );
    assert.deepEqual(actions.get(before[0]!.id)!.reasons, ['last snapshot']);
    assert.equal(out.removed, 1);
    const text = await run(['forget', '--apply-policy', '--item', 'web', '--dry-run']);
    assert.match(text.stdout, /would remove 1 snapshots/);
    assert.deepEqual((await hits()).map((h) => h.id).sort(), [...taken.keys()].sort(), '--dry-run removed a snapshot');
  });

  it('then forget removes exactly what keep {last: 2} drops, and prune frees its space', async () => {
    const before = await hits('web');
    const res = await run(['forget', '--apply-policy', '--json']);
    assert.equal(res.code, 0, describeRun(res));
    const out = JSON.parse(res.stdout) as ForgetJson;
    // Over every item: web's oldest is removed, ledger's and audit's older ones are retained.
    assert.deepEqual(
      out.decisions.filter((d) => d.action === 'remove').map((d) => d.id),
      [before[2]!.id],
    );
    assert.equal(out.retained, 4);
    assert.deepEqual(
      (await hits('web')).map((h) => h.id),
      before.slice(0, 2).map((h) => h.id),
    );
    assert.equal((await hits()).length, 8);

    // Retained packs before prune, with their dates: prune must leave every one of them.
    const storage = new LocalStorage(repo);
    const retainedBefore = (await storage.list('packs/')).filter((p) => p.retainUntil && p.retainUntil > new Date());
    assert.ok(retainedBefore.length > 0, 'no retained packs: the WORM tiers wrote nothing retained');
    const size = treeSize(join(repo, 'packs'));
    const pr = await run(['prune', '--json']);
    assert.equal(pr.code, 0, describeRun(pr));
    const pruned = JSON.parse(pr.stdout) as { bytesFreed: number; packsDeleted: number; packsRepacked: number };
    assert.ok(pruned.bytesFreed >= 1 << 20, `prune freed ${pruned.bytesFreed} bytes, not web's 1 MiB file`);
    const after = treeSize(join(repo, 'packs'));
    assert.ok(after <= size - (1 << 20), `packs went from ${size} to ${after} bytes`);
    const packsAfter = new Map((await storage.list('packs/')).map((p) => [p.key, p]));
    for (const p of retainedBefore) {
      assert.ok(packsAfter.has(p.key), `retained pack ${p.key} was deleted`);
      assert.deepEqual(packsAfter.get(p.key)!.retainUntil, p.retainUntil);
    }
    const report = await assertCheckPasses(env, 'after prune', dir);
    assert.deepEqual(report.warnings, []);
    await restoreAll('after forget and prune');
  });

  it('retained objects are not deleted: prune keeps retained packs no snapshot uses, saying until when (in process)', async () => {
    // A WORM snapshot whose snapshot object could not be written leaves retained packs behind.
    const work = scratch('cairn-retention-orphan-');
    try {
      const fault = new FaultStorage(new LocalStorage(join(work, 'repo')));
      const secret = { kind: 'password', value: PASSWORD } as const;
      await initRepository({ repository: fault.location, secret, storage: fault });
      const text = POLICY.replaceAll('src/', `${dir}/src/`);
      const policy = parsePolicy(text, join(work, 'cairn.yaml')).policy;
      const session = await openSession({
        repository: fault.location,
        secret,
        home: join(work, 'home'),
        storage: fault,
      });
      try {
        const ok = await takeSnapshots(session, policy, { run: {}, items: ['ledger', 'web'] });
        assert.deepEqual(
          ok.map((x) => x.status),
          ['created', 'created'],
        );
        for (const c of corpora.values()) c.mutate(r, { fraction: 0.5, big: 'replace' });
        fault.failOn('put', (k) => k.startsWith('snapshots/'), 'EIO');
        const lost = await takeSnapshots(session, policy, { run: {}, items: ['ledger', 'web'] });
        assert.deepEqual(
          lost.map((x) => x.status),
          ['failed', 'failed'],
        );
        fault.reset();
        const packs = await fault.list('packs/');
        const retained = packs.filter((p) => p.retainUntil && p.retainUntil > new Date());
        const free = packs.filter((p) => !p.retainUntil || p.retainUntil <= new Date());

        const result = await prune(session.repo, {});
        const left = new Set((await fault.list('packs/')).map((p) => p.key));
        for (const p of retained) assert.ok(left.has(p.key), `retained pack ${p.key} was deleted`);
        // The ledger run's packs are retained and unused: listed with their date, not deleted.
        const reported = new Map(result.retained.map((x) => [x.pack, x.retainUntil]));
        const unusedRetained = retained.filter((p) => reported.has(p.key.slice(p.key.lastIndexOf('/') + 1)));
        assert.ok(unusedRetained.length > 0, `prune reported no retained unused packs: ${JSON.stringify(result)}`);
        for (const p of unusedRetained) {
          assert.equal(reported.get(p.key.slice(p.key.lastIndexOf('/') + 1)), p.retainUntil!.toISOString());
        }
        // The web run's packs (no retention) are gone.
        assert.ok(result.packsDeleted > 0, JSON.stringify(result));
        assert.ok(
          free.some((p) => !left.has(p.key)),
          'prune deleted none of the unretained unused packs',
        );
        const repoCheck = await Repository.open(fault, secret);
        try {
          const report = await checkRepository(repoCheck, { readData: true });
          assert.deepEqual(report.errors, []);
        } finally {
          await repoCheck.close();
        }
      } finally {
        await session.close();
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
