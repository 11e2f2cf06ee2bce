import { CairnError } from '../errors/index.js';
import { passEnv, runProcess, scrub, tail } from '../sources/index.js';
import type { CommandTarget, DeliverOptions, Delivery, Payload } from './types.js';

const MAX_OUTPUT = 16 * 1024 * 1024;

/** Names whose values never appear in a message: the command's output is scrubbed of them. */
const SECRET_NAME = /TOKEN|SECRET|PASSW|KEY|CREDENTIAL|AUTH/i;

/**
 * `sh -c run` with the payload on standard input (`kubectl apply -f -`), in its own process group:
 * on timeout the group is killed. Like the command source, the command gets only PATH, HOME and LANG of
 * the caller's environment, plus CAIRN_ITEM (a command that needs credentials names its file, e.g.
 * `kubectl --kubeconfig /etc/cairn/kube apply -f -`). Its stderr in messages is scrubbed of the values
 * of the caller's secret-looking variables (…TOKEN, …SECRET, …PASSWORD, …KEY).
 */
export async function deliverToCommand(
  target: CommandTarget,
  payload: Payload,
  label: string,
  opts: DeliverOptions = {},
): Promise<Delivery> {
  const callerEnv = opts.env ?? process.env;
  const env = { ...passEnv(callerEnv, []), CAIRN_ITEM: payload.item };
  const secrets = Object.entries(callerEnv).flatMap(([k, v]) => (v && SECRET_NAME.test(k) ? [v] : []));
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
    const err = scrub(tail(r.stderr), secrets);
    throw fail(`${how}${err ? `; stderr:\n${err}` : ' (no stderr)'}`, { exitCode: r.code, stderr: err });
  }
  return { target: label, bytes: payload.bytes.length, output: scrub(tail(r.stdout.toString('utf8'), 20), secrets) };
}
