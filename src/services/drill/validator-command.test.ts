import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isCairnError } from '../../errors/index.js';
import { isolationAvailable } from './isolation.js';
import { openSandbox, removeStaleSandboxes, type Sandbox } from './sandbox.js';
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

  it('deletes sandboxes left by processes that are gone, never those of a live one', async () => {
    const dir = join(scratch, 'tmp');
    mkdirSync(dir);
    const gone = spawnSync('true').pid;
    for (const name of [`cairn-drill-${gone}-AbC123`, `cairn-drill-${process.pid}-XyZ789`, 'cairn-drill-other']) {
      mkdirSync(join(dir, name, 'app'), { recursive: true });
      writeFileSync(join(dir, name, 'app', 'secret.env'), 'x');
    }
    const removed = await removeStaleSandboxes(dir);
    assert.deepEqual(removed, [join(dir, `cairn-drill-${gone}-AbC123`)]);
    assert.deepEqual(readdirSync(dir).sort(), ['cairn-drill-other', `cairn-drill-${process.pid}-XyZ789`].sort());
    const box = await openSandbox();
    try {
      assert.match(box.path, new RegExp(`cairn-drill-${process.pid}-[A-Za-z0-9]{6}$`));
      assert.equal(statSync(box.path).mode & 0o777, 0o700);
    } finally {
      await box.cleanup();
    }
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

  it('a validator cannot lift the fence: no remount read-write, no unmount, no capabilities', async (t) => {
    if (!isolated) return t.skip('unshare --user --mount is not available here');
    const outside = join(scratch, `escape-${randomBytes(4).toString('hex')}`);
    const got = await run(
      sandbox,
      `mount -o remount,bind,rw / ; mount -o remount,bind,rw ${shellQuote(scratch)} ; umount {sandbox} ; ` +
        `grep CapEff /proc/self/status; echo escaped > ${shellQuote(outside)}`,
    );
    assert.equal(existsSync(outside), false, `the validator wrote outside the sandbox:\n${got.output}`);
    assert.equal(got.ok, false);
    assert.match(got.output, /CapEff:\s+0+\n/);
    assert.deepEqual(
      got.gaps.map((g) => g.category),
      ['sandbox-violation'],
    );
  });

  it('keeps no secret of the restored files in its output or gap message', async () => {
    writeFileSync(
      join(sandbox.itemDir('app'), 'app.env'),
      'DB_PASSWORD=hunter2-s3cret\nAWS_KEY=AKIAIOSFODNN7QWERTYU\n',
    );
    const got = await run(sandbox, 'cat app.env; exit 1');
    assert.equal(got.ok, false);
    assert.doesNotMatch(got.output, /hunter2-s3cret|AKIAIOSFODNN7QWERTYU/);
    assert.match(got.output, /DB_PASSWORD=\[REDACTED:password\]/);
    assert.match(got.output, /\[REDACTED:aws-access-key-id\]/);
    assert.equal(got.gaps.length, 1);
    assert.doesNotMatch(got.gaps[0]!.message, /AKIAIOSFODNN7QWERTYU/);
  });

  it('leaks none of the environment of the process running the drill (CAIRN_PASSWORD, AWS_*, VAULT_TOKEN)', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      CAIRN_PASSWORD: 'drill-env-secret',
      AWS_SECRET_ACCESS_KEY: 'drill-env-secret',
      VAULT_TOKEN: 'drill-env-secret',
      CAIRN_TOKEN: 'drill-env-secret',
    });
    try {
      for (const isolate of isolated ? [true, false] : [false]) {
        // (The parent's /proc/PID/environ is the CLI test's business: this process started without them.)
        const got = await run(sandbox, 'env', { isolate });
        assert.equal(got.ok, true, got.output);
        assert.doesNotMatch(got.output, /drill-env-secret|CAIRN_PASSWORD|VAULT_TOKEN|AWS_/);
      }
    } finally {
      for (const k of ['CAIRN_PASSWORD', 'AWS_SECRET_ACCESS_KEY', 'VAULT_TOKEN', 'CAIRN_TOKEN']) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    }
  });

  it('substitutes a sandbox path holding quotes, spaces and $(…) as one word: nothing is injected', async () => {
    const evil = join(scratch, `evil $(touch pwned) \`touch pwned2\` ';touch pwned3;'`);
    const box = await openSandbox(evil);
    mkdirSync(box.itemDir('app'));
    writeFileSync(join(box.itemDir('app'), 'x.conf'), 'x\n');
    for (const isolate of isolated ? [true, false] : [false]) {
      const got = await run(box, 'test -f {restored}/x.conf && printf "%s\\n" {restored} {sandbox}', { isolate });
      assert.equal(got.ok, true, got.output);
      assert.deepEqual(got.output.trim().split('\n'), [box.itemDir('app'), box.path]);
    }
    for (const f of ['pwned', 'pwned2', 'pwned3']) {
      assert.equal(existsSync(join(box.itemDir('app'), f)), false, f);
      assert.equal(existsSync(join(box.path, f)), false, f);
      assert.equal(existsSync(join(process.cwd(), f)), false, f);
    }
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
