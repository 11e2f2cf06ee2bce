import { existsSync } from 'node:fs';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProcess } from '../../sources/index.js';
import { type Fence, openFence } from './fence.js';
import { removeTree } from './sandbox.js';

/**
 * How validators are fenced in (docs/DRILLS.md, "Isolation"). With `unshare` and `nsenter`
 * (util-linux) and unprivileged user namespaces, a drill's `run` validators run in new user and mount
 * namespaces (and a new, empty network namespace unless the plan allows network) where the sandbox is
 * bound onto itself and every other mount is read-only, set up once per drill (fence.ts). Each starts
 * without any capability (setpriv clears the bounding set, no_new_privs): root of its namespace only by
 * name, it cannot remount anything writable again, unmount the fence or configure the network
 * namespace. Without all this, validators run as plain child processes and the drill records
 * isolated: false.
 */

/** What the probe runs fenced in: writes inside, then must fail to lift the fence and to write outside. */
const PROBE_COMMAND = [
  'echo ok > probe',
  'mount -o remount,bind,rw / 2>/dev/null && { echo "the fence can be lifted (remount read-write)"; exit 3; }',
  'echo x > "$1" 2>/dev/null && { echo "the fence leaks: a write outside the sandbox worked"; exit 3; }',
  'exit 0',
].join('\n');

const PLAIN_SCRIPT = ['cd -- "$2" || exit 125', 'exec 2>&1', 'exec sh -c "$3"'].join('\n');

/** POSIX single quotes: the substituted paths stay one word whatever they contain. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

export interface Invocation {
  readonly command: string;
  readonly args: string[];
}

/** The program and arguments that run `command` in `cwd` as a plain child process (no fence). */
export function plainInvocation(o: { sandbox: string; cwd: string; command: string }): Invocation {
  return { command: 'sh', args: ['-c', PLAIN_SCRIPT, 'cairn-validator', o.sandbox, o.cwd, o.command] };
}

let probe: Promise<{ available: boolean; reason: string }> | undefined;

/**
 * Whether isolation works here, found out once per process by running a validator that writes in
 * its sandbox through the isolating script. `CAIRN_DRILL_ISOLATION=off` turns it off.
 */
export function isolationAvailable(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<{ available: boolean; reason: string }> {
  if (env.CAIRN_DRILL_ISOLATION === 'off') {
    return Promise.resolve({ available: false, reason: 'CAIRN_DRILL_ISOLATION=off' });
  }
  probe ??= tryIsolation();
  return probe;
}

async function tryIsolation(): Promise<{ available: boolean; reason: string }> {
  const outer = await mkdtemp(join(tmpdir(), 'cairn-probe-'));
  const dir = join(outer, 'sandbox');
  const outside = join(outer, 'outside');
  let fence: Fence | undefined;
  try {
    await mkdir(dir);
    try {
      fence = await openFence({ sandbox: dir, network: false });
    } catch (err) {
      return { available: false, reason: err instanceof Error ? err.message : String(err) };
    }
    const command = `set -- ${shellQuote(outside)}\n${PROBE_COMMAND}`;
    const out = await runProcess({
      ...fence.invocation(dir, command),
      cwd: dir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C' },
      timeoutMs: 10_000,
      maxOutput: 64 * 1024,
    });
    if (out.spawnError) return { available: false, reason: `nsenter cannot be started (${out.spawnError})` };
    if (out.code === 0 && existsSync(join(dir, 'probe')) && !existsSync(outside)) {
      return { available: true, reason: 'unshare' };
    }
    const said = `${out.stdout.toString('utf8')}${out.stderr}`.trim().split('\n').slice(-2).join(' ');
    return { available: false, reason: `nsenter into the fence failed (exit ${out.code}): ${said}` };
  } finally {
    fence?.close();
    await removeTree(outer);
  }
}
