/**
 * PagerDuty Events API v2 (POST /v2/enqueue). A trigger carries the alert as PD-CEF: summary
 * (≤ 1024 chars), source "cairn", severity, timestamp, component (the item, else the kind), group
 * (the environment, else the category), class (the kind) and custom_details; acknowledge and
 * resolve carry only routing_key, event_action and dedup_key, which is how PagerDuty finds the
 * incident. An escalation is a second trigger of the same dedup key at severity critical with an
 * "[escalated]" summary. Answers: 2xx (202) delivered; 429 and 5xx transient (PagerDuty says retry);
 * 400 and any other answer permanent, with PagerDuty's message and errors quoted. The routing key is
 * a secret: never in the name, an error or a log (it is blanked should the receiver echo it).
 */
import { createHash } from 'node:crypto';
import { CairnError } from '../errors/index.js';
import type { AlertCategory } from '../policy/index.js';
import type { Alert, AlertSink } from './alert.js';
import { assertHttpUrl, type FetchLike, type PostAnswer, postOnce, redactEndpoint } from './http-post.js';
import { acceptsFor, categoryOf } from './sink-filter.js';

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';
const MAX_SUMMARY = 1024;
const MAX_DEDUP_KEY = 255;

export interface PagerDutySinkOptions {
  /** The Events API v2 integration key (32 characters). */
  readonly routingKey: string;
  /** Default https://events.pagerduty.com/v2/enqueue. */
  readonly url?: string;
  /** Default 10000. */
  readonly timeoutMs?: number;
  readonly fetch?: FetchLike;
  /** The policy's `for:`; absent = every alert. */
  readonly for?: readonly AlertCategory[];
}

export interface PagerDutyEvent {
  readonly routing_key: string;
  readonly event_action: 'trigger' | 'acknowledge' | 'resolve';
  readonly dedup_key: string;
  readonly payload?: {
    readonly summary: string;
    readonly source: string;
    readonly severity: 'critical' | 'error' | 'warning' | 'info';
    readonly timestamp: string;
    readonly component: string;
    readonly group: string;
    readonly class: string;
    readonly custom_details: Record<string, unknown>;
  };
  readonly client?: string;
  readonly client_url?: string;
  readonly links?: ReadonlyArray<{ readonly href: string; readonly text: string }>;
}

export class PagerDutySink implements AlertSink {
  readonly name: string;
  readonly accepts?: (alert: Alert) => boolean;
  readonly #opts: PagerDutySinkOptions;
  readonly #url: string;

  constructor(options: PagerDutySinkOptions) {
    this.#url = options.url ?? PAGERDUTY_EVENTS_URL;
    assertHttpUrl(this.#url, 'PagerDuty events');
    if (!options.routingKey) throw new CairnError('CAIRN_E_NO_SECRET', 'the PagerDuty sink needs a routing key');
    this.#opts = options;
    this.name = `pagerduty ${redactEndpoint(this.#url)}`;
    const accepts = acceptsFor(options.for);
    if (accepts) this.accepts = accepts;
  }

  async deliver(alert: Alert): Promise<void> {
    const answer = await postOnce({
      label: 'pagerduty',
      url: this.#url,
      body: JSON.stringify(pagerDutyEvent(alert, this.#opts.routingKey)),
      headers: { 'content-type': 'application/json' },
      timeoutMs: this.#opts.timeoutMs ?? 10_000,
      ...(this.#opts.fetch ? { fetch: this.#opts.fetch } : {}),
    }).catch((err: unknown) => {
      // No answer at all (refused, reset, timed out): PagerDuty says retry.
      if (err instanceof CairnError) throw new CairnError(err.code, err.message, { ...err.details, transient: true });
      throw err;
    });
    if (answer.status >= 200 && answer.status < 300) return;
    const transient = answer.status === 429 || answer.status >= 500;
    throw new CairnError(
      'CAIRN_E_SERVER',
      `${this.name} answered ${answer.status}: ${pagerDutyReason(answer, this.#opts.routingKey)}`,
      { sink: this.name, status: answer.status, transient },
    );
  }
}

/** The Events v2 body for one alert event. */
export function pagerDutyEvent(alert: Alert, routingKey: string): PagerDutyEvent {
  const dedupKey = pagerDutyDedupKey(alert.dedupKey);
  const event = alert.event ?? 'trigger';
  if (event === 'acknowledge' || event === 'resolve') {
    return { routing_key: routingKey, event_action: event, dedup_key: dedupKey };
  }
  const escalated = event === 'escalate';
  const details = alert.details ?? {};
  const category = categoryOf(alert);
  const text = (v: unknown) => (typeof v === 'string' && v.trim() ? v : undefined);
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: dedupKey,
    payload: {
      summary: clip(`${escalated ? '[escalated] ' : ''}${alert.summary}`.replace(/\s+/g, ' ').trim(), MAX_SUMMARY),
      source: 'cairn',
      severity: escalated ? 'critical' : alert.severity,
      timestamp: alert.time,
      component: text(details.item) ?? alert.kind,
      group: text(details.environment) ?? category,
      class: alert.kind,
      custom_details: {
        ...details,
        kind: alert.kind,
        category,
        ...(alert.id ? { alert_id: alert.id } : {}),
        cairn_dedup_key: alert.dedupKey,
        ...(escalated ? { escalated: true } : {}),
      },
    },
    client: 'Cairn',
    ...(alert.url ? { client_url: alert.url, links: [{ href: alert.url, text: 'Cairn alert' }] } : {}),
  };
}

/** PagerDuty takes dedup keys up to 255 characters; a longer one keeps a prefix and a hash of the whole. */
export function pagerDutyDedupKey(key: string): string {
  if (key.length <= MAX_DEDUP_KEY) return key;
  const hash = createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 32);
  return `${key.slice(0, MAX_DEDUP_KEY - hash.length - 1)}#${hash}`;
}

/** PagerDuty's `{status, message, errors[]}` as one line: "Event object is invalid (…; …)". */
function pagerDutyReason(answer: PostAnswer, routingKey: string): string {
  let reason = answer.statusText || 'no reason given';
  try {
    const json = JSON.parse(answer.body) as { message?: unknown; errors?: unknown };
    if (typeof json.message === 'string') {
      const errors = Array.isArray(json.errors) ? json.errors.filter((e) => typeof e === 'string') : [];
      reason = errors.length > 0 ? `${json.message} (${errors.join('; ')})` : json.message;
    }
  } catch {
    if (answer.body.trim()) reason = answer.body.trim().split('\n')[0]!;
  }
  if (routingKey.length >= 4) reason = reason.split(routingKey).join('***');
  return clip(reason.replace(/\s+/g, ' '), 300);
}

function clip(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
