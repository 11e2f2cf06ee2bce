import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Tree } from '../../repo/index.js';
import { type Fence, openFence } from './fence.js';
import { isolationAvailable, shellQuote } from './isolation.js';
import { recordRestored, restoredEntries, restoredSha256 } from './restored-files.js';
import { openSandbox, type Sandbox } from './sandbox.js';
import { runCommandValidator } from './validator-command.js';

/** Processes whose command line names `marker` (the fence's holder names its sandbox). */
function processesNaming(marker: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(marker)) pids.push(Number(name));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

describe('drill fence: set up once, entered by every validator', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'cairn-fence-'));
  let isolated = false;
  let sandbox: Sandbox;
  let fence: Fence | undefined;
  const run = (template: string, f: Fence | Error | undefined = fence) =>
    runCommandValidator({
      template,
      label: `run: ${template}`,
      item: 'app',
      plan: 'nightly',
      sandbox,
      timeoutMs: 20_000,
      isolate: true,
      network: false,
      ...(f ? { fence: f } : {}),
    });
  before(async () => {
    isolated = (await isolationAvailable()).available;
    sandbox = await openSandbox(join(scratch, `sandbox-${randomBytes(4).toString('hex')}`));
    if (isolated) fence = await openFence({ sandbox: sandbox.path, network: false });
    // Made after the fence: what is restored later is seen inside.
    mkdirSync(sandbox.itemDir('app'));
    writeFileSync(join(sandbox.itemDir('app'), 'app.conf'), 'port 80\n');
  });
  after(() => {
    fence?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('serves many validators: each writes inside, none outside, none can lift it', async (t) => {
    if (!fence) return t.skip('unshare --user --mount is not available here');
    for (let i = 0; i < 3; i++) {
      const got = await run(`grep -q 'port 80' app.conf && echo ${i} > n${i} && pwd`);
      assert.equal(got.ok, true, got.output);
      assert.equal(got.output.trim(), sandbox.itemDir('app'));
      assert.equal(readFileSync(join(sandbox.itemDir('app'), `n${i}`), 'utf8'), `${i}\n`);
    }
    const outside = join(scratch, `outside-${randomBytes(4).toString('hex')}`);
    const got = await run(
      `mount -o remount,bind,rw / ; umount {sandbox} ; grep CapEff /proc/self/status ; cd .. ; cd .. ; echo x > ${shellQuote(outside)}`,
    );
    assert.equal(existsSync(outside), false, got.output);
    assert.equal(got.ok, false);
    assert.match(got.output, /CapEff:\s+0+\n/);
    assert.deepEqual(
      got.gaps.map((g) => g.category),
      ['sandbox-violation'],
    );
  });

  it('keeps no process in the fence between validators (the namespaces are held by descriptors)', async (t) => {
    if (!fence) return t.skip('unshare --user --mount is not available here');
    assert.deepEqual(processesNaming(sandbox.path), []);
  });

  it('a validator cannot enter the namespaces through the descriptors Cairn holds', async (t) => {
    if (!fence) return t.skip('unshare --user --mount is not available here');
    const enter = fence.invocation(sandbox.itemDir('app'), 'true').args.filter((a) => a.startsWith('--'));
    const outside = join(scratch, `via-fd-${randomBytes(4).toString('hex')}`);
    const got = await run(`ls /proc/${process.pid}/fd/ ; nsenter ${enter.join(' ')} -- sh -c 'echo x > ${outside}'`);
    assert.equal(got.ok, false, got.output);
    assert.equal(existsSync(outside), false, got.output);
  });

  it('a fence that cannot be set up fails each validator with a validator-failed gap saying why', async () => {
    const missing = join(scratch, 'no-such-sandbox');
    const why = await openFence({ sandbox: missing, network: false }).then(
      (f) => {
        f.close();
        return new Error('set up');
      },
      (e: Error) => e,
    );
    assert.match(why.message, isolated ? /cannot bind/ : /unshare/);
    const got = await run('true', why);
    assert.equal(got.ok, false);
    assert.deepEqual(
      got.gaps.map((g) => [g.category, g.key]),
      [['validator-failed', 'run: true']],
    );
    assert.match(got.gaps[0]!.message, /^the sandbox could not be set up: /);
  });

  it('is not entered once closed', async (t) => {
    if (!isolated) return t.skip('unshare --user --mount is not available here');
    const own = await openFence({ sandbox: sandbox.path, network: true });
    own.close();
    own.close();
    assert.throws(() => own.invocation(sandbox.path, 'true'), /closed/);
  });
});

describe('restored files: SHA-256 from the restore unless changed since', () => {
  const root = mkdtempSync(join(tmpdir(), 'cairn-restored-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');
  // The recorded SHA-256 is deliberately not the content's: taking it proves nothing was read.
  const tree: Tree = {
    entries: [
      { name: 'a.conf', type: 'file', mode: 0o644, mtime: 0, size: 2, sha256: 'recorded-a' },
      { name: 'b.conf', type: 'file', mode: 0o644, mtime: 0, size: 2, sha256: 'recorded-b' },
      { name: 'c.conf', type: 'file', mode: 0o644, mtime: 0, size: 2 },
    ],
  } as unknown as Tree;
  const repo = { loadTrees: async (ids: readonly string[]) => new Map(ids.map((id) => [id, tree])) };

  it('takes an untouched file from the restore, reads one written since (same size, mtime put back) or unrecorded', async () => {
    for (const n of ['a', 'b', 'c']) {
      writeFileSync(join(root, `${n}.conf`), `${n}\n`);
      utimesSync(join(root, `${n}.conf`), 1000, 1000);
    }
    const state = await recordRestored(repo, 'root', root);
    assert.deepEqual([...state.keys()], ['a.conf', 'b.conf']);
    const b = join(root, 'b.conf');
    writeFileSync(b, 'B\n');
    utimesSync(b, 1000, 1000);
    const digests: Record<string, string> = {};
    for (const e of await restoredEntries(root)) digests[e.path] = await restoredSha256(e, state);
    assert.deepEqual(digests, { 'a.conf': 'recorded-a', 'b.conf': sha('B\n'), 'c.conf': sha('c\n') });
  });

  it('reads a file deleted and written again, and every file when nothing was recorded', async () => {
    const state = await recordRestored(repo, 'root', root);
    rmSync(join(root, 'a.conf'));
    writeFileSync(join(root, 'a.conf'), 'a\n');
    const [a] = await restoredEntries(root);
    assert.equal(await restoredSha256(a!, state), sha('a\n'));
    assert.equal(await restoredSha256(a!, undefined), sha('a\n'));
  });
});
