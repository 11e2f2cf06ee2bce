/**
 * Tokens and the audit trail through the CLI on the repository itself (no server): a token's secret
 * is shown once; every command leaves `allowed` then `ok` (or `failed`) events under the OS
 * identity; `audit verify` names the first edited or deleted event; exports have one line per event.
 * The commands about server identities (access, approvals, mfa) say how to name a server.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { assertExit, jsonError, snapOne } from './e2e.js';
import { type CliResult, type Fixture, fixture, SMALL_POLICY } from './helpers.js';

/** The machine running the tests may have a server configured: these tests are about local mode. */
const LOCAL = { CAIRN_SERVER: undefined, CAIRN_TOKEN: undefined, CAIRN_TOKEN_FILE: undefined };

interface Token {
  id: string;
  name: string;
  subject: string;
  roles: string[];
  state: 'active' | 'expired' | 'revoked';
  createdBy: string;
  expiresAt: string;
  revokedAt: string | null;
}

interface AuditEvent {
  seq: number;
  identity: string;
  roles: string[];
  action: string;
  target: string | null;
  result: string;
  details: Record<string, unknown>;
  hash: string;
}

interface VerifyReport {
  ok: boolean;
  events: number;
  checkpoints: number;
  firstBad?: { seq: number; problem: string; message: string };
}

function local(f: Fixture, args: readonly string[]): CliResult {
  return f.cli(args, { env: LOCAL });
}

function ok<T>(f: Fixture, args: readonly string[]): T {
  const r = local(f, [...args, '--json']);
  assertExit(r, 0);
  return r.json<T>();
}

function events(f: Fixture, args: readonly string[] = []): AuditEvent[] {
  return ok<{ events: AuditEvent[] }>(f, ['audit', 'log', ...args]).events;
}

/** The SQLite catalog of the fixture's repository, for tampering with. */
function catalogDb(f: Fixture): Database.Database {
  const dirs = readdirSync(f.home).filter((d) => statSync(join(f.home, d)).isDirectory());
  assert.equal(dirs.length, 1, `one catalog under ${f.home}`);
  return new Database(join(f.home, dirs[0]!, 'catalog.sqlite'));
}

function tamper(f: Fixture, sql: string): void {
  const db = catalogDb(f);
  try {
    db.exec(sql);
  } finally {
    db.close();
  }
}

