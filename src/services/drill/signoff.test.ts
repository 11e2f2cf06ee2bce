import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generate, generateSecret, verify } from 'otplib';
import type { DrillRecord } from '../../catalog/index.js';
import { catalogTargets } from '../../catalog/test-support.js';
import { CairnError, type ErrorCode, isCairnError } from '../../errors/index.js';
import type { Policy } from '../../policy/index.js';
import { runDrill } from './run-drill.js';
import { signOffDrill } from './signoff.js';
import { type DrillScene, drillScene } from './test-fixture.js';

const PLANS = `  - name: signed
    items: [db]
    signoff: [ops, security]
  - name: broken
    items: [db]
    validate: [{ run: "exit 3" }]
    signoff: [ops]
`;

/** Authenticator apps of the people, and a server-side check that accepts each code once (as the access layer does). */
class Totp {
  readonly #secrets = new Map<string, string>();
  readonly #used = new Set<string>();
  secret(who: string): string {
    if (!this.#secrets.has(who)) this.#secrets.set(who, generateSecret());
    return this.#secrets.get(who)!;
  }
  /** The code `who`'s app shows, `steps` periods from now. */
  code(who: string, steps = 0): Promise<string> {
    return generate({ secret: this.secret(who), epoch: Math.floor(Date.now() / 1000) + steps * 30 });
  }
  verifier(who: string, code: string): () => Promise<void> {
    return async () => {
      const r = await verify({ secret: this.secret(who), token: code, epochTolerance: 30 });
      if (!r.valid) throw new CairnError('CAIRN_E_MFA', `that is not a current TOTP code of ${who}`);
      if (this.#used.has(`${who}:${code}`))
        throw new CairnError('CAIRN_E_MFA', `that TOTP code of ${who} has been used already`);
      this.#used.add(`${who}:${code}`);
    };
  }
}

for (const target of catalogTargets) {
  describe(`drill sign-off (${target.dialect})`, () => {
    let s: DrillScene;
    let policy: Policy;
    const totp = new Totp();
    before(async () => {
      s = await drillScene(target);
      policy = s.policy(PLANS);
    });
    after(() => s?.close());

    const sign = async (drill: DrillRecord, team: string, who: string, code?: string) =>
      signOffDrill(s.session.catalog, s.log, policy, {
        drillId: drill.id,
        team,
        subject: who,
        verifyCode: totp.verifier(who, code ?? (await totp.code(who))),
      });
    const refused = async (p: Promise<unknown>, code: ErrorCode, reason: string, pattern: RegExp) => {
      await assert.rejects(p, (err) => {
        assert.ok(isCairnError(err, code), `expected ${code}, got ${String(err)}`);
        assert.equal(err.details?.reason, reason);
        assert.match(err.message, pattern);
        return true;
      });
    };

    it('passes once every team named has signed, each by a member with a TOTP code', async () => {
      const drill = await runDrill(s.session, policy, s.log, { plan: 'signed', actor: 'tester' });
      assert.equal(drill.status, 'awaiting-signoff');
      // carol is in security, not in ops.
      await refused(sign(drill, 'ops', 'carol'), 'CAIRN_E_FORBIDDEN', 'not-in-team', /carol is not in team ops/);
      await refused(sign(drill, 'finance', 'alice'), 'CAIRN_E_USAGE', 'team-not-required', /needs ops, security/);
      await refused(sign(drill, 'ops', 'alice', '000000'), 'CAIRN_E_MFA', 'mfa', /not a current TOTP code of alice/);
      const code = await totp.code('alice');
      const first = await sign(drill, 'ops', 'alice', code);
      assert.equal(first.status, 'awaiting-signoff');
      // alice is in both teams: she may not sign for the second one too.
      await refused(
        sign(drill, 'security', 'alice'),
        'CAIRN_E_FORBIDDEN',
        'subject-signed',
        /alice signed drill .* already \(for ops\)/,
      );
      await refused(sign(drill, 'ops', 'bob'), 'CAIRN_E_EXISTS', 'team-signed', /ops has signed drill .* already/);
      const done = await sign(drill, 'security', 'carol');
      assert.equal(done.status, 'passed');
      assert.deepEqual(
        (await s.session.catalog.drills.signoffs(drill.id)).map((x) => [x.team, x.subject]),
        [
          ['ops', 'alice'],
          ['security', 'carol'],
        ],
      );
      await refused(sign(drill, 'security', 'carol'), 'CAIRN_E_USAGE', 'not-awaiting-signoff', /passed already/);
      const events = await s.session.catalog.audit.find({ target: drill.id });
      assert.deepEqual(
        events.map((e) => [e.action, e.identity, e.details.reason ?? e.details.team]),
        [
          ['drill.signoff-refused', 'carol', 'not-in-team'],
          ['drill.signoff-refused', 'alice', 'team-not-required'],
          ['drill.signoff-refused', 'alice', 'mfa'],
          ['drill.signoff', 'alice', 'ops'],
          ['drill.signoff-refused', 'alice', 'subject-signed'],
          ['drill.signoff-refused', 'bob', 'team-signed'],
          ['drill.signoff', 'carol', 'security'],
          ['drill.signoff-refused', 'carol', 'not-awaiting-signoff'],
        ],
      );
      assert.equal(events[6]!.details.status, 'passed');
    });

    it('refuses to sign a drill once a newer drill of its plan has finished', async () => {
      const old = await runDrill(s.session, policy, s.log, { plan: 'signed', actor: 'tester' });
      assert.equal(old.status, 'awaiting-signoff');
      const later = (ms: number) => new Date(Date.parse(old.finishedAt!) + ms).toISOString();
      await s.session.catalog.drills.insert({
        ...old,
        id: 'dr-newer0000000000000',
        startedAt: later(1000),
        finishedAt: later(2000),
        status: 'failed',
      });
      await refused(
        sign(old, 'ops', 'alice'),
        'CAIRN_E_USAGE',
        'superseded',
        /drill dr-\w+ cannot be signed off: drill dr-newer0000000000000 of plan signed is newer \(failed/,
      );
      assert.equal((await s.session.catalog.drills.get(old.id))?.status, 'awaiting-signoff');
      assert.deepEqual(await s.session.catalog.drills.signoffs(old.id), []);
    });

    it('refuses to sign a failed drill, and an unknown one', async () => {
      const drill = await runDrill(s.session, policy, s.log, { plan: 'broken', actor: 'tester' });
      assert.equal(drill.status, 'failed');
      await refused(sign(drill, 'ops', 'bob'), 'CAIRN_E_USAGE', 'not-awaiting-signoff', /it is failed/);
      await assert.rejects(
        signOffDrill(s.session.catalog, s.log, policy, {
          drillId: 'dr-ffffffffffffffffffff',
          team: 'ops',
          subject: 'bob',
          verifyCode: async () => {},
        }),
        (e) => isCairnError(e, 'CAIRN_E_NOT_FOUND'),
      );
    });
  });
}
