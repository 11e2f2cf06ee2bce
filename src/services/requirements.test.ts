import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SnapshotRecord } from '../catalog/index.js';
import { pgUrl } from '../catalog/test-support.js';
import { type Policy, parsePolicy } from '../policy/index.js';
import { initRepository } from './repository-admin.js';
import { evaluateRequirements } from './requirements.js';
import { openSession, type Session } from './session.js';
import { takeSnapshots } from './snapshot.js';

const secret = { kind: 'password', value: 'requirements tests' } as const;

/** Versions from a snapshot's version file, a postgres source's server_version (the local server), or none. */
const POLICY = `version: 1
tiers:
  2: { keep: { last: 5 } }
items:
  - name: app
    owner: team@example.com
    tier: 2
    version: { file: src/app/VERSION }
    requires:
      - { item: pg, version: ">=10" }
      - { item: pg, version: ">=999" }
      - { item: legacy, version: "2.x", when: "1.x" }
      - { item: plain, version: ">=1" }
      - { item: ghost, version: ">=1" }
    sources: [{ files: { root: src/app } }]
  - name: pg
    owner: dba@example.com
    tier: 2
    sources:
      - files: { root: src/pg }
      - postgres: { url: "${pgUrl}", include: [settings] }
  - name: plain
    owner: team@example.com
    tier: 2
    sources: [{ files: { root: src/plain } }]
  - name: ghost
    owner: team@example.com
    tier: 2
    version: { file: src/ghost/VERSION }
    sources: [{ files: { root: src/ghost } }]
  - name: legacy
    owner: team@example.com
    tier: 2
    sources: [{ files: { root: src/legacy } }]
`;

describe('requires rules', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-requires-'));
  const write = (rel: string, text: string) => {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  };
  let session: Session;
  let policy: Policy;
  const snapshots = new Map<string, SnapshotRecord>();

  before(async () => {
    write('src/app/VERSION', '2.3.1\n');
    write('src/pg/README', 'the database\n');
    write('src/plain/a.conf', 'x\n');
    write('src/ghost/other.conf', 'no VERSION file here\n');
    write('src/legacy/a.conf', 'y\n');
    // ghost's version file exists live, but not in its snapshot: the snapshot wins and says it is missing.
    policy = parsePolicy(POLICY, join(dir, 'cairn.yaml')).policy;
    const repository = join(dir, 'repo');
    await initRepository({ repository, secret });
    session = await openSession({ repository, secret, home: join(dir, 'home') });
    for (const r of await takeSnapshots(session, policy, { run: {} })) {
      assert.equal(r.status, 'created', `${r.item}: ${r.error?.message}`);
      snapshots.set(r.item, (await session.catalog.getSnapshot(r.id!))!);
    }
  });
  after(async () => {
    await session?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads versions from snapshots, explains every failure, and skips rules whose `when` does not match', async () => {
    const app = policy.items.filter((i) => i.name === 'app');
    const results = await evaluateRequirements(session, policy, app, snapshots);
    const [ok, tooNew, legacy, plain, ghost] = results;
    assert.equal(ok?.ok, true, ok?.reason);
    assert.match(ok?.requiredVersion ?? '', /^\d+(\.\d+)?$/);
    assert.match(ok?.reason ?? '', /1-postgres\/server_version in snapshot [0-9a-f]{12}/);
    assert.equal(tooNew?.ok, false);
    assert.match(tooNew?.reason ?? '', /app 2\.3\.1 requires pg >=999, but pg is \d+/);
    assert.equal(legacy?.ok, true);
    assert.match(legacy?.reason ?? '', /not applicable: app is 2\.3\.1 .*not 1\.x/);
    assert.equal(plain?.ok, false);
    assert.match(plain?.reason ?? '', /plain's version is unknown: item plain declares no version/);
    assert.equal(ghost?.ok, false);
    assert.match(ghost?.reason ?? '', /VERSION in snapshot [0-9a-f]{12} is missing/);
  });

  it('fails a `when` rule whose item version is not understood, instead of skipping it', async () => {
    const p = parsePolicy(
      `version: 1
tiers:
  2: { keep: { last: 5 } }
items:
  - name: odd
    owner: team@example.com
    tier: 2
    version: { file: src/odd/VERSION }
    requires: [{ item: plain, version: ">=1", when: "1.x" }]
    sources: [{ files: { root: src/odd } }]
  - name: plain
    owner: team@example.com
    tier: 2
    sources: [{ files: { root: src/plain } }]
`,
      join(dir, 'cairn.yaml'),
    ).policy;
    write('src/odd/VERSION', 'release-banana\n');
    const [r] = await evaluateRequirements(session, p, p.items.slice(0, 1), new Map());
    assert.equal(r?.ok, false);
    assert.match(
      r?.reason ?? '',
      /version "release-banana" .* is not understood; the rule "when 1\.x" cannot be decided/,
    );
  });

  it('a rule without a version is met by an item outside the bundle that has earlier snapshots', async () => {
    const p = parsePolicy(
      `version: 1
tiers:
  2: { keep: { last: 5 } }
items:
  - name: app2
    owner: team@example.com
    tier: 2
    requires: [{ item: plain }, { item: never }]
    sources: [{ files: { root: src/app } }]
  - name: plain
    owner: team@example.com
    tier: 2
    sources: [{ files: { root: src/plain } }]
  - name: never
    owner: team@example.com
    tier: 2
    sources: [{ files: { root: src/plain } }]
`,
      join(dir, 'cairn.yaml'),
    ).policy;
    const [plain, never] = await evaluateRequirements(session, p, p.items.slice(0, 1), new Map());
    assert.equal(plain?.ok, true, plain?.reason);
    assert.match(plain?.reason ?? '', /plain is captured/);
    assert.equal(never?.ok, false);
    assert.match(never?.reason ?? '', /requires never, which has no snapshot \(neither in this bundle nor earlier\)/);
  });
});