describe('cairn token (local)', () => {
  it('create shows the secret once; list never shows it; a revoked token is listed as revoked', () => {
    const f = fixture();
    const human = local(f, ['token', 'create', '--name', 'ci-bot', '--role', 'operator', '--expires', '30d']);
    assertExit(human, 0);
    const secret = /^(cairn_[0-9a-f]{16}_[A-Za-z0-9_-]{43})$/m.exec(human.stdout)?.[1];
    assert.ok(secret, `a secret on a line of its own:\n${human.stdout}`);
    assert.match(human.stderr, /only time the token is shown/);
    assert.match(human.stdout, /token:ci-bot \(operator\)/);

    const created = ok<{ token: string; info: Token }>(f, [
      'token',
      'create',
      '--role',
      'auditor',
      '--role',
      'viewer',
      '--expires',
      '12h',
    ]);
    assert.match(created.token, /^cairn_[0-9a-f]{16}_/);
    assert.match(created.info.name, /^auditor-viewer-\d{8}-\d{4}$/, 'the default name: roles and UTC time');
    assert.deepEqual(created.info.roles, ['auditor', 'viewer']);
    assert.match(created.info.createdBy, /^local:/);
    const hours = (Date.parse(created.info.expiresAt) - Date.now()) / 3_600_000;
    assert.ok(hours > 11.9 && hours <= 12, `expires in 12h, not ${hours}h`);

    const listJson = local(f, ['token', 'list', '--json']);
    const listHuman = local(f, ['token', 'list']);
    for (const r of [listJson, listHuman]) {
      assertExit(r, 0);
      for (const s of [secret, created.token]) assert.ok(!r.stdout.includes(s), 'list never shows a secret');
      assert.ok(!/hash/i.test(r.stdout), 'nor a hash');
    }
    const tokens = listJson.json<{ tokens: Token[] }>().tokens;
    assert.deepEqual(tokens.map((t) => [t.name, t.state]).sort(), [
      [created.info.name, 'active'],
      ['ci-bot', 'active'],
    ]);

    const ciBot = tokens.find((t) => t.name === 'ci-bot')!;
    const revoked = ok<Token>(f, ['token', 'revoke', ciBot.id]);
    assert.equal(revoked.state, 'revoked');
    assert.match(revoked.revokedAt ?? '', /^\d{4}-/);
    const after = ok<{ tokens: Token[] }>(f, ['token', 'list']).tokens;
    assert.equal(after.find((t) => t.id === ciBot.id)?.state, 'revoked');
    assert.equal(after.find((t) => t.id === created.info.id)?.state, 'active');
    assert.match(local(f, ['token', 'list']).stdout, new RegExp(`${ciBot.id}\\s+ci-bot\\s+operator\\s+revoked`));

    // The audit log names the token created and revoked, never its secret.
    const log = local(f, ['audit', 'export', '--format', 'jsonl']);
    assertExit(log, 0);
    for (const s of [secret, created.token]) assert.ok(!log.stdout.includes(s), 'no secret in the audit log');
    const trail = events(f, ['--action', 'tokens.*']);
    assert.ok(trail.some((e) => e.action === 'tokens.create' && e.target === 'token:ci-bot' && e.result === 'ok'));
    assert.ok(trail.some((e) => e.action === 'tokens.revoke' && e.target === ciBot.id && e.result === 'ok'));
  });

  it('refuses bad roles, durations and a second active token of one name (usage errors exit 2)', () => {
    const f = fixture();
    const cases: Array<[string[], number, string, RegExp]> = [
      [['token', 'create', '--role', 'root', '--expires', '1d'], 2, 'CAIRN_E_USAGE', /the roles are viewer, operator/],
      [['token', 'create', '--role', 'viewer', '--expires', 'soon'], 2, 'CAIRN_E_USAGE', /--expires soon/],
      [['token', 'create', '--role', 'viewer'], 2, 'CAIRN_E_USAGE', /--expires/],
      [['token', 'revoke', 'ffffffffffffffff'], 1, 'CAIRN_E_NOT_FOUND', /no token/],
    ];
    for (const [args, code, errorCode, message] of cases) {
      const r = local(f, [...args, '--json']);
      assertExit(r, code);
      const e = jsonError(r);
      assert.equal(e.code, errorCode, args.join(' '));
      assert.match(e.message, message, args.join(' '));
    }
    ok(f, ['token', 'create', '--name', 'dup', '--role', 'viewer', '--expires', '1d']);
    const again = local(f, ['token', 'create', '--name', 'dup', '--role', 'viewer', '--expires', '1d', '--json']);
    assertExit(again, 1);
    assert.equal(jsonError(again).code, 'CAIRN_E_EXISTS');
  });
});

describe('cairn audit log (local)', () => {
  it('every command that opens the repository leaves allowed, then ok or failed, under the OS identity', () => {
    const f = fixture();
    const id = snapOne(f, 'app-prod').id!;
    const commands: string[][] = [
      ['snapshots'],
      ['show', id],
      ['ls', id],
      ['diff', id, id],
      ['check'],
      ['restore', id, '--target', join(f.dir, 'restored')],
      ['forget', '--apply-policy', '--dry-run'],
      ['prune', '--dry-run'],
      ['key', 'list'],
      ['token', 'list'],
      ['audit', 'verify'],
    ];
    for (const args of commands) assertExit(local(f, [...args, '--json']), 0);
    assertExit(local(f, ['show', 'ffffffff', '--json']), 1);

    const all = events(f);
    assert.deepEqual(
      all.map((e) => e.seq),
      all.map((_, i) => i + 1),
      'seq 1, 2, 3… without gaps',
    );
    for (const e of all) {
      assert.match(e.identity, /^local:[^@]+@.+$/);
      assert.deepEqual(e.roles, ['admin']);
      assert.equal(e.details.via, 'cli');
    }
    const creates = all.filter((e) => e.action === 'snapshots.create');
    assert.deepEqual(
      creates.map((e) => e.result),
      ['allowed', 'ok'],
    );
    const expected = [
      'repository.init',
      'snapshots.create',
      'snapshots.search',
      'snapshots.show',
      'snapshots.ls',
      'snapshots.diff',
      'check.run',
      'restore.run',
      'forget',
      'prune',
      'keys.list',
      'tokens.list',
      'audit.verify',
    ];
    for (const action of expected) {
      const mine = all.filter((e) => e.action === action).map((e) => e.result);
      assert.deepEqual(mine.slice(0, 2), ['allowed', 'ok'], `${action}: ${mine.join(', ')}`);
    }
    const shown = all.filter((e) => e.action === 'snapshots.show');
    assert.equal(shown.at(-1)!.result, 'failed', 'a command that fails is recorded as failed');
    assert.equal(shown.at(-1)!.target, 'ffffffff');
    assert.equal(shown.at(-1)!.details.error, 'CAIRN_E_NOT_FOUND');
    assert.equal(all.find((e) => e.action === 'snapshots.ls')?.target, id);

    // Filters: action family, result, limit, newest first; the table for people.
    const oks = events(f, ['--action', 'snapshots.*', '--result', 'ok']);
    assert.ok(oks.length >= 5 && oks.every((e) => e.action.startsWith('snapshots.') && e.result === 'ok'));
    const latest = events(f, ['--newest', '--limit', '2']);
    assert.equal(latest.length, 2);
    assert.ok(latest[0]!.seq > latest[1]!.seq);
    assert.deepEqual(events(f, ['--since', '2999-01-01']), []);
    assert.equal(events(f, ['--until', '2000-01-01']).length, 0);
    const table = local(f, ['audit', 'log', '--action', 'snapshots.create']);
    assertExit(table, 0);
    assert.match(table.stdout, /^SEQ\s+TIME\s+IDENTITY\s+ACTION/m);
    assert.match(table.stdout, /local:\S+\s+snapshots\.create\s+-\s+allowed/);
    const bad = local(f, ['audit', 'log', '--since', 'yesterday', '--json']);
    assertExit(bad, 2);
    assert.match(jsonError(bad).message, /--since yesterday/);
  });
});

