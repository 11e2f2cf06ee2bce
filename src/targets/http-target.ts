import { CairnError, isCairnError } from '../errors/index.js';
import { describeFetchError, redactUrl, resolveHeaders, scrub } from '../sources/index.js';
import type { DeliverOptions, Delivery, HttpTarget, Payload } from './types.js';

/** The payload as the body of a PUT or POST; any answer but 2xx is CAIRN_E_TARGET with its status. */
export async function deliverToHttp(
  target: HttpTarget,
  payload: Payload,
  label: string,
  opts: DeliverOptions = {},
): Promise<Delivery> {
  const fail = (problem: string, extra: Record<string, unknown> = {}) =>
    new CairnError('CAIRN_E_TARGET', `item ${payload.item}: restore target ${label}: ${problem}`, {
      item: payload.item,
      target: label,
      ...extra,
    });
  const headers = resolveHeaders(target.headersEnv, {}, opts.env ?? process.env, (variable, header) =>
    fail(`environment variable ${variable} (for header ${header}) is not set`, { variable }),
  );
  if (payload.contentType) headers['content-type'] = payload.contentType;
  const secrets = [...Object.keys(target.headersEnv).map((h) => headers[h]), urlPassword(target.url)];
  const timeout = AbortSignal.timeout(target.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
  try {
    const res = await fetch(target.url, { method: target.method, headers, body: payload.bytes, signal });
    const text = scrub((await res.text()).slice(0, 2000), secrets).trim();
    if (!res.ok) {
      throw fail(`answered HTTP ${res.status}${text ? `: ${text.slice(0, 300)}` : ''}`, { status: res.status });
    }
    return { target: label, bytes: payload.bytes.length, status: res.status, output: text };
  } catch (err) {
    if (isCairnError(err)) throw err;
    if (timeout.aborted) throw fail(`no answer within ${target.timeoutMs} ms`);
    if (opts.signal?.aborted) throw fail('cancelled');
    const why = describeFetchError(err).split(target.url).join(redactUrl(target.url));
    throw fail(`request failed: ${scrub(why, secrets)}`);
  }
}

function urlPassword(url: string): string | undefined {
  try {
    const p = new URL(url).password;
    return p ? decodeURIComponent(p) : undefined;
  } catch {
    return undefined;
  }
}
