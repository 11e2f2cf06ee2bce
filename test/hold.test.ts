/**
 * `cairn hold add|remove|list` and `cairn check --locks` end to end (the bundled CLI on a local
 * repository): the hold lands on every object, is recorded in the repository so `catalog rebuild`
 * keeps it, blocks `forget` (named, with its reason) until lifted; check --locks exits 1 and names
 * an object whose hold or lock was taken away behind Cairn's back, 0 when all is as demanded.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LocalStorage } from '../src/storage/index.js';
import { fixture } from './helpers.js';

const POLICY = `version: 1
governance:
  retentionClasses:
    short: { keep: 0d }
    week: { keep: 7d }
tiers:
  2:
    retentionClass: short
    keep: { last: 1 }
  1:
    retentionClass: week
    lock: { mode: compliance, for: 1d }
    keep: { last: 1 }
items:
  - name: app-dev
    owner: team@example.com
    tier: 2
    sources:
      - files: { root: src/dev }
  - name: app-prod
    owner: team@example.com
    tier: 1
    sources:
      - files: { root: src/prod }
`;

interface HoldJson {
  hold: { snapshot: string; item: string; reason: string | null; actor: string; time: string };
  objects: number;
  alreadyHeld: boolean;
}
interface LockJson {
  ok: boolean;
  held: number;
  objects: number;
  findings: Array<{ object: string; problems: string[]; message: string }>;
}

describe('cairn hold and cairn check --locks (CLI)', () => {
  const f = fixture({ policy: POLICY });
  const storage = new LocalStorage(f.repo);
  const ids: Record<string, string> = {};

  it('hold add sets the hold on the snapshot object and its packs, records it, and hold list shows it', async () => {
    for (const item of ['app-dev', 'app-prod']) {
      const r = f.cli(['snapshot', '--item', item, '--json']);
      assert.equal(r.code, 0, r.stderr);
      ids[item] = r.json<{ snapshots: Array<{ id: string }> }>().snapshots[0]!.id;
    }
    const dev = ids['app-dev']!;
    const add = f.cli(['hold', 'add', dev.slice(0, 10), '--reason', 'litigation 2026-17', '--json']);
    assert.equal(add.code, 0, add.stderr);
    const held = add.json<HoldJson>();
    assert.equal(held.hold.snapshot, dev);
    assert.equal(held.hold.reason, 'litigation 2026-17');
    assert.equal(held.alreadyHeld, false);
    assert.ok(held.objects >= 3, `${held.objects} objects`);
    assert.equal((await storage.stat(`snapshots/${dev}`))?.legalHold, true);
    assert.equal((await storage.stat(`holds/${dev}`))?.legalHold, true);
    const heldPacks = (await storage.list('packs/')).filter((o) => o.legalHold);
    assert.equal(heldPacks.length, held.objects - 2);

    const text = f.cli(['hold', 'add', dev]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /was held already/);
    const list = f.cli(['hold', 'list', '--json']);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(
      list.json<{ holds: HoldJson['hold'][] }>().holds.map((h) => [h.snapshot, h.item, h.reason]),
      [[dev, 'app-dev', 'litigation 2026-17']],
    );
    assert.match(f.cli(['hold', 'list']).stdout, /app-dev .*litigation 2026-17/);
    const hits = f.cli(['snapshots', '--json']).json<{ snapshots: Array<{ id: string; held?: boolean }> }>().snapshots;
    assert.deepEqual(
      hits.filter((h) => h.held).map((h) => h.id),
      [dev],
    );
    const shown = f.cli(['show', dev, '--json']).json<{ hold?: { reason: string } }>();
    assert.equal(shown.hold?.reason, 'litigation 2026-17');
    assert.match(f.cli(['show', dev]).stdout, /legal hold +since .*\(litigation 2026-17\)/);
  });

  it('forget of a held snapshot is refused naming the hold; --apply-policy keeps it; catalog rebuild keeps the hold', async () => {
    const dev = ids['app-dev']!;
    const named = f.cli(['forget', dev, '--json']);
    assert.equal(named.code, 1, named.stdout);
    const err = named.json<{ error: { code: string; message: string; details: { hold: { reason: string } } } }>().error;
    assert.equal(err.code, 'CAIRN_E_RETAINED');
    assert.match(err.message, /legal hold since .*\(litigation 2026-17\)/);
    assert.equal(err.details.hold.reason, 'litigation 2026-17');

    // A newer snapshot makes keep {last: 1} drop the held one: kept, and the hold is the reason.
    f.write('src/dev/extra.yaml', 'new: true\n');
    assert.equal(f.cli(['snapshot', '--item', 'app-dev', '-q']).code, 0);
    const policy = f.cli(['forget', '--apply-policy', '--item', 'app-dev', '--json']);
    assert.equal(policy.code, 0, policy.stderr);
    const decision = policy
      .json<{ decisions: Array<{ id: string; action: string; reasons: string[] }> }>()
      .decisions.find((d) => d.id === dev);
    assert.equal(decision?.action, 'retained');
    assert.match(decision!.reasons[0]!, /legal hold/);
    assert.ok(await storage.stat(`snapshots/${dev}`));

    rmSync(f.home, { recursive: true, force: true });
    assert.equal(f.cli(['catalog', 'rebuild']).code, 0);
    const list = f.cli(['hold', 'list', '--json']).json<{ holds: Array<{ snapshot: string }> }>();
    assert.deepEqual(
      list.holds.map((h) => h.snapshot),
      [dev],
    );
    assert.equal(f.cli(['forget', dev]).code, 1);
  });

  it('check --locks: exit 0 when every lock is as demanded, 1 naming an object whose hold or lock was taken away', async () => {
    const ok = f.cli(['check', '--locks', '--json']);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    const good = ok.json<LockJson>();
    assert.equal(good.ok, true);
    assert.equal(good.held, 1);
    assert.ok(good.objects >= 4, `${good.objects}`);

    const dev = ids['app-dev']!;
    const prod = ids['app-prod']!;
    // Behind Cairn's back: the hold sidecar of the held snapshot object removed, and the prod
    // snapshot's compliance lock rewritten as governance and a day shorter.
    const sidecar = (key: string) => join(f.repo, 'retention', key);
    rmSync(sidecar(`snapshots/${dev}`));
    const lock = JSON.parse(readFileSync(sidecar(`snapshots/${prod}`), 'utf8')) as { retainUntil: string };
    const shorter = new Date(Date.parse(lock.retainUntil) - 86_400_000).toISOString();
    writeFileSync(sidecar(`snapshots/${prod}`), JSON.stringify({ retainUntil: shorter, mode: 'governance' }));

    const bad = f.cli(['check', '--locks', '--json']);
    assert.equal(bad.code, 1, bad.stdout + bad.stderr);
    const report = bad.json<LockJson>();
    assert.deepEqual(
      report.findings.map((x) => [x.object, x.problems]),
      [
        [`snapshots/${dev}`, ['no-hold']],
        [`snapshots/${prod}`, ['shorter', 'weaker']],
      ].sort((a, b) => (a[0]! < b[0]! ? -1 : 1)),
    );
    const text = f.cli(['check', '--locks']);
    assert.equal(text.code, 1);
    assert.match(
      text.stdout,
      new RegExp(`error: snapshots/${prod}: it is locked until ${shorter}, the policy demands`),
    );
    assert.match(text.stdout, /its lock is governance, the policy demands compliance/);
    assert.match(text.stdout, /2 objects below the policy/);
    assert.equal(f.cli(['check', '--locks', '--read-data']).code, 2);

    // hold add puts the hold back; extending puts the lock back.
    assert.equal(f.cli(['hold', 'add', dev, '-q']).code, 0);
    await storage.extendRetention(`snapshots/${prod}`, new Date(lock.retainUntil), 'compliance');
    assert.equal(f.cli(['check', '--locks']).code, 0);
  });

  it('hold remove lifts it; forget then works', async () => {
    const dev = ids['app-dev']!;
    const rm = f.cli(['hold', 'remove', dev, '--json']);
    assert.equal(rm.code, 0, rm.stderr);
    assert.ok(rm.json<{ released: number }>().released >= 3);
    assert.equal((await storage.stat(`snapshots/${dev}`))?.legalHold, false);
    assert.equal((await storage.list('packs/')).filter((o) => o.legalHold).length, 0);
    assert.equal(f.cli(['hold', 'list']).stdout.trim(), 'no legal holds');
    const again = f.cli(['hold', 'remove', dev]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /has no legal hold/);
    assert.equal(f.cli(['forget', dev]).code, 0);
    assert.equal(await storage.stat(`snapshots/${dev}`), undefined);
    assert.equal(f.cli(['hold', 'add', 'ffff0000']).code, 1);
  });
});

describe('cairn hold remove where the tier asks for approvals (CLI, local)', () => {
  // app-prod's tier asks one approver for deletions; app-dev's asks none.
  const f = fixture({
    policy: POLICY.replace('    lock: { mode: compliance, for: 1d }\n', '    deleteApprovals: 1\n'),
  });
  const storage = new LocalStorage(f.repo);

  it('hold add works; hold remove is refused like forget, pointing at the server, and lifts nothing', async () => {
    const ids: Record<string, string> = {};
    for (const item of ['app-dev', 'app-prod']) {
      const r = f.cli(['snapshot', '--item', item, '--json']);
      assert.equal(r.code, 0, r.stderr);
      ids[item] = r.json<{ snapshots: Array<{ id: string }> }>().snapshots[0]!.id;
      assert.equal(f.cli(['hold', 'add', ids[item]!, '-q']).code, 0);
    }
    const prod = ids['app-prod']!;
    const refused = f.cli(['hold', 'remove', prod.slice(0, 12), '--json']);
    assert.equal(refused.code, 1, refused.stdout);
    const err = refused.json<{ error: { code: string; message: string; details: Record<string, unknown> } }>().error;
    assert.equal(err.code, 'CAIRN_E_FORBIDDEN');
    assert.match(
      err.message,
      /^snapshot [0-9a-f]{12} \(app-prod, tier 1\) needs 1 approvals to have its legal hold lifted/,
    );
    assert.match(err.message, /CAIRN_SERVER=… cairn hold remove ID.*cairn approvals grant/);
    assert.deepEqual(err.details, { id: prod, tier: '1', approvals: 1 });
    assert.equal((await storage.stat(`snapshots/${prod}`))?.legalHold, true);
    assert.equal((await storage.stat(`holds/${prod}`))?.legalHold, true);
    // The same rule as forget of a named snapshot of that tier.
    assert.equal(f.cli(['forget', prod, '--json']).json<{ error: { code: string } }>().error.code, 'CAIRN_E_FORBIDDEN');

    const dev = f.cli(['hold', 'remove', ids['app-dev']!, '--json']);
    assert.equal(dev.code, 0, dev.stderr);
    assert.deepEqual(
      f
        .cli(['hold', 'list', '--json'])
        .json<{ holds: Array<{ snapshot: string }> }>()
        .holds.map((h) => h.snapshot),
      [prod],
    );
  });
});