describe('cairn audit verify (local)', () => {
  it('passes an intact trail, then names the first edited event (exit 1, human and JSON)', () => {
    const f = fixture();
    snapOne(f, 'app-prod');
    const good = ok<VerifyReport>(f, ['audit', 'verify']);
    assert.equal(good.ok, true);
    assert.ok(good.events >= 4, `${good.events} events`);
    assert.equal(good.firstBad, undefined);
    const human = local(f, ['audit', 'verify']);
    assertExit(human, 0);
    assert.match(human.stdout, /^audit trail verified: \d+ events/);

    tamper(f, `UPDATE audit_events SET target = 'someone-else' WHERE seq = 3`);
    const r = local(f, ['audit', 'verify', '--json']);
    assertExit(r, 1);
    const report = r.json<VerifyReport>();
    assert.equal(report.ok, false);
    assert.deepEqual({ seq: report.firstBad?.seq, problem: report.firstBad?.problem }, { seq: 3, problem: 'edited' });
    assert.equal(report.events, 2, 'events verified before the first bad one');
    const text = local(f, ['audit', 'verify']);
    assertExit(text, 1);
    assert.match(text.stdout, /FAILED verification at seq 3: edited/);
  });

  it('names a deleted event', () => {
    const f = fixture();
    snapOne(f, 'app-prod');
    tamper(f, 'DELETE FROM audit_events WHERE seq = 2');
    const r = local(f, ['audit', 'verify', '--json']);
    assertExit(r, 1);
    assert.deepEqual(r.json<VerifyReport>().firstBad?.seq, 2);
    assert.equal(r.json<VerifyReport>().firstBad?.problem, 'deleted');
    const text = local(f, ['audit', 'verify']);
    assertExit(text, 1);
    assert.match(text.stdout, /at seq 2: deleted/);
  });

  it('checks signed checkpoints: a chain rewritten with every hash recomputed still fails', () => {
    const policy = SMALL_POLICY.replace('governance:\n', 'governance:\n  audit:\n    checkpointEvery: { events: 3 }\n');
    assert.notEqual(policy, SMALL_POLICY);
    const f = fixture({ policy });
    snapOne(f, 'app-prod');
    ok(f, ['snapshots']);
    const good = ok<VerifyReport & { contentsChecked: boolean }>(f, ['audit', 'verify']);
    assert.equal(good.ok, true);
    assert.ok(good.checkpoints >= 1, `${good.checkpoints} checkpoints`);
    assert.equal(good.contentsChecked, true);
    // Deleting the newest events and moving the head back keeps the chain consistent; a checkpoint
    // vouches for more than the catalog now holds.
    const db = catalogDb(f);
    const head = (db.prepare('SELECT seq FROM audit_head').get() as { seq: number }).seq;
    const keep = 2;
    const hash = (db.prepare('SELECT hash FROM audit_events WHERE seq = ?').get(keep) as { hash: string }).hash;
    db.prepare('DELETE FROM audit_events WHERE seq > ?').run(keep);
    db.prepare('UPDATE audit_head SET seq = ?, hash = ?').run(keep, hash);
    db.close();
    assert.ok(head > keep + 1);
    const r = local(f, ['audit', 'verify', '--json']);
    assertExit(r, 1);
    const bad = r.json<VerifyReport>().firstBad;
    assert.equal(bad?.seq, keep + 1, JSON.stringify(bad));
  });
});

