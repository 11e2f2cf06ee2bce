import assert from 'node:assert/strict';
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import {
  assertExit,
  cliAsNobody,
  freshPgDatabase,
  type Hit,
  jsonError,
  nobodyFixture,
  search,
  searchMany,
  snapOne,
} from './e2e.js';
import { type Fixture, fixture } from './helpers.js';

const SHA_A = 'aaaa1111bbbb2222cccc3333dddd4444eeee5555';
const SHA_B = 'b0b0b0b0c1c1c1c1d2d2d2d2e3e3e3e3f4f4f4f4';

/** Searches by the fields a snapshot's own run and a verification's run are found by. */
const SEARCHES: ReadonlyArray<readonly string[]> = [
  ['--env', 'dev', '--tier', '2'],
  ['--release', '1.0.1', '--change', 'CHG-2'],
  ['--commit', SHA_B.slice(0, 6), '--item', 'app-prod'],
  ['--deployment', 'D-1', '--trigger', 'pre-deploy'],
  ['--actor', 'github:octocat', '--since', '2000-01-01', '--until', '2999-12-31'],
];

/**
 * A history with every kind of row: snapshots of two items with all metadata, CI metadata, a
 * verification (an unchanged run under another release), and a changed state with a parent.
 */
function history(f: Fixture, env: Record<string, string> = {}): void {
  snapOne(
    f,
    'app-prod',
    [
      ...['--trigger', 'pre-deploy', '--release', '1.0.0', '--commit', SHA_A],
      ...['--change', 'CHG-1', '--deployment', 'D-1'],
    ],
    env,
  );
  snapOne(f, 'app-dev', ['--trigger', 'scheduled'], {
    ...env,
    GITHUB_ACTIONS: 'true',
    GITHUB_ACTOR: 'octocat',
    GITHUB_SHA: SHA_B,
    GITHUB_REF_TYPE: 'tag',
    GITHUB_REF_NAME: 'v1.0.0',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_REPOSITORY: 'acme/app',
    GITHUB_RUN_ID: '7',
  });
  const v = snapOne(f, 'app-prod', ['--trigger', 'post-deploy', '--release', '1.0.1', '--change', 'CHG-2'], env);
  assert.equal(v.status, 'unchanged');
  f.write('src/prod/deployment.yaml', 'apiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: 9\n');
  snapOne(f, 'app-prod', ['--release', '1.1.0', '--commit', SHA_B, '--deployment', 'D-2'], env);
}

function catalogFiles(f: Fixture): string[] {
  if (!existsSync(f.home)) return [];
  return readdirSync(f.home, { recursive: true, encoding: 'utf8' }).filter((p) => p.endsWith('catalog.sqlite'));
}

