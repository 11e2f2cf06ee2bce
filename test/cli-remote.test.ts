/**
 * The CLI talking to a real `cairn serve` (a child process on a free port) with CAIRN_SERVER and a
 * token, and no repository secret: answers render as in local mode (the same JSON), permissions and
 * revocation are the server's, a destructive request becomes an approval that an approver grants with
 * a TOTP code, and the audit trail is read, verified and exported through the API.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generate } from 'otplib';
import { assertExit, jsonError, snapOne } from './e2e.js';
import { BIN, type CliResult, type Fixture, fixture, SMALL_POLICY } from './helpers.js';
import { timeless } from './serve-support.js';

interface Token {
  id: string;
  name: string;
  subject: string;
  state: string;
  createdBy: string;
}

interface Approval {
  id: string;
  action: string;
  target: string;
  status: string;
  required: number;
  requestedBy: string;
  votes: Array<{ approver: string }>;
  result: unknown;
}

interface Elevation {
  id: string;
  subject: string;
  role: string;
  status: string;
  statusNote: string | null;
}

interface AuditEvent {
  seq: number;
  identity: string;
  action: string;
  result: string;
  target: string | null;
}

/** Tier 2 asks one approver for forgetting a snapshot outside the keep rules; the replica is `replica/`. */
const POLICY = `${SMALL_POLICY.replace(
  '    retentionClass: short\n',
  '    retentionClass: short\n    deleteApprovals: 1\n',
)}replication:\n  to: replica\n`;

interface Server {
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * `cairn serve --port 0 --json` over the fixture's repository; its first stdout document names the URL.
 * Without the canary: its own snapshots would make the server's answers differ from local ones.
 */
function serve(f: Fixture, args: readonly string[]): Promise<Server> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...f.env })) if (v !== undefined) env[k] = v;
  delete env.CAIRN_SERVER;
  const child: ChildProcess = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--json', '--no-canary', ...args], {
    env,
    cwd: f.dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`cairn serve did not start within 30s:\n${stdout}\n${stderr}`));
    }, 30_000);
    const early = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`cairn serve exited (${code}) before listening:\n${stdout}\n${stderr}`));
    };
    child.once('exit', early);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      let doc: { url?: string };
      try {
        doc = JSON.parse(stdout);
      } catch {
        return; // not the whole document yet
      }
      clearTimeout(timer);
      child.off('exit', early);
      resolve({
        url: doc.url!,
        async stop() {
          child.kill('SIGTERM');
          const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
          await exited;
          clearTimeout(killer);
        },
      });
    });
  });
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as { port: number };
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

