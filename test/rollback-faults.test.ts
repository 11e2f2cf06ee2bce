/**
 * Rollbacks that cannot go through: a target that refuses, a target that accepts but does not apply
 * (verification fails), both fixed in the policy and the rollback run again (it resumes); a change
 * ticket the policy requires for rollbacks: missing, then given.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { assertExit, cliAsync, jsonError } from './e2e.js';
import { type Fixture, fixture } from './helpers.js';

const policy = (sinkTarget: string, brokenTarget: string) => `version: 1
tiers:
  1: { keep: { last: 10 } }
environments:
  prod: {}
  gated: {}
changeTickets:
  provider: { file: { path: tickets.yaml } }
  requireFor: { environments: [gated], actions: [rollback] }
items:
  - name: sink
    owner: ops@example.com
    tier: 1
    environment: prod
    sources: [ { command: { run: "cat state/sink.yaml", file: sink.yaml } } ]
    restore: { command: "${sinkTarget}" }
  - name: broken
    owner: ops@example.com
    tier: 1
    environment: prod
    sources: [ { command: { run: "cat state/broken.yaml", file: broken.yaml } } ]
    restore: { command: "${brokenTarget}" }
  - name: guarded
    owner: ops@example.com
    tier: 1
    environment: gated
    sources: [ { command: { run: "cat state/guarded.yaml", file: guarded.yaml } } ]
    restore: { command: "cat > state/guarded.yaml" }
`;

interface Result {
  status: string;
  resumed: boolean;
  ticketError?: { code: string; message: string };
  items: Array<{ item: string; state: string; error?: { code: string; message: string } }>;
}

describe('rollback faults', () => {
  let f: Fixture;
  const read = (name: string) => readFileSync(join(f.dir, 'state', name), 'utf8');
  before(() => {
    f = fixture({ policy: policy('cat > /dev/null', 'echo refused >&2; exit 3') });
    f.write('state/sink.yaml', 'a: 1\n');
    f.write('state/broken.yaml', 'b: 1\n');
    f.write('state/guarded.yaml', 'g: 1\n');
    const hour = 3_600_000;
    f.write(
      'tickets.yaml',
      `tickets:\n  - { id: CHG-7, state: implement, approval: approved, start: "${new Date(Date.now() - hour).toISOString()}", end: "${new Date(Date.now() + hour).toISOString()}" }\n`,
    );
  });

  it('fails an item whose target refuses and one whose target does not apply, then resumes once fixed', async () => {
    assertExit(await cliAsync(f, ['deploy', 'start', '--env', 'prod', '--id', 'D-F1', '--json']), 0);
    writeFileSync(join(f.dir, 'state/sink.yaml'), 'a: 2\n');
    writeFileSync(join(f.dir, 'state/broken.yaml'), 'b: 2\n');
    const r = await cliAsync(f, ['rollback', '--deployment', 'D-F1', '--json']);
    assertExit(r, 1);
    const failed = r.json<Result>();
    assert.equal(failed.status, 'failed');
    const [sink, broken] = failed.items;
    assert.equal(sink!.state, 'failed');
    assert.equal(sink!.error!.code, 'CAIRN_E_CHECK_FAILED');
    assert.match(
      sink!.error!.message,
      /sink was restored into command `cat > \/dev\/null` but its live state still differs/,
    );
    assert.equal(broken!.state, 'failed');
    assert.equal(broken!.error!.code, 'CAIRN_E_TARGET');
    assert.match(broken!.error!.message, /refused|3/);
    const show = await cliAsync(f, ['deploy', 'show', 'D-F1', '--json']);
    assert.equal(show.json<{ deployment: { status: string } }>().deployment.status, 'rollback-failed');

    f.write('cairn.yaml', policy('cat > state/sink.yaml', 'cat > state/broken.yaml'));
    const again = await cliAsync(f, ['rollback', '--deployment', 'D-F1', '--json']);
    assertExit(again, 0);
    const done = again.json<Result>();
    assert.equal(done.resumed, true, 'the failed run is taken up again');
    assert.deepEqual(
      done.items.map((i) => [i.item, i.state]),
      [
        ['sink', 'verified'],
        ['broken', 'verified'],
      ],
    );
    assert.equal(read('sink.yaml'), 'a: 1\n');
    assert.equal(read('broken.yaml'), 'b: 1\n');
  });

  it('needs the approved change ticket the policy requires for rollbacks', async () => {
    assertExit(await cliAsync(f, ['deploy', 'start', '--env', 'gated', '--id', 'D-G1', '--json']), 0);
    writeFileSync(join(f.dir, 'state/guarded.yaml'), 'g: 2\n');
    const dry = await cliAsync(f, ['rollback', '--deployment', 'D-G1', '--dry-run', '--json']);
    assertExit(dry, 1);
    assert.equal(dry.json<Result>().ticketError?.code, 'CAIRN_E_CHANGE_TICKET');
    const refused = await cliAsync(f, ['rollback', '--deployment', 'D-G1', '--json']);
    assertExit(refused, 1);
    assert.equal(jsonError(refused).code, 'CAIRN_E_CHANGE_TICKET');
    assert.equal(read('guarded.yaml'), 'g: 2\n', 'nothing written without the ticket');
    const unknown = await cliAsync(f, ['rollback', '--deployment', 'D-G1', '--change', 'CHG-404', '--json']);
    assertExit(unknown, 1);
    assert.match(jsonError(unknown).message, /CHG-404/);

    const ok = await cliAsync(f, ['rollback', '--deployment', 'D-G1', '--change', 'CHG-7', '--json']);
    assertExit(ok, 0);
    assert.equal(ok.json<{ ticket: { id: string; approved: boolean } }>().ticket.id, 'CHG-7');
    assert.equal(read('guarded.yaml'), 'g: 1\n');
  });
});
