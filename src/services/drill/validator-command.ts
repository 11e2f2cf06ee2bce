import type { DrillGapFound } from '../../catalog/index.js';
import { findSecrets, redactSecrets } from '../../policy/index.js';
import { runProcess } from '../../sources/index.js';
import { type Fence, openFence } from './fence.js';
import { plainInvocation, shellQuote } from './isolation.js';
import type { Sandbox } from './sandbox.js';

export { shellQuote };

/** What a validator leaves in the drill record: its verdict, the tail of its output, the gaps it found. */
export interface ValidatorOutcome {
  readonly ok: boolean;
  readonly output: string;
  readonly exitCode?: number | null;
  readonly timedOut?: boolean;
  readonly error?: string;
  readonly gaps: DrillGapFound[];
}

/** The last 16 KiB of a validator's output are kept. */
export const OUTPUT_KEEP = 16 * 1024;
/** Output beyond this stops a validator (it fails): a drill record is not a log store. */
const OUTPUT_LIMIT = 8 * 1024 * 1024;

export interface CommandValidatorRun {
  /** As written in the policy: `{restored}`, `{item}` and `{sandbox}` are substituted. */
  readonly template: string;
  /** Names the validator in gap keys and messages (stable between drills: the template, not the paths). */
  readonly label: string;
  readonly item: string;
  readonly plan: string;
  readonly sandbox: Sandbox;
  readonly timeoutMs: number;
  readonly isolate: boolean;
  readonly network: boolean;
  /**
   * The drill's fence (set up once for all its validators), or why it could not be set up. Without
   * it, an isolated validator gets a fence of its own.
   */
  readonly fence?: Fence | Error;
  readonly signal?: AbortSignal;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export function substitute(template: string, vars: Readonly<Record<string, string>>): string {
  return template.replace(/\{(restored|item|sandbox)\}/g, (_, name: string) => shellQuote(vars[name] ?? ''));
}

/**
 * Runs a `run:` validator with `sh -c` in its own process group, in the item's restored folder, with a
 * clean environment (PATH, HOME and TMPDIR in the sandbox, LANG=C, CAIRN_DRILL=<plan>). A timeout stops
 * the whole group (SIGTERM, SIGKILL 2 s later).
 */
export async function runCommandValidator(r: CommandValidatorRun): Promise<ValidatorOutcome> {
  const cwd = r.sandbox.itemDir(r.item);
  const command = substitute(r.template, { restored: cwd, item: r.item, sandbox: r.sandbox.path });
  const env: Record<string, string> = {
    PATH: (r.env ?? process.env).PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: r.sandbox.home,
    TMPDIR: r.sandbox.tmp,
    LANG: 'C',
    CAIRN_DRILL: r.plan,
    CAIRN_ITEM: r.item,
  };
  const gap = (category: DrillGapFound['category'], key: string, message: string): DrillGapFound => ({
    item: r.item,
    category,
    key,
    message,
  });
  let fence = r.isolate ? r.fence : undefined;
  let own: Fence | undefined;
  if (r.isolate && fence === undefined) {
    fence = await openFence({ sandbox: r.sandbox.path, network: r.network }).catch((e: Error) => e);
    if (!(fence instanceof Error)) own = fence;
  }
  if (fence instanceof Error) {
    const error = `the sandbox could not be set up: ${fence.message}`;
    return { ok: false, output: error, error, gaps: [gap('validator-failed', r.label, error)] };
  }
  const run = fence ? fence.invocation(cwd, command) : plainInvocation({ sandbox: r.sandbox.path, cwd, command });
  let got: Awaited<ReturnType<typeof runProcess>>;
  try {
    got = await runProcess({
      ...run,
      cwd,
      env,
      timeoutMs: r.timeoutMs,
      maxOutput: OUTPUT_LIMIT,
      ...(r.signal ? { signal: r.signal } : {}),
    });
  } finally {
    own?.close();
  }
  // Redacted whole, then cut: a secret split by the cut would no longer be recognised.
  const output = tail(redactBytes(Buffer.concat([got.stdout, Buffer.from(got.stderr, 'utf8')])));
  const base = { output, exitCode: got.code, timedOut: got.timedOut };
  if (got.spawnError) {
    const error = `${run.command} could not be started: ${got.spawnError}`;
    return { ...base, ok: false, error, gaps: [gap('missing-dependency', run.command, error)] };
  }
  if (got.timedOut) {
    const error = `${r.label} did not finish within ${r.timeoutMs} ms and was stopped`;
    return { ...base, ok: false, error, gaps: [gap('validator-timeout', r.label, error)] };
  }
  if (got.aborted) return { ...base, ok: false, error: 'stopped: the drill was cancelled or timed out', gaps: [] };
  if (got.tooBig) {
    const error = `${r.label} wrote more than ${OUTPUT_LIMIT} bytes of output and was stopped`;
    return { ...base, ok: false, error, gaps: [gap('validator-failed', r.label, error)] };
  }
  if (got.code === 0) return { ...base, ok: true, gaps: [] };
  return { ...base, ok: false, gaps: [failureGap(r, got.code, got.signal, output, gap)] };
}

function failureGap(
  r: CommandValidatorRun,
  code: number | null,
  signal: NodeJS.Signals | null,
  output: string,
  gap: (c: DrillGapFound['category'], key: string, message: string) => DrillGapFound,
): DrillGapFound {
  const missing = missingProgram(output);
  if (code === 127 || missing) {
    const program = missing ?? r.template.trim().split(/\s+/)[0] ?? r.label;
    return gap('missing-dependency', program, `${program} is not installed where the drill runs (${r.label})`);
  }
  if (/Read-only file system|EROFS/.test(output)) {
    return gap('sandbox-violation', r.label, `${r.label} tried to write outside the sandbox (read-only file system)`);
  }
  if (code === 125 && output.includes('cairn-sandbox:')) {
    return gap('validator-failed', r.label, `the sandbox could not be set up: ${lastLine(output)}`);
  }
  const how = signal ? `was killed by ${signal}` : `exited with ${code}`;
  return gap('validator-failed', r.label, `${r.label} ${how}${output.trim() ? `: ${lastLine(output)}` : ''}`);
}

/** "sh: 1: nginx: not found" (dash), "bash: nginx: command not found". */
function missingProgram(output: string): string | undefined {
  const m = /^(?:[\w./-]+: (?:line )?\d+: )?(?:[\w./-]+: )?([^\s:]+): (?:command )?not found$/m.exec(output);
  return m?.[1];
}

function lastLine(output: string): string {
  const lines = output.trim().split('\n');
  return (lines[lines.length - 1] ?? '').slice(0, 300);
}

function redactBytes(bytes: Buffer): Buffer {
  return redactSecrets(bytes, findSecrets(bytes, 'validator-output.txt'));
}

function tail(bytes: Buffer): string {
  return bytes.subarray(Math.max(0, bytes.length - OUTPUT_KEEP)).toString('utf8');
}
