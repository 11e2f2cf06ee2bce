import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { assertExit, cliMany, jsonError, search, searchMany, snapOne } from './e2e.js';
import { type Fixture, fixture } from './helpers.js';

const SHA_A = 'aaaa1111bbbb2222cccc3333dddd4444eeee5555';
const SHA_B = 'b0b0b0b0c1c1c1c1d2d2d2d2e3e3e3e3f4f4f4f4';
const SHA_V = 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00';

/** Changes app-prod's deployment (replicas: N), so the next snapshot of it is a new state. */
function setReplicas(f: Fixture, n: number): void {
  f.write('src/prod/deployment.yaml', `apiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: ${n}\n`);
}

/** Which snapshot `restore` picks for each list of selectors (a dry run names it without writing). */
async function resolved(f: Fixture, argLists: ReadonlyArray<readonly string[]>): Promise<string[]> {
  const target = join(f.dir, 'unused-target');
  const results = await cliMany(
    f,
    argLists.map((args) => ['restore', ...args, '--target', target, '--dry-run', '--json']),
  );
  return results.map((r) => {
    assertExit(r, 0);
    return r.json<{ snapshot: string }>().snapshot;
  });
}

describe('cairn snapshots: search', () => {
  it('finds snapshots by item, environment, tier, release, commit prefix, change, deployment, trigger, actor and time', async () => {
    const f = fixture();
    const s1 = snapOne(f, 'app-prod', [
      ...['--trigger', 'pre-deploy', '--release', '1.0.0', '--commit', SHA_A],
      ...['--change', 'CHG-1', '--deployment', 'D-1'],
    ]).id!;
    const s2 = snapOne(f, 'app-dev', ['--trigger', 'scheduled', '--release', '1.0.0'], {
      GITHUB_ACTIONS: 'true',
      GITHUB_ACTOR: 'octocat',
      GITHUB_SHA: SHA_B,
    }).id!;
    setReplicas(f, 8);
    const s3 = snapOne(f, 'app-prod', [
      ...['--trigger', 'post-deploy', '--release', '1.1.0', '--commit', SHA_B],
      ...['--change', 'CHG-2', '--deployment', 'D-2'],
    ]).id!;

    const all = search(f);
    assert.deepEqual(
      all.map((h) => h.id),
      [s3, s2, s1],
      'newest first',
    );
    const actorOf = new Map(all.map((h) => [h.id, h.actor]));
    assert.equal(actorOf.get(s1), userInfo().username);
    assert.match(actorOf.get(s2)!, /octocat/);
    const time = new Map(all.map((h) => [h.id, h.time]));
    const t2 = time.get(s2)!;
    assert.ok(time.get(s1)! < t2 && t2 < time.get(s3)!);
    const day = t2.slice(0, 10);
    const dayMs = Date.parse(`${day}T00:00:00Z`);
    const next = new Date(dayMs + 86_400_000).toISOString().slice(0, 10);
    const prev = new Date(dayMs - 86_400_000).toISOString().slice(0, 10);

    const cases: Array<[string[], string[]]> = [
      [
        ['--item', 'app-prod'],
        [s3, s1],
      ],
      [['--env', 'dev'], [s2]],
      [['--env', 'prod', '--release', '1.1.0'], [s3]],
      [
        ['--tier', '2'],
        [s3, s2, s1],
      ],
      [['--tier', '0'], []],
      [
        ['--release', '1.0.0'],
        [s2, s1],
      ],
      [['--commit', SHA_A.slice(0, 7)], [s1]],
      [
        ['--commit', SHA_B],
        [s3, s2],
      ],
      [['--change', 'CHG-1'], [s1]],
      [['--deployment', 'D-2'], [s3]],
      [['--trigger', 'scheduled'], [s2]],
      [['--actor', actorOf.get(s2)!], [s2]],
      [['--item', 'app-prod', '--limit', '1'], [s3]],
      // --since and --until are both inclusive ("at or after", "at or before")
      [
        ['--since', t2],
        [s3, s2],
      ],
      [
        ['--until', t2],
        [s2, s1],
      ],
      [['--since', t2, '--until', t2], [s2]],
      [['--until', prev], []],
      [['--since', next], []],
      // a bare date covers the whole day
      [['--since', day, '--until', day], [s3, s2, s1].filter((id) => time.get(id)!.startsWith(day))],
    ];
    const found = await searchMany(
      f,
      cases.map(([args]) => args),
    );
    cases.forEach(([args, expected], i) => {
      assert.deepEqual(found[i], expected, args.join(' '));
    });
  });

  it('rejects a bad search: too short a commit, a bad time, an unknown trigger (exit 2)', async () => {
    const f = fixture();
    const bad = [
      ['--commit', 'ab'],
      ['--since', 'last tuesday'],
      ['--trigger', 'sometimes'],
    ];
    const results = await cliMany(
      f,
      bad.map((args) => ['snapshots', '--json', ...args]),
    );
    results.forEach((r, i) => {
      assertExit(r, 2);
      assert.equal(jsonError(r).code, 'CAIRN_E_USAGE', bad[i]!.join(' '));
    });
  });

  it('a release given to an unchanged run (a verification) makes that snapshot findable by it', async () => {
    const f = fixture();
    const s = snapOne(f, 'app-prod', ['--release', '1.0.0', '--commit', SHA_A]);
    const v = snapOne(f, 'app-prod', [
      '--release',
      '1.0.1',
      '--commit',
      SHA_V,
      '--change',
      'CHG-V',
      '--deployment',
      'D-V',
    ]);
    assert.equal(v.status, 'unchanged');
    assert.equal(v.id, s.id);

    const [hit, ...rest] = search(f, ['--release', '1.0.1']);
    assert.deepEqual(rest, []);
    assert.equal(hit?.id, s.id);
    assert.equal(hit.release, '1.0.0', 'the snapshot keeps its own release');
    assert.deepEqual(
      hit.verifications.map((x) => [x.id, x.release]),
      [[v.verification, '1.0.1']],
    );
    const [byCommit, byChange, byDeployment, split, own] = await searchMany(f, [
      ['--commit', SHA_V.slice(0, 8)],
      ['--change', 'CHG-V'],
      ['--deployment', 'D-V'],
      ['--release', '1.0.1', '--commit', SHA_A],
      ['--release', '1.0.0'],
    ]);
    assert.deepEqual(byCommit, [s.id]);
    assert.deepEqual(byChange, [s.id]);
    assert.deepEqual(byDeployment, [s.id]);
    assert.deepEqual(split, [], 'every criterion is met by one run, not spread over the snapshot and a verification');
    assert.deepEqual(own, [s.id]);
  });
});

