import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Command } from 'commander';
import { buildProgram } from '../src/cli/index.js';
import { assertExit, cliMany, snapOne } from './e2e.js';
import { type CliResult, fixture } from './helpers.js';

interface Listed {
  readonly path: readonly string[];
  readonly command: Command;
}

/** Every command and subcommand the CLI defines (the program itself included), from its own definition. */
function allCommands(): Listed[] {
  const out: Listed[] = [];
  const walk = (cmd: Command, path: readonly string[]) => {
    out.push({ path, command: cmd });
    for (const sub of cmd.commands) walk(sub, [...path, sub.name()]);
  };
  walk(buildProgram(), []);
  return out;
}

const COMMANDS = allCommands();
const LEAVES = COMMANDS.filter((c) => c.path.length > 0 && c.command.commands.length === 0);

function assertErrorDocument(r: CliResult, what: string): { code: string; message: string } {
  let doc: { error?: { code?: unknown; message?: unknown } };
  try {
    doc = JSON.parse(r.stdout);
  } catch {
    assert.fail(`${what}: stdout is not JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
  assert.ok(doc.error, `${what}: no error document:\n${r.stdout}`);
  assert.equal(typeof doc.error.code, 'string', what);
  assert.match(doc.error.code as string, /^CAIRN_E_[A-Z_]+$/, what);
  assert.equal(typeof doc.error.message, 'string', what);
  return doc.error as { code: string; message: string };
}

describe('--help', () => {
  it('lists the commands the tests loop over', () => {
    const names = COMMANDS.map((c) => c.path.join(' '));
    for (const expected of [
      'init',
      'key add',
      'key list',
      'key remove',
      'snapshot',
      'snapshots',
      'show',
      'catalog rebuild',
    ])
      assert.ok(names.includes(expected), `${expected} in ${names.join(', ')}`);
  });

  it('every command and subcommand answers --help with exit 0 and names each of its options', async () => {
    const f = fixture({ init: false });
    const results = await cliMany(
      f,
      COMMANDS.map((c) => [...c.path, '--help']),
    );
    COMMANDS.forEach(({ path, command }, i) => {
      const r = results[i]!;
      const what = `cairn ${[...path, '--help'].join(' ')}`;
      assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^Usage: cairn${path.map((p) => ` ${p}`).join('')}\\b`, 'm'), what);
      for (const option of command.options) {
        const flag = option.long ?? option.short!;
        assert.ok(r.stdout.includes(flag), `${what} does not mention ${flag}:\n${r.stdout}`);
      }
      for (const sub of command.commands) assert.ok(r.stdout.includes(sub.name()), `${what} lists ${sub.name()}`);
      if (path.length === 0) {
        for (const flag of ['--json', '--repo', '--password-file', '--key-file']) assert.ok(r.stdout.includes(flag));
        assert.match(r.stdout, /Exit codes: 0 ok, 1 failed, 2 bad usage/);
      }
    });
  });

  it('a command group without a subcommand, or an unknown command, is a usage error (exit 2)', async () => {
    const f = fixture({ init: false });
    // `alerts` alone lists the alerts (its default subcommand); `report` alone needs --month (exit 2).
    const groups = COMMANDS.filter(
      (c) => c.path.length > 0 && c.command.commands.length > 0 && c.path.join(' ') !== 'alerts',
    );
    assert.ok(groups.length > 0);
    const args = [...groups.map((g) => [...g.path, '--json']), ['no-such-command', '--json']];
    const results = await cliMany(f, args);
    results.forEach((r, i) => {
      const what = `cairn ${args[i]!.join(' ')}`;
      assert.equal(r.code, 2, `${what}: exit ${r.code}`);
      assert.equal(assertErrorDocument(r, what).code, 'CAIRN_E_USAGE');
    });
  });
});

