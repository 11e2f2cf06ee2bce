import { existsSync } from 'node:fs';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProcess } from '../../sources/index.js';
import { removeTree } from './sandbox.js';

/**
 * How validators are fenced in (docs/DRILLS.md, "Isolation"). With `unshare` (util-linux) and
 * unprivileged user namespaces, each validator runs in new user and mount namespaces (and a new,
 * empty network namespace unless the plan allows network): the sandbox is bound onto itself, every
 * other mount is remounted read-only, and only then is the validator started in its item folder.
 * The validator then starts without any capability (setpriv clears the bounding set, no_new_privs):
 * root of its namespace only by name, it cannot remount anything writable again, unmount the fence or
 * configure the network namespace. Without all this, validators run as plain child processes and the
 * drill records isolated: false.
 */

/** $1 sandbox, $2 working folder, $3 command. Every mount but the sandbox read-only, or nothing runs. */
const ISOLATED_SCRIPT = [
  'set -f',
  'S=$1',
  'mount --bind "$S" "$S" || { echo "cairn-sandbox: cannot bind $S" >&2; exit 125; }',
  "mounts=$(awk '{print $5}' /proc/self/mountinfo)",
  'failed=',
  'for m in $mounts; do',
  '  m=$(printf "%b" "$m")',
  '  [ "$m" = "$S" ] && continue',
  '  mount -o remount,bind,ro "$m" 2>/dev/null || failed="$failed $m"',
  'done',
  '[ -z "$failed" ] || { echo "cairn-sandbox: cannot make read-only:$failed" >&2; exit 125; }',
  'command -v setpriv >/dev/null || { echo "cairn-sandbox: setpriv (util-linux) not found: cannot drop capabilities" >&2; exit 125; }',
  // The working folder is entered again: the process's old cwd is on the read-only mount beneath.
  'cd -- "$2" || exit 125',
  'exec 2>&1',
  // Without capabilities, the root of this user namespace cannot undo the fence (remount read-write).
  'exec setpriv --no-new-privs --bounding-set=-all --inh-caps=-all sh -c "$3"',
].join('\n');

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

/** The program and arguments that run `command` in `cwd`, fenced in `sandbox` when `isolate`. */
export function invocation(o: {
  sandbox: string;
  cwd: string;
  command: string;
  isolate: boolean;
  network: boolean;
}): Invocation {
  const tail = [o.sandbox, o.cwd, o.command];
  if (!o.isolate) return { command: 'sh', args: ['-c', PLAIN_SCRIPT, 'cairn-validator', ...tail] };
  const ns = ['--user', '--map-root-user', '--mount', ...(o.network ? [] : ['--net'])];
  return { command: 'unshare', args: [...ns, 'sh', '-c', ISOLATED_SCRIPT, 'cairn-sandbox', ...tail] };
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
  try {
    await mkdir(dir);
    const command = `set -- ${shellQuote(outside)}\n${PROBE_COMMAND}`;
    const run = invocation({ sandbox: dir, cwd: dir, command, isolate: true, network: false });
    const out = await runProcess({
      ...run,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C' },
      timeoutMs: 10_000,
      maxOutput: 64 * 1024,
    });
    if (out.spawnError) return { available: false, reason: `unshare cannot be started (${out.spawnError})` };
    if (out.code === 0 && existsSync(join(dir, 'probe')) && !existsSync(outside)) {
      return { available: true, reason: 'unshare' };
    }
    const said = `${out.stdout.toString('utf8')}${out.stderr}`.trim().split('\n').slice(-2).join(' ');
    return { available: false, reason: `unshare --user --mount failed (exit ${out.code}): ${said}` };
  } finally {
    await removeTree(outer);
  }
}
