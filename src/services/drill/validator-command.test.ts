import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isCairnError } from '../../errors/index.js';
import { isolationAvailable } from './isolation.js';
import { openSandbox, type Sandbox } from './sandbox.js';
import { type CommandValidatorRun, runCommandValidator, shellQuote, substitute } from './validator-command.js';

/** A validator run in `sandbox` for item `app`, isolated unless told. */
function run(sandbox: Sandbox, template: string, over: Partial<CommandValidatorRun> = {}) {
  return runCommandValidator({
    template,
    label: `run: ${template}`,
    item: 'app',
    plan: 'nightly',
    sandbox,
    timeoutMs: 20_000,
    isolate: true,
    network: false,
    ...over,
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether the process group is gone once the kill has been delivered (SIGKILLed members take a moment to be reaped). */
async function groupGone(pid: number): Promise<boolean> {
  for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  return !alive(pid);
}

describe('drill sandbox and command validators', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'cairn-validators-'));
  let isolated = false;
  let sandbox: Sandbox;
  before(async () => {
    isolated = (await isolationAvailable()).available;
    sandbox = await openSandbox(join(scratch, "staging dir 'quoted'"));
    mkdirSync(sandbox.itemDir('app'));
    writeFileSync(join(sandbox.itemDir('app'), 'nginx.conf'), 'events {}\n');
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it('quotes substituted paths so that one path stays one word', () => {
    assert.equal(shellQuote("a b'c"), `'a b'\\''c'`);
    assert.equal(
      substitute('test -f {restored}/x && echo {item}', { restored: '/t/a b', item: 'app' }),
      `test -f '/t/a b'/x && echo 'app'`,
    );
  });

  it('refuses a staging folder that is not empty, and one that is a file', async () => {
    await assert.rejects(openSandbox(sandbox.path), (e) => isCairnError(e, 'CAIRN_E_TARGET_NOT_EMPTY'));
    const file = join(scratch, 'a-file');
    writeFileSync(file, 'x');
    await assert.rejects(openSandbox(file), (e) => isCairnError(e, 'CAIRN_E_USAGE'));
  });

  for (const isolate of [true, false]) {
    it(`runs in the item folder with {restored} substituted and a clean environment (isolate ${isolate})`, async (t) => {
      if (isolate && !isolated) return t.skip('unshare --user --mount is not available here');
      const got = await run(sandbox, 'test -f {restored}/nginx.conf && pwd && env | sort', { isolate });
      assert.equal(got.ok, true, got.output);
      const lines = got.output.trim().split('\n');
      assert.equal(lines[0], sandbox.itemDir('app'));
      const names = lines
        .slice(1)
        .map((l) => l.split('=')[0])
        .filter((n) => n !== 'PWD' && n !== 'OLDPWD' && n !== 'SHLVL' && n !== '_');
      assert.deepEqual(names, ['CAIRN_DRILL', 'CAIRN_ITEM', 'HOME', 'LANG', 'PATH', 'TMPDIR']);
      assert.ok(got.output.includes(`HOME=${sandbox.home}`));
      assert.ok(got.output.includes(`TMPDIR=${sandbox.tmp}`));
      assert.ok(got.output.includes('CAIRN_DRILL=nightly'));
    });
  }

  it('stops a validator that hangs: its whole process group, and a validator-timeout gap', async () => {
    const got = await run(sandbox, 'echo pid=$$; sleep 30 & sleep 30', { timeoutMs: 300 });
    assert.equal(got.ok, false);
    assert.equal(got.timedOut, true);
    assert.deepEqual(
      got.gaps.map((g) => g.category),
      ['validator-timeout'],
    );
    const pid = Number(/pid=(\d+)/.exec(got.output)?.[1]);
    assert.ok(pid > 0, got.output);
    assert.equal(await groupGone(pid), true, `process group ${pid} still has members`);
  });

  it('names a program that is not installed as a missing dependency', async () => {
    const got = await run(sandbox, 'cairn-no-such-tool --version');
    assert.equal(got.ok, false);
    assert.equal(got.exitCode, 127);
    assert.deepEqual(
      got.gaps.map((g) => [g.category, g.key]),
      [['missing-dependency', 'cairn-no-such-tool']],
    );
  });

  it('a validator that writes outside the sandbox fails, and nothing is written there', async (t) => {
    if (!isolated) return t.skip('unshare --user --mount is not available here');
    const outside = join(scratch, `outside-${randomBytes(4).toString('hex')}`);
    const got = await run(sandbox, `echo leaked > ${shellQuote(outside)}`);
    assert.equal(got.ok, false);
    assert.match(got.output, /Read-only file system/);
    assert.deepEqual(
      got.gaps.map((g) => g.category),
      ['sandbox-violation'],
    );
    assert.equal(existsSync(outside), false);
    // Inside the sandbox, writing works: HOME, TMPDIR and the restored folder.
    const inside = await run(sandbox, 'echo a > "$HOME/h" && echo b > "$TMPDIR/t" && echo c > {restored}/new');
    assert.equal(inside.ok, true, inside.output);
    assert.equal(readFileSync(join(sandbox.itemDir('app'), 'new'), 'utf8'), 'c\n');
  });

  describe('network', () => {
    let server: Server;
    let port = 0;
    let connections = 0;
    before(async () => {
      server = createServer((s) => {
        connections++;
        s.end('hello\n');
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      port = (server.address() as { port: number }).port;
    });
    after(() => new Promise<void>((r) => server.close(() => r())));
    const connect = () =>
      `node -e "const s=require('net').connect(${port},'127.0.0.1');s.on('data',()=>{console.log('connected');process.exit(0)});s.on('error',e=>{console.log(e.code);process.exit(1)})"`;

    it('without network, a validator cannot reach a listener on 127.0.0.1', async (t) => {
      if (!isolated) return t.skip('unshare --net is not available here');
      const got = await run(sandbox, connect());
      assert.equal(got.ok, false, got.output);
      assert.equal(connections, 0);
    });

    it('with network: true it can', async () => {
      const got = await run(sandbox, connect(), { network: true });
      assert.equal(got.ok, true, got.output);
      assert.match(got.output, /connected/);
      assert.equal(connections, 1);
    });
  });
});
