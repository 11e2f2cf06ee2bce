/**
 * `cairn drill` and `cairn gaps` through a real `cairn serve` (CAIRN_SERVER): a drill run on the server
 * reads the same as local mode's records, and sign-off by two teams with real TOTP codes through the
 * server's access layer: someone outside the team, and one person signing for both teams, are refused.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DrillRecord, GapRecord } from '../src/catalog/index.js';
import { drillPolicy } from './drill-support.js';
import { assertExit, jsonError } from './e2e.js';
import { type CliResult, type Fixture, fixture } from './helpers.js';
import { enrolMfa, localToken, type ServeProcess, startServe, totp } from './serve-support.js';

const POLICY = drillPolicy(
  ['prod'],
  `access:
  teams:
    ops: [token:alice, token:bob]
    security: [token:alice, token:carol]
drills:
  - name: signed
    items: [app-prod]
    validate:
      - run: "test -f {restored}/deployment.yaml"
    signoff: [ops, security]
`,
);

describe('cairn drill through cairn serve', () => {
  let f: Fixture;
  let server: ServeProcess;
  const tokens: Record<string, string> = {};
  const secrets: Record<string, string> = {};

  const remote = (args: readonly string[], who = 'admin'): CliResult =>
    f.cli([...args, '--json'], {
      env: {
        CAIRN_SERVER: server.url,
        CAIRN_TOKEN: tokens[who],
        CAIRN_PASSWORD: undefined,
        CAIRN_REPOSITORY: join(f.dir, 'no-repository-here'),
      },
    });
  const local = (args: readonly string[]): CliResult =>
    f.cli([...args, '--json'], { env: { CAIRN_SERVER: undefined } });

  before(async () => {
    f = fixture({ policy: POLICY });
    assertExit(f.cli(['snapshot', '--json']), 0);
    tokens.admin = localToken(f, 'admin', ['admin']);
    tokens.alice = localToken(f, 'alice', ['operator']);
    tokens.bob = localToken(f, 'bob', ['approver']);
    tokens.carol = localToken(f, 'carol', ['auditor']);
    tokens.dave = localToken(f, 'dave', ['approver']);
    server = await startServe(f);
    for (const who of ['alice', 'bob', 'carol', 'dave'])
      secrets[who] = (await enrolMfa(server.url, tokens[who]!)).secret;
  });
  after(async () => {
    await server?.stop();
  });

  it('runs a drill on the server; list, show and gaps read the same as local mode', () => {
    const run = remote(['drill', 'run', 'signed']);
    assertExit(run, 0);
    const d = run.json<DrillRecord>();
    assert.equal(d.status, 'awaiting-signoff');
    assert.equal(d.actor, 'token:admin');
    const there = remote(['drill', 'list']).json<{ drills: DrillRecord[] }>();
    const here = local(['drill', 'list']).json<{ drills: DrillRecord[] }>();
    assert.deepEqual(there, here);
    assert.deepEqual(remote(['drill', 'show', d.id]).json(), local(['drill', 'show', d.id]).json());
    const gaps = remote(['gaps']);
    assertExit(gaps, 0);
    assert.deepEqual(gaps.json<{ gaps: GapRecord[] }>().gaps, []);
    const staging = remote(['drill', 'run', 'signed', '--staging', join(f.dir, 'stage')]);
    assertExit(staging, 2);
    assert.match(jsonError(staging).message, /--staging restores into a folder of this machine/);
    const unknown = remote(['drill', 'run', 'nope']);
    assertExit(unknown, 2);
  });

  it('passes after ops and security sign with TOTP codes; outsiders and double signers are refused', async () => {
    const d = remote(['drill', 'run', 'signed']).json<DrillRecord>();
    const sign = async (who: string, team: string, steps = 1) =>
      remote(['drill', 'signoff', d.id, '--team', team, '--code', await totp(secrets[who]!, steps)], who);

    const outsider = await sign('dave', 'ops');
    assertExit(outsider, 1);
    assert.equal(jsonError(outsider).code, 'CAIRN_E_FORBIDDEN');
    assert.match(jsonError(outsider).message, /token:dave is not in team ops/);

    const wrong = remote(['drill', 'signoff', d.id, '--team', 'ops', '--code', '000000'], 'alice');
    assertExit(wrong, 1);
    assert.equal(jsonError(wrong).code, 'CAIRN_E_MFA');

    const first = await sign('alice', 'ops');
    assertExit(first, 0);
    assert.equal(first.json<DrillRecord>().status, 'awaiting-signoff');
    const twice = await sign('alice', 'security', 0);
    assertExit(twice, 1);
    assert.equal(jsonError(twice).code, 'CAIRN_E_FORBIDDEN');
    assert.match(jsonError(twice).message, /token:alice signed drill .* already \(for ops\)/);

    const last = await sign('carol', 'security');
    assertExit(last, 0);
    assert.equal(last.json<DrillRecord>().status, 'passed');
    const shown = remote(['drill', 'show', d.id]).json<{ signoffs: Array<{ team: string; subject: string }> }>();
    assert.deepEqual(
      shown.signoffs.map((s) => [s.team, s.subject]),
      [
        ['ops', 'token:alice'],
        ['security', 'token:carol'],
      ],
    );
    const audit = local(['audit', 'log', '--action', 'drill.signoff-refused']);
    assertExit(audit, 0);
    const refused = audit.json<{ events: Array<{ identity: string; details: { reason: string } }> }>().events;
    assert.deepEqual(
      refused.map((e) => [e.identity, e.details.reason]),
      [
        ['token:dave', 'not-in-team'],
        ['token:alice', 'mfa'],
        ['token:alice', 'subject-signed'],
      ],
    );
  });

  it('uses each TOTP code once: the code that signed one drill does not sign another', async () => {
    const d1 = remote(['drill', 'run', 'signed']).json<DrillRecord>();
    const code = await totp(secrets.bob!, 1);
    assertExit(remote(['drill', 'signoff', d1.id, '--team', 'ops', '--code', code], 'bob'), 0);
    // Signed before d2 runs: once a newer drill of the plan has finished, d1 could not be signed (superseded).
    const d2 = remote(['drill', 'run', 'signed']).json<DrillRecord>();
    const reused = remote(['drill', 'signoff', d2.id, '--team', 'ops', '--code', code], 'bob');
    assertExit(reused, 1);
    assert.equal(jsonError(reused).code, 'CAIRN_E_MFA');
    const still = remote(['drill', 'show', d2.id]).json<DrillRecord & { signoffs: unknown[] }>();
    assert.equal(still.status, 'awaiting-signoff');
    assert.deepEqual(still.signoffs, []);
  });
});