describe('--json', () => {
  /**
   * One invocation per leaf command. Each prints a single JSON document on stdout: its result, or
   * `{error:{code,message}}` when it fails. Writers run one after another; readers run together.
   */
  it('every command prints one JSON document on stdout, its result or {error:{code,message}}', async () => {
    const f = fixture();
    const id = snapOne(f, 'app-prod').id!;
    const pw = f.write('new-pw.txt', 'another passphrase\n');
    const target = join(f.dir, 'restored');
    const writers: Record<string, string[]> = {
      snapshot: ['snapshot', '--item', 'app-dev'],
      'key add': ['key', 'add', '--new-password-file', pw],
      'key rotate': ['key', 'rotate', '--new-password-file', pw, '--keep-old'],
      restore: ['restore', id, '--target', target],
      'catalog rebuild': ['catalog', 'rebuild'],
      forget: ['forget', id, '--dry-run'],
      prune: ['prune', '--dry-run'],
      'token create': ['token', 'create', '--role', 'viewer', '--expires', '1d'],
      'token revoke': ['token', 'revoke', 'ffffffffffffffff'], // no such token: an error document
      'audit export': ['audit', 'export', '--format', 'jsonl', '--output', join(f.dir, 'audit.jsonl')],
      'hold add': ['hold', 'add', id],
      'hold remove': ['hold', 'remove', id],
      replicate: ['replicate', '--to', join(f.dir, 'replica')],
      repair: ['repair', '--from', join(f.dir, 'replica')], // after replicate: nothing to repair
      'deploy start': ['deploy', 'start', '--env', 'prod', '--id', 'D-help', '--release', '1.0.0'],
      'deploy finish': ['deploy', 'finish', 'D-help'],
      'deploy fail': ['deploy', 'fail', 'D-help', '--reason', 'smoke tests'],
      'drill run': ['drill', 'run', 'nope'], // no such plan: an error document
      'alerts ack': ['alerts', 'ack', 'al-ffffffffffffffff'], // no such alert: an error document
      'alerts resolve': ['alerts', 'resolve', 'al-ffffffffffffffff'],
    };
    // About identities a server knows: without CAIRN_SERVER, a usage error document.
    const serverOnly: Record<string, string[]> = {
      'access request': ['access', 'request', 'restorer', '--for', '30m', '--reason', 'INC-1'],
      'access list': ['access', 'list'],
      'access approve': ['access', 'approve', 'jit-1'],
      'access deny': ['access', 'deny', 'jit-1'],
      'access revoke': ['access', 'revoke', 'jit-1'],
      'access cancel': ['access', 'cancel', 'jit-1'],
      'approvals list': ['approvals', 'list'],
      'approvals show': ['approvals', 'show', 'apr-1'],
      'approvals grant': ['approvals', 'grant', 'apr-1', '--totp', '123456'],
      'approvals deny': ['approvals', 'deny', 'apr-1'],
      'approvals cancel': ['approvals', 'cancel', 'apr-1'],
      'mfa enroll': ['mfa', 'enroll'],
      'mfa confirm': ['mfa', 'confirm', '123456'],
      'mfa reset': ['mfa', 'reset', 'token:ci'],
      'drill signoff': ['drill', 'signoff', 'dr-000000', '--team', 'operations', '--code', '123456'],
    };
    const readers: Record<string, string[]> = {
      init: ['init'], // the repository exists: an error document
      'key list': ['key', 'list'],
      'key remove': ['key', 'remove', 'ffffffffffff'], // no such key: an error document
      snapshots: ['snapshots'],
      stats: ['stats'],
      schedules: ['schedules'],
      drift: ['drift', '--env', 'prod'],
      gate: ['gate', '--env', 'prod', '--release', '1.0.0'], // captured by deploy start above, unchanged since
      rollback: ['rollback', '--deployment', 'D-none'], // no such deployment: an error document
      runbook: ['runbook', '--env', 'prod', '--out', join(f.dir, 'runbooks')],
      show: ['show', id],
      ls: ['ls', id],
      diff: ['diff', id, id],
      check: ['check'],
      'policy check': ['policy', 'check'],
      'policy schema': ['policy', 'schema'],
      serve: ['serve', '--port', '99999'], // a bad port: an error document before anything is opened
      'token list': ['token', 'list'],
      'hold list': ['hold', 'list'],
      'deploy list': ['deploy', 'list'],
      'deploy show': ['deploy', 'show', 'D-help'],
      'audit log': ['audit', 'log'],
      'audit verify': ['audit', 'verify'],
      'drill list': ['drill', 'list'],
      'drill show': ['drill', 'show', 'dr-000000'], // no such drill: an error document
      gaps: ['gaps'],
      coverage: ['coverage'],
      'alerts list': ['alerts', 'list'],
      'alerts show': ['alerts', 'show', 'al-ffffffffffffffff'],
      'report verify': ['report', 'verify', join(f.dir, 'no-such-report.json')], // unreadable: an error document
      ...serverOnly,
    };
    const cases = { ...writers, ...readers };
    const leaves = LEAVES.map((l) => l.path.join(' '));
    assert.deepEqual(Object.keys(cases).sort(), [...leaves].sort(), 'a --json case for every command');

    const results = new Map<string, CliResult>();
    for (const [name, args] of Object.entries(writers)) results.set(name, f.cli([...args, '--json']));
    const names = Object.keys(readers);
    const read = await cliMany(
      f,
      names.map((n) => [...readers[n]!, '--json']),
    );
    names.forEach((n, i) => {
      results.set(n, read[i]!);
    });

    for (const [name, r] of results) {
      const what = `cairn ${name} --json`;
      assert.doesNotThrow(() => JSON.parse(r.stdout), `${what}: stdout is not one JSON document:\n${r.stdout}`);
      if (r.code !== 0) assertErrorDocument(r, what);
    }
    assert.equal(assertErrorDocument(results.get('init')!, 'init').code, 'CAIRN_E_REPO_EXISTS');
    assert.equal(assertErrorDocument(results.get('key remove')!, 'key remove').code, 'CAIRN_E_NOT_FOUND');
    assert.equal(assertErrorDocument(results.get('serve')!, 'serve').code, 'CAIRN_E_USAGE');
    assert.equal(assertErrorDocument(results.get('token revoke')!, 'token revoke').code, 'CAIRN_E_NOT_FOUND');
    for (const name of Object.keys(serverOnly)) {
      assertExit(results.get(name)!, 2);
      assert.equal(assertErrorDocument(results.get(name)!, name).code, 'CAIRN_E_USAGE');
    }
    assert.equal(assertErrorDocument(results.get('rollback')!, 'rollback').code, 'CAIRN_E_NOT_FOUND');
    assert.equal(results.get('gate')!.json<{ passed: boolean }>().passed, true);
    const failing = new Set([
      'init',
      'key remove',
      'serve',
      'token revoke',
      'rollback',
      'gate',
      'drill run',
      'drill show',
      'alerts ack',
      'alerts resolve',
      'alerts show',
      'report verify',
      ...Object.keys(serverOnly),
    ]);
    for (const name of Object.keys(cases).filter((n) => !failing.has(n))) {
      assertExit(results.get(name)!, 0);
    }
  });

  it('usage errors print {error:{code:"CAIRN_E_USAGE",…}} and exit 2', async () => {
    const f = fixture();
    const args = [
      ['snapshot', '--no-such-flag', '--json'],
      ['snapshots', '--trigger', 'whenever', '--json'],
      ['restore', '--json'], // --target missing
      ['show', '--json'], // id missing
      ['forget', '--json'], // neither ids nor --apply-policy
    ];
    const results = await cliMany(f, args);
    results.forEach((r, i) => {
      const what = `cairn ${args[i]!.join(' ')}`;
      assert.equal(r.code, 2, `${what}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
      assert.equal(assertErrorDocument(r, what).code, 'CAIRN_E_USAGE', what);
    });
  });
});
