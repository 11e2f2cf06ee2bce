/**
 * Alert sinks that POST to an HTTP endpoint: a generic JSON webhook (the alert as is, with `event`
 * always present — trigger, acknowledge, resolve or escalate — signed with HMAC-SHA256 in `X-Cairn-Signature: sha256=<hex>` over the exact body when a secret is set) and a
 * Slack-compatible incoming webhook ({text, blocks}). One attempt per deliver; a non-2xx answer
 * rejects with the status, never with the URL (its path is the Slack secret).
 */
import { createHmac } from 'node:crypto';
import { CairnError } from '../errors/index.js';
import type { AlertCategory } from '../policy/index.js';
import type { Alert, AlertSink } from './alert.js';
import { answerReason, assertHttpUrl, type FetchLike, postOnce, redactEndpoint } from './http-post.js';
import { acceptsFor } from './sink-filter.js';
import { slackMessage } from './slack-message.js';

export interface WebhookSinkOptions {
  readonly url: string;
  /** HMAC key; when set, every request carries X-Cairn-Signature. */
  readonly secret?: string;
  /** Default 10000. */
  readonly timeoutMs?: number;
  readonly fetch?: FetchLike;
  /** The policy's `for:` (categories); absent = every alert. */
  readonly for?: readonly AlertCategory[];
}

export const SIGNATURE_HEADER = 'x-cairn-signature';

export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

export class WebhookSink implements AlertSink {
  readonly name: string;
  readonly accepts?: (alert: Alert) => boolean;
  readonly #opts: WebhookSinkOptions;

  constructor(options: WebhookSinkOptions) {
    assertHttpUrl(options.url, 'webhook');
    this.#opts = options;
    this.name = `webhook ${redactEndpoint(options.url)}`;
    const accepts = acceptsFor(options.for);
    if (accepts) this.accepts = accepts;
  }

  deliver(alert: Alert): Promise<void> {
    const body = JSON.stringify({ ...alert, event: alert.event ?? 'trigger' });
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.#opts.secret) headers[SIGNATURE_HEADER] = signBody(body, this.#opts.secret);
    return post(this.name, this.#opts, body, headers);
  }
}

export class SlackSink implements AlertSink {
  readonly name: string;
  readonly accepts?: (alert: Alert) => boolean;
  readonly #opts: Omit<WebhookSinkOptions, 'secret'>;

  constructor(options: Omit<WebhookSinkOptions, 'secret'>) {
    assertHttpUrl(options.url, 'Slack webhook');
    this.#opts = options;
    this.name = `slack ${redactEndpoint(options.url)}`;
    const accepts = acceptsFor(options.for);
    if (accepts) this.accepts = accepts;
  }

  deliver(alert: Alert): Promise<void> {
    const body = JSON.stringify(slackMessage(alert));
    return post(this.name, this.#opts, body, { 'content-type': 'application/json' });
  }
}

async function post(
  name: string,
  opts: Omit<WebhookSinkOptions, 'secret'>,
  body: string,
  headers: Record<string, string>,
): Promise<void> {
  const answer = await postOnce({
    label: name.split(' ')[0]!,
    url: opts.url,
    body,
    headers,
    timeoutMs: opts.timeoutMs ?? 10_000,
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
  });
  if (answer.status >= 200 && answer.status < 300) return;
  const path = safePath(opts.url);
  throw new CairnError(
    'CAIRN_E_SERVER',
    `${name} answered ${answer.status}: ${answerReason(answer, [opts.url, path])}`,
    {
      sink: name,
      status: answer.status,
    },
  );
}

function safePath(url: string): string {
  try {
    const u = new URL(url);
    return `${u.pathname}${u.search}`;
  } catch {
    return url;
  }
}
