/**
 * Fans an alert out to every sink at once. Each sink gets up to `attempts` tries with exponential
 * backoff; a failing sink does not delay or stop the others, and `notify` never rejects: it
 * resolves with one result per sink, so the caller can record which ones failed and why
 * (`notifyOrThrow` turns failures into one rejection instead).
 * Retrying is for transient trouble. A sink's error says so itself with `details.transient`
 * (SMTP 4xx vs 5xx, PagerDuty 429 vs 400); without it: no answer, a timeout, 408, 429, 5xx are
 * transient, any other answer (a 404, a 401) and a sink that cannot work (no URL, a variable not
 * set) fail at once. A sink whose `accepts` (the policy's `for:`) says no is not tried and has no
 * result: results hold only the sinks the alert was for.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CairnError, isCairnError } from '../errors/index.js';
import type { Alert, AlertSink, SinkResult } from './alert.js';
import { sinkAccepts } from './sink-filter.js';

export interface NotifierOptions {
  readonly sinks: readonly AlertSink[];
  /** Tries per sink, default 3. */
  readonly attempts?: number;
  /** Wait before the second try, doubled for each next one; default 1000. */
  readonly backoffMs?: number;
}

export class Notifier {
  readonly #sinks: readonly AlertSink[];
  readonly #attempts: number;
  readonly #backoffMs: number;

  constructor(options: NotifierOptions) {
    this.#sinks = [...options.sinks];
    this.#attempts = Math.max(1, options.attempts ?? 3);
    this.#backoffMs = Math.max(0, options.backoffMs ?? 1000);
  }

  get sinks(): readonly string[] {
    return this.#sinks.map((s) => s.name);
  }

  notify(alert: Alert): Promise<SinkResult[]> {
    const chosen = this.#sinks.filter((sink) => sinkAccepts(sink, alert));
    return Promise.all(chosen.map((sink) => this.#deliver(sink, alert)));
  }

  /**
   * notify() for callers that handle failure by catching (the audit layer's Notifier): after every
   * sink has been tried, rejects with one CairnError naming each sink that failed.
   */
  async notifyOrThrow(alert: Alert): Promise<void> {
    const results = await this.notify(alert);
    const failed = results.filter((r) => !r.ok);
    if (failed.length === 0) return;
    const prefix = `alert ${alert.kind} not delivered to `;
    const each = failed.map((r) => (r.error?.message ?? r.sink).replace(prefix, ''));
    throw new CairnError(
      failed.every((r) => r.error?.code === 'CAIRN_E_NOT_IMPLEMENTED') ? 'CAIRN_E_NOT_IMPLEMENTED' : 'CAIRN_E_SERVER',
      `${prefix}${failed.length} of ${results.length} sinks: ${each.join('; ')}`,
      { failed: failed.map((r) => ({ sink: r.sink, attempts: r.attempts, code: r.error?.code })) },
    );
  }

  async #deliver(sink: AlertSink, alert: Alert): Promise<SinkResult> {
    for (let attempt = 1; ; attempt++) {
      if (attempt > 1) await sleep(this.#backoffMs * 2 ** (attempt - 2));
      try {
        await sink.deliver(alert);
        return { sink: sink.name, ok: true, attempts: attempt };
      } catch (err) {
        const last = asCairnError(err, sink.name);
        if (!isTransientSinkError(last) || attempt === this.#attempts) {
          const error = new CairnError(
            last.code,
            `alert ${alert.kind} not delivered to ${sink.name} after ${attempt} attempt${attempt === 1 ? '' : 's'}: ${last.message}`,
            { ...last.details, sink: sink.name, attempts: attempt },
          );
          return { sink: sink.name, ok: false, attempts: attempt, error };
        }
      }
    }
  }
}

/** Whether another attempt at a sink that failed with `err` may succeed (AlertCenter uses it too). */
export function isTransientSinkError(err: CairnError): boolean {
  const said = err.details?.transient;
  if (typeof said === 'boolean') return said;
  if (err.code !== 'CAIRN_E_SERVER') return false;
  const status = err.details?.status;
  return typeof status !== 'number' || status === 408 || status === 429 || status >= 500;
}

function asCairnError(err: unknown, sink: string): CairnError {
  if (isCairnError(err)) return err;
  // A sink's own bug must not leak a message that might quote its URL.
  return new CairnError('CAIRN_E_SERVER', `${sink} failed unexpectedly`, { sink });
}
