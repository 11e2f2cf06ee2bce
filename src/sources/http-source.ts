import { parseAllDocuments } from 'yaml';
import { isCairnError } from '../errors/index.js';
import type { HttpSource } from '../policy/index.js';
import { contentEntry, redactUrl, scrub, secretsOf, sourceError } from './content.js';
import { sourceLabel } from './label.js';
import type { CollectOptions, SourceResult } from './types.js';

/** Bodies beyond this are refused, whether announced by Content-Length or not (chunked, compressed). */
export const MAX_HTTP_BODY = 64 * 1024 * 1024;
/** Of a non-2xx answer only this much is read, for the message. */
const ERROR_BODY_BYTES = 1024;
const MAX_REDIRECTS = 5;

/**
 * GETs the URL and stores the body exactly as received, once it has parsed as the declared
 * format: a half-written export or an HTML error page is refused rather than backed up.
 * Redirects are followed (at most 5) only within the same origin, so header secrets never go elsewhere.
 */
export async function fetchHttpSource(
  source: HttpSource,
  item: string,
  opts: CollectOptions = {},
  maxBody = MAX_HTTP_BODY,
): Promise<SourceResult> {
  const label = sourceLabel(source);
  const url = redactUrl(source.url);
  const details = { kind: 'http', url };
  const headers = resolveHeaders(source.headersEnv, source.headers, opts.env ?? process.env, (name, header) =>
    sourceError(item, label, `environment variable ${name} (for header ${header}) is not set`, {
      ...details,
      variable: name,
    }),
  );
  const secrets = [...Object.keys(source.headersEnv).map((h) => headers[h]), ...secretsOf(source.url)];
  const timeout = AbortSignal.timeout(source.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
  let body: Buffer;
  let status: number;
  try {
    const res = await getFollowingSameOrigin(source.url, headers, signal, (problem) =>
      sourceError(item, label, problem, details),
    );
    status = res.status;
    if (!res.ok) {
      const text = scrub((await readCapped(res, ERROR_BODY_BYTES, false)).toString('utf8'), secrets)
        .slice(0, 300)
        .trim();
      throw sourceError(item, label, `answered HTTP ${status}${text ? `: ${text}` : ''}`, { ...details, status });
    }
    const declared = Number(res.headers.get('content-length') ?? '0');
    if (declared > maxBody) {
      await res.body?.cancel();
      throw sourceError(item, label, `body of ${declared} bytes is larger than the limit of ${maxBody} bytes`, {
        ...details,
        maxBody,
      });
    }
    const read = await readCapped(res, maxBody, true);
    if (read.length > maxBody) {
      throw sourceError(item, label, `body is larger than the limit of ${maxBody} bytes; stopped reading`, {
        ...details,
        maxBody,
      });
    }
    body = read;
  } catch (err) {
    if (isCairnError(err)) throw err;
    if (timeout.aborted) {
      throw sourceError(item, label, `no complete answer within ${source.timeoutMs} ms`, {
        ...details,
        timeoutMs: source.timeoutMs,
      });
    }
    if (opts.signal?.aborted) throw sourceError(item, label, 'cancelled', details);
    throw sourceError(item, label, `request failed: ${scrub(describeFetchError(err), secrets)}`, details);
  }
  const problem = parseProblem(body, source.format);
  if (problem) {
    throw sourceError(item, label, `HTTP ${status} body is not valid ${source.format.toUpperCase()}: ${problem}`, {
      ...details,
      status,
      format: source.format,
    });
  }
  return { entries: [contentEntry(source.file, body)], unreadable: [] };
}

/** GET with redirects followed by hand: same origin only (no https → http, no other host), at most 5. */
async function getFollowingSameOrigin(
  start: string,
  headers: Record<string, string>,
  signal: AbortSignal,
  fail: (problem: string) => Error,
): Promise<Response> {
  let current = new URL(start);
  for (let hop = 0; ; hop++) {
    const res = await fetch(current, { headers, signal, redirect: 'manual' });
    const location = res.headers.get('location');
    if (res.status < 300 || res.status > 399 || location === null) return res;
    await res.body?.cancel();
    if (hop >= MAX_REDIRECTS) throw fail(`more than ${MAX_REDIRECTS} redirects`);
    let next: URL;
    try {
      next = new URL(location, current);
    } catch {
      throw fail(`answered HTTP ${res.status} with a Location that is not a URL`);
    }
    if (next.origin !== current.origin) {
      throw fail(
        `answered HTTP ${res.status} redirecting from ${current.origin} to another origin, ${next.origin}; ` +
          'not followed (the request headers may hold secrets)',
      );
    }
    current = next;
  }
}

/**
 * The body read chunk by chunk, stopping (and cancelling the rest) once more than `max` bytes came:
 * with `over` the result is then max + 1 bytes long (the caller refuses it), without it it is cut at max.
 */
async function readCapped(res: Response, max: number, over: boolean): Promise<Buffer> {
  if (!res.body) return Buffer.alloc(0);
  const reader = res.body.getReader();
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
      total += value.byteLength;
      if (total > max) {
        await reader.cancel().catch(() => undefined);
        break;
      }
    }
  } finally {
    reader.releaseLock();
  }
  const all = Buffer.concat(chunks);
  return all.length > max ? all.subarray(0, over ? max + 1 : max) : all;
}

/** Literal headers, then those whose values come from environment variables (a missing one is an error). */
export function resolveHeaders(
  headersEnv: Readonly<Record<string, string>>,
  literal: Readonly<Record<string, string>>,
  env: Readonly<Record<string, string | undefined>>,
  missing: (variable: string, header: string) => Error,
): Record<string, string> {
  const headers: Record<string, string> = { ...literal };
  for (const [header, variable] of Object.entries(headersEnv)) {
    const value = env[variable];
    if (value === undefined || value === '') throw missing(variable, header);
    headers[header] = value;
  }
  return headers;
}

/** Why the body does not parse as `format` (with the position), or undefined when it does. */
export function parseProblem(body: Buffer, format: 'json' | 'yaml' | 'text'): string | undefined {
  if (format === 'text') return undefined;
  const text = body.toString('utf8');
  if (format === 'json') {
    try {
      JSON.parse(text);
      return undefined;
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  }
  for (const doc of parseAllDocuments(text)) {
    const first = doc.errors[0];
    if (first) return first.message.split('\n')[0];
  }
  return undefined;
}

/** fetch's "fetch failed" with the useful part (ECONNREFUSED 127.0.0.1:9) from its cause. */
export function describeFetchError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause as { code?: string; message?: string } | undefined;
  if (cause?.message) return `${err.message}: ${cause.code ? `${cause.code} ` : ''}${cause.message}`;
  return err.message;
}