describe('the CLI against cairn serve (CAIRN_SERVER)', () => {
  let f: Fixture;
  let server: Server;
  let admin: string;
  let ids: Record<string, string>;
  const restoreRoot = () => join(f.dir, 'restores');

  /** `cairn ARGS` through the server with this token, and without any repository secret. */
  const remote = (args: readonly string[], token = admin, extra: Record<string, string | undefined> = {}): CliResult =>
    f.cli(args, {
      env: {
        CAIRN_SERVER: server.url,
        CAIRN_TOKEN: token,
        CAIRN_PASSWORD: undefined,
        CAIRN_REPOSITORY: join(f.dir, 'no-repository-here'),
        ...extra,
      },
    });
  const remoteJson = <T>(args: readonly string[], token = admin): T => {
    const r = remote([...args, '--json'], token);
    assertExit(r, 0);
    return r.json<T>();
  };
  const local = (args: readonly string[]): CliResult => f.cli(args, { env: { CAIRN_SERVER: undefined } });
  const localJson = <T>(args: readonly string[]): T => {
    const r = local([...args, '--json']);
    assertExit(r, 0);
    return r.json<T>();
  };
  /** A token made by whoever holds the repository key (local mode), as the first admin token is. */
  const localToken = (name: string, role: string): string =>
    localJson<{ token: string }>(['token', 'create', '--name', name, '--role', role, '--expires', '1d']).token;

  before(async () => {
    f = fixture({ policy: POLICY });
    ids = { 'app-prod': snapOne(f, 'app-prod').id!, 'app-dev': snapOne(f, 'app-dev').id! };
    f.write('src/prod/app.env', 'LOG_LEVEL=warn\nDB_HOST=db.internal\n');
    ids.second = snapOne(f, 'app-prod', ['--release', '1.0.0']).id!;
    f.write('restores/.keep', '');
    admin = localToken('admin', 'admin');
    server = await serve(f, ['--restore-root', restoreRoot()]);
  });

  after(async () => {
    await server?.stop();
  });

  it('reads snapshots, show, ls, diff, keys and the policy exactly as local mode prints them', () => {
    for (const args of [
      ['snapshots'],
      ['snapshots', '--item', 'app-prod', '--limit', '1'],
      ['snapshots', '--release', '1.0.0'],
      ['show', ids.second!],
      ['ls', ids.second!],
      ['ls', ids.second!, 'nested'],
      ['diff', ids['app-prod']!, ids.second!, '--patch'],
      ['key', 'list'],
      ['policy', 'check'],
      ['forget', '--apply-policy', '--dry-run'],
    ]) {
      const here = local([...args, '--json']);
      const there = remote([...args, '--json']);
      assertExit(here, 0);
      assertExit(there, 0);
      assert.deepEqual(there.json(), here.json(), args.join(' '));
    }
    const hits = remoteJson<{ snapshots: Array<{ id: string }> }>(['snapshots']).snapshots;
    assert.deepEqual(hits.map((h) => h.id).sort(), Object.values(ids).sort());
    // People see the same table too.
    const table = (r: CliResult) => {
      assertExit(r, 0);
      return r.stdout;
    };
    assert.equal(table(remote(['snapshots'])), table(local(['snapshots'])));
    assert.equal(
      table(remote(['diff', ids['app-prod']!, ids.second!])),
      table(local(['diff', ids['app-prod']!, ids.second!])),
    );
  });

  it('snapshots, restores into a restore root, checks and prunes on the server', () => {
    const taken = remoteJson<{ snapshots: Array<{ item: string; status: string; id: string }> }>([
      'snapshot',
      '--item',
      'app-dev',
      '--force',
      '--release',
      '2.0.0',
      '--change',
      'CHG-7',
    ]).snapshots;
    assert.deepEqual(
      taken.map((t) => [t.item, t.status]),
      [['app-dev', 'created']],
    );
    const shown = remoteJson<{ actor: string; release: string; change: string }>(['show', taken[0]!.id]);
    assert.equal(shown.actor, 'token:admin', 'the actor is the identity the server knows');
    assert.equal(shown.release, '2.0.0');
    assert.equal(shown.change, 'CHG-7');

    const target = join(restoreRoot(), 'prod');
    const restored = remoteJson<{ files: number; failed: unknown[]; item: string }>([
      'restore',
      ids.second!,
      '--target',
      target,
    ]);
    assert.equal(restored.failed.length, 0);
    assert.equal(restored.item, 'app-prod');
    assert.equal(readFileSync(join(target, 'app.env'), 'utf8'), readFileSync(join(f.dir, 'src/prod/app.env'), 'utf8'));
    const human = remote([
      'restore',
      '--release',
      '1.0.0',
      '--item',
      'app-prod',
      '--target',
      join(restoreRoot(), 'by-release'),
    ]);
    assertExit(human, 0);
    assert.match(human.stdout, /^restored 3 files .* of app-prod [0-9a-f]{12} into /);

    const relative = remote(['restore', ids.second!, '--target', 'restores/x', '--json']);
    assertExit(relative, 2);
    assert.match(jsonError(relative).message, /absolute path/);
    const outside = remote(['restore', ids.second!, '--target', join(f.dir, 'elsewhere'), '--json']);
    assertExit(outside, 1);
    assert.equal(jsonError(outside).code, 'CAIRN_E_FORBIDDEN');

    assert.equal(remoteJson<{ ok: boolean }>(['check', '--read-data']).ok, true);
    assert.equal(remoteJson<{ dryRun: boolean }>(['prune', '--dry-run']).dryRun, true);
  });

  it('a viewer token gets 403 for what it may not do; a revoked token is refused (exit 1)', () => {
    const viewer = remoteJson<{ token: string; info: Token }>([
      'token',
      'create',
      '--name',
      'viewer',
      '--role',
      'viewer',
      '--expires',
      '1h',
    ]);
    assert.equal(viewer.info.createdBy, 'token:admin');
    assertExit(remote(['snapshots', '--json'], viewer.token), 0);
    const denied = remote(['snapshot', '--item', 'app-dev', '--json'], viewer.token);
    assertExit(denied, 1);
    const e = jsonError(denied);
    assert.equal(e.code, 'CAIRN_E_FORBIDDEN');
    assert.match(e.message, /snapshots\.create/);
    const deniedHuman = remote(['token', 'list'], viewer.token);
    assertExit(deniedHuman, 1);
    assert.match(deniedHuman.stderr, /^cairn: CAIRN_E_FORBIDDEN: /);

    const revoked = remoteJson<Token>(['token', 'revoke', viewer.info.id]);
    assert.equal(revoked.state, 'revoked');
    const listed = remoteJson<{ tokens: Token[] }>(['token', 'list']).tokens;
    assert.equal(listed.find((t) => t.id === viewer.info.id)?.state, 'revoked');
    assert.ok(!JSON.stringify(listed).includes(viewer.token));
    const refused = remote(['snapshots', '--json'], viewer.token);
    assertExit(refused, 1);
    assert.equal(jsonError(refused).code, 'CAIRN_E_UNAUTHENTICATED');
    const noToken = remote(['snapshots', '--json'], '');
    assertExit(noToken, 1);
    assert.equal(jsonError(noToken).code, 'CAIRN_E_UNAUTHENTICATED');
  });

  it('an unreachable server is CAIRN_E_SERVER (exit 1); init and catalog rebuild stay local (exit 2)', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const r = remote(['snapshots', '--json'], admin, { CAIRN_SERVER: url });
    assertExit(r, 1);
    const e = jsonError(r);
    assert.equal(e.code, 'CAIRN_E_SERVER');
    assert.ok(e.message.includes(url), e.message);
    const notUrl = remote(['snapshots', '--json'], admin, { CAIRN_SERVER: 'cairn.internal' });
    assertExit(notUrl, 2);
    for (const args of [['init'], ['catalog', 'rebuild']]) {
      const refused = remote([...args, '--json']);
      assertExit(refused, 2);
      assert.match(jsonError(refused).message, /works on the repository itself/);
    }
  });

  it('forget by id becomes an approval; an approver enrolled in MFA grants it and the server forgets', async () => {
    const operator = localToken('operator', 'operator');
    // Made by the admin token, not by the operator's creator: a token counts as the person who made it.
    const approver = remoteJson<{ token: string }>([
      'token',
      'create',
      '--name',
      'approver',
      '--role',
      'approver',
      '--expires',
      '1h',
    ]).token;

    const victim = ids['app-dev']!;
    const human = remote(['forget', victim, '--reason', 'wrong state captured'], operator);
    assertExit(human, 0);
    const id = /^approval request (\S+): snapshot\.forget of [0-9a-f]{64} is pending$/m.exec(human.stdout)?.[1];
    assert.ok(id, human.stdout);
    assert.match(human.stdout, /needs 1 approval from approvers other than you/);
    const pending = remoteJson<Approval>(['approvals', 'show', id]);
    assert.deepEqual([pending.status, pending.required, pending.requestedBy], ['pending', 1, 'token:operator']);
    const listed = remoteJson<{ approvals: Approval[] }>(['approvals', 'list', '--status', 'pending']).approvals;
    assert.ok(listed.some((a) => a.id === id));
    assert.ok(remoteJson<{ snapshots: Array<{ id: string }> }>(['snapshots']).snapshots.some((s) => s.id === victim));

    const enrolment = remoteJson<{ subject: string; secret: string; otpauthUri: string; qr: string }>(
      ['mfa', 'enroll'],
      approver,
    );
    assert.equal(enrolment.subject, 'token:approver');
    assert.match(enrolment.otpauthUri, /^otpauth:\/\/totp\/Cairn:token%3Aapprover\?secret=/);
    assert.ok(enrolment.qr.length > 100);
    const now = Math.floor(Date.now() / 1000);
    // Each code is accepted once: confirm with the previous step's code, grant with the current one.
    const confirmed = remoteJson<{ confirmed: boolean }>(
      ['mfa', 'confirm', await generate({ secret: enrolment.secret, epoch: now - 30 })],
      approver,
    );
    assert.equal(confirmed.confirmed, true);
    const wrong = remote(['approvals', 'grant', id, '--totp', '000000', '--json'], approver);
    assertExit(wrong, 1);
    assert.equal(jsonError(wrong).code, 'CAIRN_E_MFA');
    const granted = remoteJson<Approval>(
      ['approvals', 'grant', id, '--totp', await generate({ secret: enrolment.secret, epoch: now })],
      approver,
    );
    assert.equal(granted.status, 'executed', JSON.stringify(granted));
    assert.deepEqual(
      granted.votes.map((v) => v.approver),
      ['token:approver'],
    );
    assert.ok(!remoteJson<{ snapshots: Array<{ id: string }> }>(['snapshots']).snapshots.some((s) => s.id === victim));

    const reset = remoteJson<{ enrolled: boolean }>(['mfa', 'reset', 'token:approver']);
    assert.equal(reset.enrolled, false);

    // A passphrase added through the server; removing it is an approval request that its requester may cancel.
    const add = remote(['key', 'add', '--label', 'vault', '--json'], admin, {
      CAIRN_NEW_PASSWORD: 'second passphrase',
    });
    assertExit(add, 0);
    const key = add.json<{ id: string; kind: string; label: string }>();
    assert.deepEqual([key.kind, key.label], ['password', 'vault']);
    const keyFile = remote(['key', 'add', '--new-key-file', join(f.dir, 'k'), '--json']);
    assertExit(keyFile, 2);
    const keyRequest = remoteJson<{ approval: Approval }>(['key', 'remove', key.id, '--reason', 'rotation']).approval;
    assert.deepEqual([keyRequest.action, keyRequest.target, keyRequest.status], ['key.remove', key.id, 'pending']);
    assert.equal(remoteJson<Approval>(['approvals', 'cancel', keyRequest.id]).status, 'cancelled');
    assert.equal(remoteJson<{ keys: unknown[] }>(['key', 'list']).keys.length, 2);
    const inUse = remote([
      'key',
      'remove',
      remoteJson<{ keys: Array<{ id: string; current: boolean }> }>(['key', 'list']).keys.find((k) => k.current)!.id,
      '--json',
    ]);
    assertExit(inUse, 1);
    assert.equal(jsonError(inUse).code, 'CAIRN_E_KEY_IN_USE');
  });

  it('stats, replicate --status and replicate print what local mode prints, with the same exit codes', () => {
    /** The same command here and through the server: same exit code, same JSON (times aside). */
    const same = (args: readonly string[], token = admin): unknown => {
      const here = local([...args, '--json']);
      const there = remote([...args, '--json'], token);
      assert.equal(there.code, here.code, `${args.join(' ')}: ${there.stderr}`);
      assert.deepEqual(timeless(there.json()), timeless(here.json()), args.join(' '));
      return there.json();
    };
    const viewer = localToken('viewer-s', 'viewer');
    same(['stats'], viewer);
    same(['stats', '--item', 'app-prod', '--projection', '2y', '--window', '7d'], viewer);
    same(['stats', '--tier', '2']);
    const unknown = remote(['stats', '--item', 'nope', '--json'], viewer);
    assertExit(unknown, 2);
    assert.match(jsonError(unknown).message, /"nope": no such item/);

    const behind = same(['replicate', '--status'], viewer) as { behind: number };
    assert.ok(behind.behind > 0);
    const copied = remoteJson<{ ok: boolean; copied: number }>(['replicate', '--concurrency', '2']);
    assert.ok(copied.ok && copied.copied > 0);
    assert.equal((same(['replicate', '--status'], viewer) as { behind: number }).behind, 0);
    assert.equal((same(['replicate']) as { copied: number }).copied, 0);
    assert.equal(remote(['replicate']).stdout, local(['replicate']).stdout, 'people see the same line');
    const refused = remote(['replicate', '--to', join(f.dir, 'elsewhere'), '--json']);
    assertExit(refused, 1);
    assert.equal(jsonError(refused).code, 'CAIRN_E_FORBIDDEN');
    assertExit(remote(['replicate', '--json'], viewer), 1);
  });

  it('hold add, list and remove through the server print what local mode prints; removal is approved', async () => {
    const operator = localToken('operator-h', 'operator');
    const approver = remoteJson<{ token: string }>([
      'token',
      'create',
      '--name',
      'approver-h',
      '--role',
      'approver',
      '--expires',
      '1h',
    ]).token;
    const id = ids.second!; // app-dev's snapshot was forgotten above
    const added = remote(['hold', 'add', id.slice(0, 12), '--reason', 'LEGAL-9', '--json'], operator);
    assertExit(added, 0);
    const placed = added.json<{ hold: { actor: string; reason: string }; alreadyHeld: boolean }>();
    assert.deepEqual(
      [placed.hold.actor, placed.hold.reason, placed.alreadyHeld],
      ['token:operator-h', 'LEGAL-9', false],
    );
    // Held already: both sides answer with the recorded hold, the same objects.
    const again = remote(['hold', 'add', id, '--json'], operator);
    assertExit(again, 0);
    assert.deepEqual(again.json(), localJson(['hold', 'add', id]));
    assert.equal(remote(['hold', 'add', id], operator).stdout, local(['hold', 'add', id]).stdout);
    assert.deepEqual(remoteJson(['hold', 'list'], operator), localJson(['hold', 'list']));
    assert.equal(remote(['hold', 'list'], operator).stdout, local(['hold', 'list']).stdout);

    const asked = remote(['hold', 'remove', id.slice(0, 12), '--reason', 'LEGAL-9 closed'], operator);
    assertExit(asked, 0);
    const approvalId = /^approval request (\S+): hold\.remove of [0-9a-f]{64} is pending$/m.exec(asked.stdout)?.[1];
    assert.ok(approvalId, asked.stdout);
    assert.equal(localJson<{ holds: unknown[] }>(['hold', 'list']).holds.length, 1, 'asking lifts nothing');

    const { secret } = remoteJson<{ secret: string }>(['mfa', 'enroll'], approver);
    const now = Math.floor(Date.now() / 1000);
    remoteJson(['mfa', 'confirm', await generate({ secret, epoch: now - 30 })], approver);
    const granted = remoteJson<Approval>(
      ['approvals', 'grant', approvalId, '--totp', await generate({ secret, epoch: now })],
      approver,
    );
    assert.equal(granted.status, 'executed', JSON.stringify(granted));
    assert.deepEqual(remoteJson(['hold', 'list'], operator), { holds: [] });
    assert.deepEqual(localJson(['hold', 'list']), { holds: [] });
    const nothing = remote(['hold', 'remove', id, '--json'], operator);
    assertExit(nothing, 1);
    assert.equal(jsonError(nothing).code, 'CAIRN_E_NOT_FOUND');
  });

  it('access requests: request, list, cancel; an approver denies with a reason', () => {
    const restorer = localToken('restorer-1', 'restorer');
    const approver = localToken('approver-2', 'approver');
    const first = remoteJson<Elevation>(
      ['access', 'request', 'operator', '--for', '30m', '--reason', 'INC-42'],
      restorer,
    );
    assert.deepEqual([first.subject, first.role, first.status], ['token:restorer-1', 'operator', 'pending']);
    const pending = remoteJson<{ requests: Elevation[] }>(['access', 'list', '--status', 'pending'], restorer).requests;
    assert.ok(pending.some((r) => r.id === first.id));
    assert.equal(remoteJson<Elevation>(['access', 'cancel', first.id], restorer).status, 'cancelled');

    const second = remoteJson<Elevation>(
      ['access', 'request', 'auditor', '--for', '1h', '--reason', 'audit'],
      restorer,
    );
    const denied = remoteJson<Elevation>(['access', 'deny', second.id, '--reason', 'not needed'], approver);
    assert.deepEqual([denied.status, denied.statusNote], ['denied', 'not needed']);
    const bad = remote(['access', 'request', 'emperor', '--for', '1h', '--reason', 'x', '--json'], restorer);
    assertExit(bad, 2);
  });

  it('reads, verifies and exports the audit trail through the server', () => {
    const events = remoteJson<{ events: AuditEvent[] }>(['audit', 'log']).events;
    assert.ok(
      events.some((e) => e.identity === 'token:viewer' && e.action === 'snapshots.create' && e.result === 'denied'),
      'the refused snapshot is in the log',
    );
    assert.ok(events.some((e) => e.identity === 'anonymous' && e.action === 'auth.fail'));
    const creates = remoteJson<{ events: AuditEvent[] }>([
      'audit',
      'log',
      '--identity',
      'token:admin',
      '--action',
      'snapshots.create',
    ]).events;
    assert.deepEqual(
      creates.map((e) => e.result),
      ['allowed', 'ok'],
    );
    const verified = remoteJson<{ ok: boolean; events: number }>(['audit', 'verify']);
    assert.equal(verified.ok, true);

    const jsonl = remote(['audit', 'export', '--format', 'jsonl']);
    assertExit(jsonl, 0);
    const exported = jsonl.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditEvent);
    const logged = remoteJson<{ events: AuditEvent[] }>(['audit', 'log']).events.filter(
      (e) => e.seq <= exported.at(-1)!.seq,
    );
    assert.deepEqual(
      exported.map((e) => e.seq),
      logged.map((e) => e.seq),
    );
    const out = join(f.dir, 'trail.cef');
    const summary = remoteJson<{ events: number }>(['audit', 'export', '--format', 'cef', '--output', out]);
    const cef = readFileSync(out, 'utf8').trimEnd().split('\n');
    assert.equal(cef.length, summary.events);
    assert.ok(cef.every((l) => l.startsWith('CEF:0|Cairn|')));

    // An operator may not read the audit log.
    const operator = localToken('operator-2', 'operator');
    const refused = remote(['audit', 'log', '--json'], operator);
    assertExit(refused, 1);
    assert.equal(jsonError(refused).code, 'CAIRN_E_FORBIDDEN');
  });
});
