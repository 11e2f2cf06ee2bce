import { spawn } from 'node:child_process';
import { closeSync, fstatSync, openSync } from 'node:fs';
import type { Invocation } from './isolation.js';

/**
 * The read-only fence of a drill's `run` validators (docs/DRILLS.md, "Isolation"), set up ONCE per
 * drill: `unshare` makes new user and mount namespaces (and an empty network namespace unless the plan
 * allows network), binds the sandbox onto itself and remounts every other mount read-only — one
 * `mount` per mount of the machine, which is why it is done once and not per validator. The holding
 * shell then prints the inode numbers of its namespaces; Cairn opens them (/proc/<holder>/ns/*),
 * checks they are the ones printed, and lets the holder exit: the open descriptors keep the namespaces
 * alive, and nothing with a capability stays in them. Each validator enters them with `nsenter`
 * through /proc/<cairn>/fd/<n> (never a pid that could be reused), changes to its folder inside
 * (entering a mount namespace resets the working folder to its root) and starts through `setpriv`
 * without any capability and with no_new_privs, exactly as the per-validator fence did. A validator
 * is in another user namespace than Cairn, so it cannot open Cairn's descriptors itself.
 */
export interface Fence {
  /** The program and arguments that run `command` (`sh -c`) in `cwd`, inside the fence, output merged. */
  invocation(cwd: string, command: string): Invocation;
  /** Closes the namespaces' descriptors (idempotent); validators still running keep theirs. */
  close(): void;
}

/** $1 sandbox. Every mount but the sandbox read-only, or the fence is not set up (exit 125). */
const SETUP_SCRIPT = [
  'set -f',
  'S=$1',
  'command -v setpriv >/dev/null || { echo "cairn-sandbox: setpriv (util-linux) not found: cannot drop capabilities" >&2; exit 125; }',
  'mount --bind "$S" "$S" || { echo "cairn-sandbox: cannot bind $S" >&2; exit 125; }',
  "mounts=$(awk '{print $5}' /proc/self/mountinfo)",
  'failed=',
  'for m in $mounts; do',
  '  m=$(printf "%b" "$m")',
  '  [ "$m" = "$S" ] && continue',
  '  mount -o remount,bind,ro "$m" 2>/dev/null || failed="$failed $m"',
  'done',
  '[ -z "$failed" ] || { echo "cairn-sandbox: cannot make read-only:$failed" >&2; exit 125; }',
  'echo ready $(stat -L -c %i /proc/self/ns/user /proc/self/ns/mnt /proc/self/ns/net)',
  // Until Cairn has opened the namespaces (or is gone: end of input).
  'read -r _ || true',
].join('\n');

/** In the fence: $1 working folder, $2 command; without capabilities from here on. */
const ENTER_SCRIPT = [
  'cd -- "$1" || exit 125',
  'exec 2>&1',
  'exec setpriv --no-new-privs --bounding-set=-all --inh-caps=-all sh -c "$2"',
].join('\n');

/** A machine with many mounts (containers) takes a while: one `mount` each. */
const SETUP_TIMEOUT_MS = 120_000;

const NAMESPACES = ['user', 'mnt', 'net'] as const;
const OPTION = { user: '--user', mnt: '--mount', net: '--net' } as const;

/** Sets the fence up around `sandbox`; rejects with what `unshare` said when it cannot be. */
export function openFence(o: { sandbox: string; network: boolean }): Promise<Fence> {
  const ns = ['--user', '--map-root-user', '--mount', ...(o.network ? [] : ['--net'])];
  const holder = spawn('unshare', [...ns, 'sh', '-c', SETUP_SCRIPT, 'cairn-sandbox', o.sandbox], {
    env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return new Promise<Fence>((resolve, reject) => {
    let out = '';
    let err = '';
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      holder.kill('SIGKILL');
      reject(new Error(why));
    };
    const timer = setTimeout(
      () => fail(`the fence was not set up within ${SETUP_TIMEOUT_MS / 1000} s`),
      SETUP_TIMEOUT_MS,
    );
    holder.stdin.on('error', () => undefined);
    holder.stderr.setEncoding('utf8').on('data', (d: string) => {
      err = (err + d).slice(-4096);
    });
    holder.on('error', (e) => fail(`unshare cannot be started (${e.message})`));
    holder.on('exit', (code) => {
      const said = err.trim().split('\n').slice(-2).join(' ');
      fail(`unshare --user --mount failed (exit ${code}): ${said}`);
    });
    holder.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const line = /^ready ([\d ]+)\n/.exec(out);
      if (!line || settled) return;
      try {
        const fence = holdNamespaces(holder.pid!, line[1]!.trim().split(' '), o.network);
        settled = true;
        clearTimeout(timer);
        holder.stdin.end();
        resolve(fence);
      } catch (e) {
        fail(e instanceof Error ? e.message : String(e));
      }
    });
  });
}

/** Opens the holder's namespaces and checks each is the one it printed (its pid was not reused). */
function holdNamespaces(pid: number, inodes: string[], network: boolean): Fence {
  const names = NAMESPACES.filter((n) => n !== 'net' || !network);
  const fds: number[] = [];
  try {
    for (const [i, name] of NAMESPACES.entries()) {
      if (!names.includes(name)) continue;
      const fd = openSync(`/proc/${pid}/ns/${name}`, 'r');
      fds.push(fd);
      if (String(fstatSync(fd).ino) !== inodes[i]) {
        throw new Error(`the fence's ${name} namespace changed while it was opened (pid ${pid})`);
      }
    }
  } catch (e) {
    for (const fd of fds) closeSync(fd);
    throw e;
  }
  let closed = false;
  const enter = names.map((n, i) => `${OPTION[n]}=/proc/${process.pid}/fd/${fds[i]}`);
  return {
    invocation(cwd, command) {
      if (closed) throw new Error('the drill fence is closed');
      // --preserve-credentials: no setgroups (denied in a namespace made by an unprivileged user).
      const args = ['--preserve-credentials', ...enter, '--', 'sh', '-c', ENTER_SCRIPT, 'cairn-sandbox', cwd, command];
      return { command: 'nsenter', args };
    },
    close() {
      if (closed) return;
      closed = true;
      for (const fd of fds) closeSync(fd);
    },
  };
}
