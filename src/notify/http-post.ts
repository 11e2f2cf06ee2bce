/**
 * One HTTP POST with a deadline, for the HEC transport and the alert sinks. Webhook URLs carry
 * their secret in the path (Slack) or the query, so nothing here ever puts a full URL, a header
 * or a raw fetch error (whose text may quote the URL) into a message: only `redactEndpoint(url)`.
 */
import { CairnError } from '../errors/index.js';

export type FetchLike = typeof globalThis.fetch;

export interface PostRequest {
  /** Who is being called, for messages: "HEC receiver", "webhook". */
  readonly label: string;
  readonly url: string;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly fetch?: FetchLike;
}

export interface PostAnswer {
  readonly status: number;
  readonly statusText: string;
  readonly body: string;
}

/** scheme://host[:port] of a URL, and `/…` when it has a path or query: https://hooks.slack.com/… */
export function redactEndpoint(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '<invalid URL>';
  }
  const hidden = (parsed.pathname !== '/' && parsed.pathname !== '') || parsed.search !== '' || parsed.hash !== '';
  return `${parsed.protocol}//${parsed.host}${hidden ? '/…' : ''}`;
}

/** Refuses anything but an absolute http(s) URL, without echoing it. */
export function assertHttpUrl(url: string, label: string): void {
  let ok = false;
  try {
    const { protocol } = new URL(url);
    ok = protocol === 'http:' || protocol === 'https:';
  } catch {
    ok = false;
  }
  if (!ok) throw new CairnError('CAIRN_E_USAGE', `the ${label} URL must be an absolute http:// or https:// URL`);
}

/** Resolves with any HTTP answer (the caller judges the status); rejects when there is none. */
export async function postOnce(req: PostRequest): Promise<PostAnswer> {
  const where = `${req.label} ${redactEndpoint(req.url)}`;
  let res: Response;
  try {
    res = await (req.fetch ?? globalThis.fetch)(req.url, {
      method: 'POST',
      headers: req.headers,
      body: req.body,
      // A redirect is not an answer: following it would carry the alert or the token elsewhere.
      redirect: 'manual',
      signal: AbortSignal.timeout(req.timeoutMs),
    });
  } catch (err) {
    throw new CairnError('CAIRN_E_SERVER', `${where} did not answer: ${describeFailure(err, req.timeoutMs)}`, {
      endpoint: redactEndpoint(req.url),
    });
  }
  let body = '';
  try {
    body = await res.text();
  } catch {
    // The status is the answer; a body cut short does not change it.
  }
  return { status: res.status, statusText: res.statusText, body };
}

function describeFailure(err: unknown, timeoutMs: number): string {
  const name = (err as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return `timed out after ${timeoutMs} ms`;
  const cause = (err as { cause?: { code?: unknown } } | null)?.cause;
  if (typeof cause?.code === 'string' && /^[A-Z_]+$/.test(cause.code)) return cause.code;
  return 'network error';
}

/**
 * An answer's HEC-style reason ({"text": …, "code": …}) or its first line, short and one-line, with
 * `hide` (a token, a URL and its path) blanked in case the receiver echoes them.
 */
export function answerReason(answer: PostAnswer, hide: readonly string[] = []): string {
  let reason = answer.statusText;
  try {
    const json = JSON.parse(answer.body) as { text?: unknown; code?: unknown };
    if (typeof json.text === 'string')
      reason = typeof json.code === 'number' ? `${json.text} (code ${json.code})` : json.text;
  } catch {
    if (answer.body.trim()) reason = answer.body.trim().split('\n')[0]!;
  }
  for (const secret of hide) if (secret.length >= 4) reason = reason.split(secret).join('***');
  return reason.replace(/\s+/g, ' ').slice(0, 200);
}
