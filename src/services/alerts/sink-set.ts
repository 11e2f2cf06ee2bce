/**
 * The alert sinks of the policy in force, by name. A delivery row names its sink; the name is the
 * sink's own (kind and redacted endpoint), with " #2", " #3" … added when several sinks of the
 * policy share one, in policy order. Sinks are built again from the policy each time, so a sink
 * removed from the policy is simply not found (its pending deliveries fail, saying so).
 */
import type { Alert, AlertSink } from '../../notify/index.js';

export class SinkSet {
  readonly #byName = new Map<string, AlertSink>();

  constructor(sinks: readonly AlertSink[]) {
    for (const sink of sinks) {
      let name = sink.name;
      for (let n = 2; this.#byName.has(name); n++) name = `${sink.name} #${n}`;
      this.#byName.set(name, sink);
    }
  }

  get names(): string[] {
    return [...this.#byName.keys()];
  }

  get(name: string): AlertSink | undefined {
    return this.#byName.get(name);
  }

  /** Names of the sinks that take this alert (the policy's `for:`; a sink without `accepts` takes all). */
  accepting(alert: Alert): string[] {
    const names: string[] = [];
    for (const [name, sink] of this.#byName) if (sink.accepts ? sink.accepts(alert) : true) names.push(name);
    return names;
  }
}
