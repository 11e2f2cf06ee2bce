import { CairnError } from '../errors/index.js';
import { runProcess, tail } from '../sources/index.js';
import type { CommandTarget, DeliverOptions, Delivery, Payload } from './types.js';

const MAX_OUTPUT = 16 * 1024 * 1024;

/**
 * `sh -c run` with the payload on standard input (`kubectl apply -f -`), in its own process group:
 * on timeout the group is killed. The command gets the caller's whole environment (it acts with the
 * operator's credentials, e.g. KUBECONFIG) plus CAIRN_ITEM.
 */
export async function deliverToCommand(
  target: CommandTarget,
  payload: Payload,
  label: string,
  opts: DeliverOptions = {},
): Promise<Delivery> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.env ?? process.env)) if (v !== undefined) env[k] = v;
  env.CAIRN_ITEM = payload.item;
  const r = await runProcess({
    command: 'sh',
    args: ['-c', target.run],
    cwd: target.cwd,
    env,
    timeoutMs: target.timeoutMs,
    stdin: payload.bytes,
    maxOutput: MAX_OUTPUT,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const fail = (problem: string, extra: Record<string, unknown> = {}) =>
    new CairnError('CAIRN_E_TARGET', `item ${payload.item}: restore target ${label}: ${problem}`, {
      item: payload.item,
      target: label,
      ...extra,
    });
  if (r.spawnError) throw fail(`could not be started in ${target.cwd}: ${r.spawnError}`);
  if (r.timedOut) throw fail(`timed out after ${target.timeoutMs} ms; it and its child processes were killed`);
  if (r.aborted) throw fail('cancelled; it and its child processes were killed');
  if (r.tooBig) throw fail(`wrote more than ${MAX_OUTPUT} bytes on standard output; stopped`);
  if (r.code !== 0) {
    const how = r.code === null ? `was killed by ${r.signal}` : `exited with code ${r.code}`;
    const err = tail(r.stderr);
    throw fail(`${how}${err ? `; stderr:\n${err}` : ' (no stderr)'}`, { exitCode: r.code, stderr: err });
  }
  return { target: label, bytes: payload.bytes.length, output: tail(r.stdout.toString('utf8'), 20) };
}