describe('resolving a release or commit to one snapshot', () => {
  it('restore --release/--commit picks the newest state taken or verified under it', async () => {
    const f = fixture();
    const a = snapOne(f, 'app-prod', ['--release', '1.0.0', '--commit', SHA_A]).id!;
    setReplicas(f, 7);
    const b = snapOne(f, 'app-prod', ['--release', '1.1.0', '--commit', SHA_B]).id!;
    assert.deepEqual(
      await resolved(f, [
        ['--release', '1.0.0', '--item', 'app-prod'],
        ['--release', '1.1.0', '--item', 'app-prod'],
        ['--commit', SHA_A.slice(0, 10), '--item', 'app-prod'],
        ['--commit', SHA_B], // one item: no --item needed
      ]),
      [a, b, a, b],
    );

    // 1.0.0 deployed again over b's state: the newest state verified under 1.0.0 is b.
    const v = snapOne(f, 'app-prod', ['--release', '1.0.0', '--commit', SHA_A]);
    assert.equal(v.status, 'unchanged');
    assert.deepEqual(
      await resolved(f, [
        ['--release', '1.0.0', '--item', 'app-prod'],
        ['--commit', SHA_A, '--item', 'app-prod'],
        ['--release', '1.1.0', '--item', 'app-prod'],
      ]),
      [b, b, b],
    );

    // And a real restore brings back that state.
    const target = join(f.dir, 'restored');
    assertExit(f.cli(['restore', '--release', '1.0.0', '--item', 'app-prod', '--target', target]), 0);
    assert.match(readFileSync(join(target, 'deployment.yaml'), 'utf8'), /replicas: 7/);
  });

  it('several snapshots taken under one release: the newest one wins, every time', async () => {
    const f = fixture();
    snapOne(f, 'app-prod', ['--release', '2.0.0']);
    setReplicas(f, 9);
    const second = snapOne(f, 'app-prod', ['--release', '2.0.0']).id!;
    const sel = ['--release', '2.0.0', '--item', 'app-prod'];
    assert.deepEqual(await resolved(f, [sel, sel, ['--release', '2.0.0']]), [second, second, second]);
  });

  it('a release of several items needs --item (exit 2); unknown release exits 1; an id and --release together exit 2', async () => {
    const f = fixture();
    const prod = snapOne(f, 'app-prod', ['--release', '3.0.0']).id!;
    const dev = snapOne(f, 'app-dev', ['--release', '3.0.0']).id!;
    const target = join(f.dir, 't');
    const [ambiguous, missing, both, devOnly] = await cliMany(f, [
      ['restore', '--release', '3.0.0', '--target', target, '--json'],
      ['restore', '--release', '9.9.9', '--item', 'app-prod', '--target', target, '--json'],
      ['restore', prod, '--release', '3.0.0', '--target', target, '--json'],
      ['restore', '--release', '3.0.0', '--item', 'app-dev', '--target', target, '--dry-run', '--json'],
    ]);
    assertExit(ambiguous!, 2);
    assert.equal(jsonError(ambiguous!).code, 'CAIRN_E_AMBIGUOUS');
    assert.match(jsonError(ambiguous!).message, /--item/);
    assertExit(missing!, 1);
    assert.equal(jsonError(missing!).code, 'CAIRN_E_NOT_FOUND');
    assertExit(both!, 2);
    assert.equal(jsonError(both!).code, 'CAIRN_E_USAGE');
    assertExit(devOnly!, 0);
    assert.equal(devOnly!.json<{ snapshot: string }>().snapshot, dev);
  });
});