describe('cairn audit export (local)', () => {
  it('jsonl and cef: one line per event, to stdout or atomically to a file', () => {
    const f = fixture();
    snapOne(f, 'app-prod');
    const jsonl = local(f, ['audit', 'export', '--format', 'jsonl']);
    assertExit(jsonl, 0);
    const lines = jsonl.stdout.trimEnd().split('\n');
    const exported = lines.map((l) => JSON.parse(l) as AuditEvent);
    // The export holds every event up to its own `allowed`; the log run after it has those and more.
    const logged = events(f).filter((e) => e.seq <= exported.at(-1)!.seq);
    assert.equal(lines.length, logged.length);
    assert.deepEqual(
      exported.map((e) => [e.seq, e.hash]),
      logged.map((e) => [e.seq, e.hash]),
    );
    assert.equal(exported.at(-1)!.action, 'audit.export');

    const out = join(f.dir, 'trail.cef');
    const r = local(f, ['audit', 'export', '--format', 'cef', '--output', out, '--json']);
    assertExit(r, 0);
    const summary = r.json<{ format: string; events: number; output: string }>();
    const cef = readFileSync(out, 'utf8').trimEnd().split('\n');
    assert.equal(summary.events, cef.length);
    assert.equal(summary.output, out);
    assert.equal(summary.format, 'cef');
    for (const line of cef) assert.ok(line.startsWith('CEF:0|Cairn|'), line);
    const seqs = cef.map((l) => Number(/cn1=(\d+)/.exec(l)?.[1]));
    assert.deepEqual(
      seqs,
      seqs.map((_, i) => i + 1),
    );
    assert.equal(statSync(out).mode & 0o777, 0o600, 'audit data is personal: not readable by others');
    assert.deepEqual(
      readdirSync(f.dir).filter((n) => n.includes('.tmp')),
      [],
      'no temporary file left behind',
    );

    const filtered = local(f, ['audit', 'export', '--format', 'jsonl', '--action', 'snapshots.create']);
    assertExit(filtered, 0);
    assert.deepEqual(
      filtered.stdout
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as AuditEvent).result),
      ['allowed', 'ok'],
    );

    const noOutput = local(f, ['audit', 'export', '--format', 'jsonl', '--json']);
    assertExit(noOutput, 2);
    assert.match(jsonError(noOutput).message, /--output FILE/);
    const noFormat = local(f, ['audit', 'export', '--json']);
    assertExit(noFormat, 2);
  });
});

describe('server-only commands without CAIRN_SERVER', () => {
  it('access, approvals and mfa say to set CAIRN_SERVER and CAIRN_TOKEN (exit 2)', () => {
    const f = fixture({ init: false });
    const commands = [
      ['access', 'request', 'restorer', '--for', '30m', '--reason', 'INC-1'],
      ['access', 'list'],
      ['access', 'approve', 'jit-1'],
      ['access', 'deny', 'jit-1'],
      ['access', 'revoke', 'jit-1'],
      ['access', 'cancel', 'jit-1'],
      ['approvals', 'list'],
      ['approvals', 'show', 'apr-1'],
      ['approvals', 'grant', 'apr-1', '--totp', '123456'],
      ['approvals', 'deny', 'apr-1'],
      ['approvals', 'cancel', 'apr-1'],
      ['mfa', 'enroll'],
      ['mfa', 'confirm', '123456'],
      ['mfa', 'reset', 'token:ci'],
    ];
    for (const args of commands) {
      const what = `cairn ${args.join(' ')}`;
      const r = local(f, [...args, '--json']);
      assertExit(r, 2);
      const e = jsonError(r);
      assert.equal(e.code, 'CAIRN_E_USAGE', what);
      assert.match(e.message, /CAIRN_SERVER/, what);
      assert.match(e.message, /CAIRN_TOKEN/, what);
      const human = local(f, args);
      assertExit(human, 2);
      assert.match(human.stderr, new RegExp(`^cairn: CAIRN_E_USAGE: \`cairn ${args[0]} ${args[1]}\`.*CAIRN_SERVER`));
    }
  });
});
