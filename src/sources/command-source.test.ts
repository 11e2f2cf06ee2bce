import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { isCairnError } from '../errors/index.js';
import type { CommandSource } from '../policy/index.js';
import { runCommandSource } from './command-source.js';

const dir = mkdtempSync(join(tmpdir(), 'cairn-cmd-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const cmd = (run: string, over: Partial<CommandSource> = {}): CommandSource => ({
  kind: 'command',
  run,
  timeoutMs: 10_000,
  cwd: dir,
  file: 'out.yaml',
  format: 'yaml',
  env: [],
  ...over,
});

/** Gone, or a zombie waiting for its reaper: either way no longer running. */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('command source', () => {
  test('stdout becomes one file; only PATH, HOME, LANG and the listed variables are passed', async () => {
    const env = { PATH: process.env.PATH, HOME: '/home/x', KUBECONFIG: '/k', OTHER: 'no' };
    const r = await runCommandSource(
      cmd('printf "kind: %s\\nkube: %s\\nother: %s\\n" List "$KUBECONFIG" "$OTHER"', { env: ['KUBECONFIG'] }),
      'cm',
      { env },
    );
    assert.equal(r.entries.length, 1);
    const e = r.entries[0]!;
    assert.equal(e.path, 'out.yaml');
    assert.equal(e.content!.toString(), 'kind: List\nkube: /k\nother: \n');
    assert.equal(e.mtime, 0);
    assert.equal(e.size, e.content!.length);
  });

  test('runs in cwd', async () => {
    const r = await runCommandSource(cmd('pwd'), 'cm');
    assert.equal(r.entries[0]!.content!.toString().trim(), dir);
  });

  test('a non-zero exit is CAIRN_E_SOURCE with the exit code and the last stderr lines', async () => {
    await assert.rejects(
      runCommandSource(cmd('echo line1 >&2; echo "error: no such context" >&2; exit 3'), 'cm'),
      (err) => {
        assert.ok(isCairnError(err, 'CAIRN_E_SOURCE'));
        assert.match(err.message, /item cm: command `echo line1/);
        assert.match(err.message, /exited with code 3/);
        assert.match(err.message, /error: no such context/);
        assert.equal((err.details as { exitCode: number }).exitCode, 3);
        return true;
      },
    );
  });

  test('a hanging command is killed at its timeout, together with its child processes', async () => {
    const pidFile = join(dir, 'child.pid');
    await assert.rejects(
      runCommandSource(cmd(`sleep 300 & echo $! > ${pidFile}; wait`, { timeoutMs: 500 }), 'cm'),
      (err) => {
        assert.ok(isCairnError(err, 'CAIRN_E_SOURCE'));
        assert.match(err.message, /timed out after 500 ms/);
        return true;
      },
    );
    const child = Number(readFileSync(pidFile, 'utf8').trim());
    assert.ok(child > 0);
    assert.equal(running(child), false, `child sleep ${child} still runs`);
  });

  test('a child that ignores SIGTERM is killed with SIGKILL', async () => {
    const pidFile = join(dir, 'stubborn.pid');
    const run = `sh -c 'trap "" TERM; echo $$ > ${pidFile}; while :; do sleep 1; done' & wait`;
    await assert.rejects(runCommandSource(cmd(run, { timeoutMs: 300 }), 'cm'), /timed out/);
    assert.equal(running(Number(readFileSync(pidFile, 'utf8').trim())), false);
  });

  test('output beyond the cap stops the command with an error', async () => {
    await assert.rejects(runCommandSource(cmd('yes configuration'), 'cm', {}, 1024 * 1024), (err) => {
      assert.ok(isCairnError(err, 'CAIRN_E_SOURCE'));
      assert.match(err.message, /more than 1048576 bytes/);
      return true;
    });
  });

  test('a missing cwd is CAIRN_E_SOURCE', async () => {
    await assert.rejects(runCommandSource(cmd('true', { cwd: join(dir, 'missing') }), 'cm'), /could not be started/);
  });

  test('a background child left running is ended when the shell exits; the output is returned at once', async () => {
    const pidFile = join(dir, 'bg.pid');
    const r = await runCommandSource(cmd(`sleep 30 & echo $! > ${pidFile}; echo ok`, { timeoutMs: 20_000 }), 'cm');
    assert.equal(r.entries[0]!.content!.toString(), 'ok\n');
    const child = Number(readFileSync(pidFile, 'utf8').trim());
    assert.ok(child > 0);
    assert.equal(await gone(child), true, `background sleep ${child} still runs`);
  });

  test('a background child that ignores SIGTERM and holds stdout: no spurious timeout, SIGKILL after the grace', async () => {
    const pidFile = join(dir, 'bg-stubborn.pid');
    // The shell waits until the child has set its trap (it writes its pid after) before it exits.
    const run = `sh -c 'trap "" TERM; echo $$ > ${pidFile}; while :; do sleep 1; done' & while [ ! -s ${pidFile} ]; do sleep 0.01; done; echo ok`;
    const r = await runCommandSource(cmd(run, { timeoutMs: 20_000 }), 'cm');
    assert.equal(r.entries[0]!.content!.toString(), 'ok\n');
    assert.equal(await gone(Number(readFileSync(pidFile, 'utf8').trim())), true);
  });
});

/** Waits (up to 10 s) for a process to stop running. */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    if (!running(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}
