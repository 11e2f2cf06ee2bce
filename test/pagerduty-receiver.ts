/**
 * A local stand-in for PagerDuty's Events API v2 (POST /v2/enqueue) for tests: it validates the
 * body as PagerDuty does — a 32-character routing_key, event_action trigger|acknowledge|resolve,
 * dedup_key ≤ 255 (required for acknowledge and resolve), and for a trigger a payload with summary
 * (≤ 1024), source and severity critical|error|warning|info — answering 400 {status: 'invalid
 * event', message, errors} on a bad body and 202 {status: 'success', message: 'Event processed',
 * dedup_key} on a good one. `answers` forces the status of the first requests in turn (e.g.
 * [429, 202]: throttled, then judged normally); 429 and 5xx bodies are PagerDuty's.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PdEvent {
  readonly routing_key: string;
  readonly event_action: 'trigger' | 'acknowledge' | 'resolve';
  readonly dedup_key: string;
  readonly payload?: {
    readonly summary: string;
    readonly source: string;
    readonly severity: 'critical' | 'error' | 'warning' | 'info';
    readonly timestamp?: string;
    readonly component?: string;
    readonly group?: string;
    readonly class?: string;
    readonly custom_details?: Record<string, unknown>;
  };
  readonly [field: string]: unknown;
}

export interface PdRequest {
  readonly path: string;
  readonly status: number;
  readonly body: string;
}

export interface PagerDutyReceiver {
  /** http://127.0.0.1:port/v2/enqueue */
  readonly url: string;
  /** Events answered 202, in arrival order (dedup_key as answered). */
  readonly events: PdEvent[];
  /** Every request with the status it got. */
  readonly requests: PdRequest[];
  stop(): Promise<void>;
}

const SEVERITIES = ['critical', 'error', 'warning', 'info'];
const ACTIONS = ['trigger', 'acknowledge', 'resolve'];

export async function startPagerDutyReceiver(o: { answers?: readonly number[] } = {}): Promise<PagerDutyReceiver> {
  const forced = [...(o.answers ?? [])];
  const events: PdEvent[] = [];
  const requests: PdRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const [status, answer] = judge(req.method ?? '', req.url ?? '', body, forced.shift(), events);
      requests.push({ path: req.url ?? '', status, body });
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v2/enqueue`,
    events,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function judge(
  method: string,
  path: string,
  body: string,
  force: number | undefined,
  events: PdEvent[],
): [number, unknown] {
  if (method !== 'POST' || path !== '/v2/enqueue') return [404, { status: 'not found', message: 'Not Found' }];
  if (force === 429) {
    return [
      429,
      { status: 'throttle event', message: 'Requests for this service are arriving too quickly.  Please retry later.' },
    ];
  }
  if (force !== undefined && force >= 500) return [force, { status: 'error', message: 'Internal Server Error' }];
  if (force !== undefined && force !== 202)
    return [force, { status: 'invalid event', message: 'Event object is invalid', errors: ['forced'] }];
  let event: Record<string, unknown>;
  try {
    event = JSON.parse(body) as Record<string, unknown>;
  } catch {
    return invalid(['Malformed JSON']);
  }
  const errors = validate(event);
  if (errors.length > 0) return invalid(errors);
  const dedupKey = typeof event.dedup_key === 'string' ? event.dedup_key : randomBytes(16).toString('hex');
  events.push({ ...event, dedup_key: dedupKey } as PdEvent);
  return [202, { status: 'success', message: 'Event processed', dedup_key: dedupKey }];
}

function invalid(errors: string[]): [number, unknown] {
  return [400, { status: 'invalid event', message: 'Event object is invalid', errors }];
}

function validate(e: Record<string, unknown>): string[] {
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return ['Event must be a JSON object'];
  const errors: string[] = [];
  if (typeof e.routing_key !== 'string' || e.routing_key.length !== 32) {
    errors.push("Length of 'routing_key' is incorrect (should be 32 characters)");
  }
  if (typeof e.event_action !== 'string' || !ACTIONS.includes(e.event_action)) {
    errors.push("'event_action' is invalid (must be one of: trigger, acknowledge, resolve)");
  }
  if (e.dedup_key !== undefined && (typeof e.dedup_key !== 'string' || e.dedup_key.length > 255)) {
    errors.push("'dedup_key' must be a string of at most 255 characters");
  }
  if ((e.event_action === 'acknowledge' || e.event_action === 'resolve') && typeof e.dedup_key !== 'string') {
    errors.push("'dedup_key' is required for acknowledge and resolve events");
  }
  if (e.event_action !== 'trigger') return errors;
  const p = e.payload as Record<string, unknown> | undefined;
  if (typeof p !== 'object' || p === null || Array.isArray(p))
    return [...errors, "'payload' is missing or not an object"];
  if (typeof p.summary !== 'string' || p.summary.length === 0) errors.push("'payload.summary' is missing or blank");
  else if (p.summary.length > 1024) errors.push("'payload.summary' is longer than 1024 characters");
  if (typeof p.source !== 'string' || p.source.length === 0) errors.push("'payload.source' is missing or blank");
  if (typeof p.severity !== 'string' || !SEVERITIES.includes(p.severity)) {
    errors.push("'payload.severity' is invalid (must be one of: critical, error, warning, info)");
  }
  for (const f of ['timestamp', 'component', 'group', 'class']) {
    if (p[f] !== undefined && typeof p[f] !== 'string') errors.push(`'payload.${f}' must be a string`);
  }
  if (p.custom_details !== undefined && (typeof p.custom_details !== 'object' || p.custom_details === null)) {
    errors.push("'payload.custom_details' must be an object");
  }
  if (typeof p.timestamp === 'string' && Number.isNaN(Date.parse(p.timestamp))) {
    errors.push("'payload.timestamp' is not an ISO 8601 timestamp");
  }
  return errors;
}
