import type { CommandSource } from '../policy/index.js';
import { contentEntry, sourceError, tail } from './content.js';
import { sourceLabel } from './label.js';
import { passEnv, runProcess } from './run-process.js';
import type { CollectOptions, SourceResult } from './types.js';

/** Output beyond this is refused: configuration is not that large, a runaway command is. */
export const MAX_COMMAND_OUTPUT = 64 * 1024 * 1024;

/** Runs `sh -c run` (environment: PATH, HOME, LANG and the names listed) and stores its standard output as one file. */
export async function runCommandSource(
  source: CommandSource,
  item: string,
  opts: CollectOptions = {},
  maxOutput = MAX_COMMAND_OUTPUT,
): Promise<SourceResult> {
  const label = sourceLabel(source);
  const r = await runProcess({
    command: 'sh',
    args: ['-c', source.run],
    cwd: source.cwd,
    env: passEnv(opts.env ?? process.env, source.env),
    timeoutMs: source.timeoutMs,
    maxOutput,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const details = { kind: 'command', run: source.run };
  if (r.spawnError) throw sourceError(item, label, `could not be started in ${source.cwd}: ${r.spawnError}`, details);
  if (r.timedOut) {
    throw sourceError(item, label, `timed out after ${source.timeoutMs} ms; it and its child processes were killed`, {
      ...details,
      timeoutMs: source.timeoutMs,
    });
  }
  if (r.aborted) throw sourceError(item, label, 'cancelled; it and its child processes were killed', details);
  if (r.tooBig) {
    throw sourceError(item, label, `wrote more than ${maxOutput} bytes on standard output; stopped`, {
      ...details,
      maxOutput,
    });
  }
  if (r.code !== 0) {
    const how = r.code === null ? `was killed by ${r.signal}` : `exited with code ${r.code}`;
    const err = tail(r.stderr);
    throw sourceError(item, label, `${how}${err ? `; stderr:\n${err}` : ' (no stderr)'}`, {
      ...details,
      exitCode: r.code,
      stderr: err,
    });
  }
  return { entries: [contentEntry(source.file, r.stdout)], unreadable: [] };
}
