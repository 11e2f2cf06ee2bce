import { spawn } from 'node:child_process';

export interface ProcessRun {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** Written to the process's standard input, then closed (nothing: stdin is /dev/null). */
  readonly stdin?: Buffer | string;
  /** Standard output beyond this many bytes stops the process (tooBig). */
  readonly maxOutput: number;
  readonly signal?: AbortSignal;
}

export interface ProcessOutcome {
  readonly stdout: Buffer;
  /** The last 64 KiB of standard error. */
  readonly stderr: string;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
  readonly tooBig: boolean;
  readonly aborted: boolean;
  /** The process could not be started (ENOENT, EACCES …). */
  readonly spawnError?: string;
}

const STDERR_KEEP = 64 * 1024;
const KILL_GRACE_MS = 2000;
/** After the program exits, how long its output may still take to arrive (from children that keep the pipe). */
const DRAIN_MS = 200;

/**
 * Runs a program in a process group of its own: on timeout, too much output or cancellation the
 * whole group gets SIGTERM, then SIGKILL after 2 s, so a shell's children (`sleep`, `kubectl`) go too.
 * When the program exits by itself, whatever it left running in its group (`sleep 30 &`) gets the
 * same, and the outcome is settled from the exit plus a short drain of its output, not from the
 * pipes closing (a background child may hold them open for ever).
 */
export function runProcess(run: ProcessRun): Promise<ProcessOutcome> {
  return new Promise((resolve) => {
    const child = spawn(run.command, [...run.args], {
      cwd: run.cwd,
      env: { ...run.env },
      detached: true,
      stdio: [run.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let outBytes = 0;
    let stderr = '';
    let timedOut = false;
    let tooBig = false;
    let aborted = false;
    let killTimer: NodeJS.Timeout | undefined;
    let settled = false;
    const killGroup = (sig: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, sig);
      } catch {
        // Already gone.
      }
    };
    let stopping = false;
    const groupAlive = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 0);
        return child.pid !== undefined;
      } catch {
        return false;
      }
    };
    const stop = () => {
      stopping = true;
      killGroup('SIGTERM');
      killTimer ??= setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, run.timeoutMs);
    const onAbort = () => {
      aborted = true;
      stop();
    };
    run.signal?.addEventListener('abort', onAbort, { once: true });
    let drainTimer: NodeJS.Timeout | undefined;
    const finish = (o: Omit<ProcessOutcome, 'stdout' | 'stderr' | 'timedOut' | 'tooBig' | 'aborted'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(drainTimer);
      run.signal?.removeEventListener('abort', onAbort);
      if (stopping) {
        // The group leader is gone; whatever it left behind after a kill goes too.
        clearTimeout(killTimer);
        killGroup('SIGKILL');
      } else if (killTimer && !groupAlive()) {
        // Exited by itself and nothing of it is left: no SIGKILL pending.
        clearTimeout(killTimer);
      }
      // Stop listening to pipes a surviving child may still hold.
      child.stdout?.destroy();
      child.stderr?.destroy();
      resolve({ ...o, stdout: Buffer.concat(out), stderr, timedOut, tooBig, aborted });
    };
    child.stdout!.on('data', (d: Buffer) => {
      if (tooBig) return;
      outBytes += d.length;
      if (outBytes > run.maxOutput) {
        tooBig = true;
        stop();
        return;
      }
      out.push(d);
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr = (stderr + d).slice(-STDERR_KEEP);
    });
    if (child.stdin) {
      // A command that does not read its input closes the pipe: not an error of ours.
      child.stdin.on('error', () => undefined);
      child.stdin.end(run.stdin);
    }
    child.on('error', (err) => finish({ code: null, signal: null, spawnError: err.message }));
    child.on('exit', (code, signal) => {
      if (stopping) {
        // Already being killed: the pipes close when the group is gone (SIGKILL at the latest).
        drainTimer = setTimeout(() => finish({ code, signal }), KILL_GRACE_MS + DRAIN_MS);
        return;
      }
      // Background children the program left: SIGTERM now, SIGKILL after the grace (even once settled).
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS);
      drainTimer = setTimeout(() => finish({ code, signal }), DRAIN_MS);
    });
    child.on('close', (code, signal) => finish({ code, signal }));
    if (run.signal?.aborted) onAbort();
  });
}

/** PATH, HOME and LANG of `env`, plus the names listed (missing ones are left out). */
export function passEnv(
  env: Readonly<Record<string, string | undefined>>,
  names: readonly string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ['PATH', 'HOME', 'LANG', ...names]) {
    const v = env[name];
    if (v !== undefined) out[name] = v;
  }
  return out;
}
