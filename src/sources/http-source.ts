import { parseAllDocuments } from 'yaml';
import { isCairnError } from '../errors/index.js';
import type { HttpSource } from '../policy/index.js';
import { contentEntry, redactUrl, scrub, sourceError } from './content.js';
import { sourceLabel } from './label.js';
import type { CollectOptions, SourceResult } from './types.js';

const MAX_BODY = 64 * 1024 * 1024;

/**
 * GETs the URL and stores the body exactly as received, once it has parsed as the declared
 * format: a half-written export or an HTML error page is refused rather than backed up.
 */
export async function fetchHttpSource(
  source: HttpSource,
  item: string,
  opts: CollectOptions = {},
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
  const secrets = Object.keys(source.headersEnv).map((h) => headers[h]);
  const timeout = AbortSignal.timeout(source.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
  let body: Buffer;
  let status: number;
  try {
    const res = await fetch(source.url, { headers, signal, redirect: 'follow' });
    status = res.status;
    const declared = Number(res.headers.get('content-length') ?? '0');
    if (declared > MAX_BODY) {
      await res.body?.cancel();
      throw sourceError(item, label, `body of ${declared} bytes is larger than ${MAX_BODY}`, details);
    }
    body = Buffer.from(await res.arrayBuffer());
    if (!res.ok) {
      const text = scrub(body.subarray(0, 300).toString('utf8'), secrets).trim();
      throw sourceError(item, label, `answered HTTP ${status}${text ? `: ${text}` : ''}`, { ...details, status });
    }
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
