/**
 * The alert sinks of the policy in force, by key. A delivery row names its sink by that key: the
 * sink's own name (kind and redacted endpoint) and a short hash of where its policy entry sends to
 * (`email smtp://mail.internal:587 #3fa2c1d0`), the same on every replica. The key does not depend
 * on the entry's place in the list, so two sinks sharing one endpoint (two e-mail sinks on one SMTP
 * server with different `to`) keep their rows when the policy is reordered, and an edit of `for:` or
 * `from:` keeps them too; an edit of where the entry sends to (its url, variables, recipients) makes
 * it another sink. Sinks are built again from the policy each time, so a sink removed from the
 * policy is simply not found (its pending deliveries fail, saying so). Sinks given without a policy
 * entry (tests) are keyed by name, " #2" … added in order when several share one.
 */
import { createHash } from 'node:crypto';
import type { Alert, AlertSink } from '../../notify/index.js';
import type { AlertSink as PolicyAlertSink } from '../../policy/index.js';

export interface SinkEntry {
  readonly sink: AlertSink;
  /** The policy entry the sink was built from. */
  readonly entry?: PolicyAlertSink;
}

export class SinkSet {
  readonly #byKey = new Map<string, AlertSink>();

  constructor(sinks: readonly SinkEntry[]) {
    for (const { sink, entry } of sinks) {
      const base = entry ? `${sink.name} #${entryHash(entry)}` : sink.name;
      let key = base;
      for (let n = 2; this.#byKey.has(key); n++) key = `${base} #${n}`;
      this.#byKey.set(key, sink);
    }
  }

  get names(): string[] {
    return [...this.#byKey.keys()];
  }

  get(key: string): AlertSink | undefined {
    return this.#byKey.get(key);
  }

  /** Keys of the sinks that take this alert (the policy's `for:`; a sink without `accepts` takes all). */
  accepting(alert: Alert): string[] {
    const keys: string[] = [];
    for (const [key, sink] of this.#byKey) if (sink.accepts ? sink.accepts(alert) : true) keys.push(key);
    return keys;
  }
}

/**
 * 8 hex digits of SHA-256 over where the entry sends to, keys sorted: without `for` (which alerts)
 * and an e-mail's `from` (the sender; its default is the host name, which differs between replicas).
 * No secret goes in: entries name the variables that hold them.
 */
export function entryHash(entry: PolicyAlertSink): string {
  const { for: _for, from: _from, ...rest } = entry as PolicyAlertSink & { for?: unknown; from?: unknown };
  return createHash('sha256').update(canonical(rest)).digest('hex').slice(0, 8);
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}
