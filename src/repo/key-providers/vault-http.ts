import { request as httpsRequest } from 'node:https';

export interface HttpAnswer {
  readonly status: number;
  readonly body: string;
}

const TIMEOUT_MS = 30_000;

/**
 * One JSON POST. fetch does it, except with a private CA (VAULT_CACERT): Node 20's fetch takes no CA
 * without the undici package, so node:https carries that case with the same request.
 */
export async function postJson(
  url: URL,
  headers: Record<string, string>,
  body: unknown,
  ca: Buffer | undefined,
): Promise<HttpAnswer> {
  const payload = JSON.stringify(body);
  const all = { ...headers, 'Content-Type': 'application/json' };
  if (!ca || url.protocol !== 'https:') {
    const res = await fetch(url, {
      method: 'POST',
      headers: all,
      body: payload,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    return { status: res.status, body: await res.text() };
  }
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      { method: 'POST', headers: { ...all, 'Content-Length': Buffer.byteLength(payload) }, ca, timeout: TIMEOUT_MS },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000} s`)));
    req.on('error', reject);
    req.end(payload);
  });
}