describe('cairn catalog rebuild', () => {
  it('recreates the catalog from the repository alone, identical for every field searched', async () => {
    const f = fixture();
    history(f);
    const before = search(f);
    assert.equal(before.length, 3);
    assert.equal(
      before.reduce((n, h) => n + h.verifications.length, 0),
      1,
    );
    const searchesBefore = await searchMany(f, SEARCHES);
    for (const [i, ids] of searchesBefore.entries())
      assert.ok(ids.length > 0, `${SEARCHES[i]!.join(' ')} finds something`);

    rmSync(f.home, { recursive: true, force: true });
    const r = f.cli(['catalog', 'rebuild', '--json']);
    assertExit(r, 0);
    assert.deepEqual(r.json(), { snapshots: 3, verifications: 1 });
    assert.equal(catalogFiles(f).length, 1, 'a new catalog file under CAIRN_HOME');
    assert.deepEqual(search(f), before);
    assert.deepEqual(await searchMany(f, SEARCHES), searchesBefore);

    // Without a rebuild, any command re-syncs a deleted catalog when it opens the repository.
    rmSync(f.home, { recursive: true, force: true });
    const shown = f.cli(['show', before[2]!.id, '--json']);
    assertExit(shown, 0);
    assert.equal(before[2]!.verifications.length, 1);
    assert.deepEqual(shown.json<Hit>(), before[2], 'show gives the snapshot and its verification as before');
    assert.deepEqual(search(f), before);
  });

  it('puts back rows that were altered or deleted in the catalog database', () => {
    const f = fixture();
    snapOne(f, 'app-prod', ['--release', '1.0.0']);
    snapOne(f, 'app-prod', ['--release', '1.0.1']);
    const before = search(f);
    const [file] = catalogFiles(f);
    const db = new Database(join(f.home, file!));
    try {
      db.prepare("update snapshots set release = 'tampered', actor = 'mallory'").run();
      db.prepare('delete from verifications').run();
    } finally {
      db.close();
    }
    assert.notDeepEqual(search(f), before, 'opening only adds missing snapshots; it does not compare rows');

    const r = f.cli(['catalog', 'rebuild']);
    assertExit(r, 0);
    assert.match(r.stdout, /catalog rebuilt: 1 snapshots, 1 verifications/);
    assert.deepEqual(search(f), before);
  });

  it('keeps partial snapshots partial, with their unreadable paths', () => {
    const f = nobodyFixture();
    f.write('src/prod/locked.env', 'A=1\n');
    chmodSync(join(f.src, 'prod', 'locked.env'), 0o000);
    const r = cliAsNobody(f, ['snapshot', '--item', 'app-prod', '--release', '4.0.0', '--json']);
    assertExit(r, 3);
    const before = cliAsNobody(f, ['snapshots', '--json']).json<{ snapshots: Hit[] }>().snapshots;
    assert.deepEqual(
      before.map((h) => [h.status, h.unreadable]),
      [['partial', ['locked.env']]],
    );
    rmSync(f.home, { recursive: true, force: true });
    const rebuilt = cliAsNobody(f, ['catalog', 'rebuild', '--json']);
    assertExit(rebuilt, 0);
    assert.deepEqual(cliAsNobody(f, ['snapshots', '--json']).json<{ snapshots: Hit[] }>().snapshots, before);
  });
});

describe('a PostgreSQL catalog (CAIRN_CATALOG_URL)', () => {
  it('works end to end and matches the SQLite catalog row for row', async (t) => {
    const pg = freshPgDatabase();
    t.after(() => pg.drop());
    const f = fixture();
    // `init` (in fixture(), without CAIRN_CATALOG_URL) made the SQLite catalog with its audit events.
    const sqliteBefore = catalogFiles(f);
    const onPg = { CAIRN_CATALOG_URL: pg.url };
    history(f, onPg);

    const viaPg = search(f, [], onPg);
    assert.equal(viaPg.length, 3);
    assert.deepEqual(
      search(f, ['--release', '1.0.1'], onPg).map((h) => h.id),
      [viaPg[2]!.id],
      'found through its verification',
    );
    const shown = f.cli(['show', viaPg[0]!.id, '--json'], { env: onPg });
    assertExit(shown, 0);
    assert.equal(shown.json<Hit>().release, '1.1.0');

    const target = join(f.dir, 'restored');
    assertExit(f.cli(['restore', '--release', '1.1.0', '--item', 'app-prod', '--target', target], { env: onPg }), 0);
    assert.match(readFileSync(join(target, 'deployment.yaml'), 'utf8'), /replicas: 9/);

    // No SQLite catalog was made for them; SQLite, synced from the repository, holds the same rows.
    assert.deepEqual(catalogFiles(f), sqliteBefore);
    assert.deepEqual(search(f), viaPg);

    const r = f.cli(['catalog', 'rebuild', '--json'], { env: onPg });
    assertExit(r, 0);
    assert.deepEqual(r.json(), { snapshots: 3, verifications: 1 });
    assert.deepEqual(search(f, [], onPg), viaPg);

    // The catalog belongs to one repository: another one is refused.
    const other = fixture();
    const refused = other.cli(['snapshots', '--json'], { env: onPg });
    assertExit(refused, 1);
    assert.equal(jsonError(refused).code, 'CAIRN_E_CATALOG');
  });

  it('an unreachable server is an error naming the catalog, without the password', () => {
    const f = fixture();
    const r = f.cli(['snapshots', '--json'], {
      env: { CAIRN_CATALOG_URL: 'postgres://cairn:hunter2@127.0.0.1:1/nowhere' },
    });
    assertExit(r, 1);
    const e = jsonError(r);
    assert.equal(e.code, 'CAIRN_E_CATALOG');
    assert.ok(!`${r.stdout}${r.stderr}`.includes('hunter2'), 'the password is not printed');
  });
});
