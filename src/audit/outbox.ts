import type { AuditStore } from '../catalog/index.js';
import { CairnError } from '../errors/index.js';
import type { AuditForwarder } from './forwarder.js';

export interface OutboxOptions {
  readonly store: Pick<AuditStore, 'range' | 'getCursor' | 'setCursor'>;
  /** One forwarder per sink; each keeps its own cursor, `siem:<name>` in the catalog. */
  readonly sinks: Readonly<Record<string, AuditForwarder>>;
  readonly batchSize?: number | undefined; // default 100
  /** How long an idle sink waits before looking again (poke() wakes it sooner). Default 1 s. */
  readonly pollMs?: number | undefined;
  /** Retry delays: doubling from initialMs, capped at maxMs. Default 500 ms … 60 s. */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number } | undefined;
  readonly onError?: ((sink: string, err: unknown, attempt: number) => void) | undefined;
}

const defaultBackoff = { initialMs: 500, maxMs: 60_000 };

/** The wait after the nth failure in a row: initialMs, doubling, never above maxMs. */
export function retryDelay(failures: number, backoff: { readonly initialMs: number; readonly maxMs: number }): number {
  return Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(failures - 1, 30));
}

interface SinkState {
  readonly name: string;
  readonly forwarder: AuditForwarder;
  rewindTo: number | undefined;
  failures: number;
  busy: Promise<unknown>;
}

/**
 * Forwards the audit stream to each sink from its cursor. The cursor moves only after send
 * resolves, so an outage delays events and never loses one; a failed send is retried after an
 * exponential, capped backoff. Events arrive in seq order, possibly more than once.
 */
export class Outbox {
  readonly #o: OutboxOptions;
  readonly #sinks: Map<string, SinkState>;
  #running = false;
  #loops: Promise<void>[] = [];
  readonly #wakers = new Set<() => void>();

  constructor(options: OutboxOptions) {
    this.#o = options;
    this.#sinks = new Map(
      Object.entries(options.sinks).map(([name, forwarder]) => {
        const state: SinkState = { name, forwarder, rewindTo: undefined, failures: 0, busy: Promise.resolve() };
        forwarder.onLost?.((fromSeq) => this.#rewind(state, fromSeq));
        return [name, state];
      }),
    );
  }

  static cursorName(sink: string): string {
    return `siem:${sink}`;
  }

  /** One batch to one sink; the number of events sent. Rejects when the send fails. */
  async deliverOnce(sink: string): Promise<number> {
    const state = this.#state(sink);
    const run = state.busy.then(() => this.#deliver(state));
    state.busy = run.catch(() => {});
    return run;
  }

  /** Sends until the sink has caught up; the number of events sent. */
  async drain(sink: string): Promise<number> {
    let total = 0;
    for (let n = await this.deliverOnce(sink); n > 0; n = await this.deliverOnce(sink)) total += n;
    return total;
  }

  /** Runs every sink in the background until stop(). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loops = [...this.#sinks.values()].map((state) => this.#loop(state));
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.poke();
    await Promise.all(this.#loops);
    this.#loops = [];
  }

  /** New events were recorded: idle sinks look now instead of at their next poll. */
  poke(): void {
    for (const wake of [...this.#wakers]) wake();
  }

  async #deliver(state: SinkState): Promise<number> {
    const { store } = this.#o;
    const cursorName = Outbox.cursorName(state.name);
    let cursor = await store.getCursor(cursorName);
    if (state.rewindTo !== undefined) {
      cursor = Math.min(cursor, state.rewindTo - 1);
      state.rewindTo = undefined;
      await store.setCursor(cursorName, cursor);
    }
    const events = await store.range(cursor, this.#o.batchSize ?? 100);
    if (events.length === 0) return 0;
    await state.forwarder.send(events);
    let next = events.at(-1)!.seq;
    // A loss reported while this batch was in flight wins over the batch's own success.
    if (state.rewindTo !== undefined) next = Math.min(next, state.rewindTo - 1);
    state.rewindTo = undefined;
    await store.setCursor(cursorName, next);
    return events.length;
  }

  async #loop(state: SinkState): Promise<void> {
    const { initialMs, maxMs } = this.#o.backoff ?? defaultBackoff;
    while (this.#running) {
      try {
        const sent = await this.deliverOnce(state.name);
        state.failures = 0;
        if (sent === 0) await this.#sleep(this.#o.pollMs ?? 1000, true);
      } catch (err) {
        state.failures += 1;
        this.#o.onError?.(state.name, err, state.failures);
        await this.#sleep(retryDelay(state.failures, { initialMs, maxMs }), false);
      }
    }
  }

  /** Waits ms; stop() ends any wait, poke() only an idle one (a backoff is kept). */
  #sleep(ms: number, wakeOnPoke: boolean): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wakers.delete(wake);
        resolve();
      };
      const wake = () => {
        if (wakeOnPoke || !this.#running) done();
      };
      const timer = setTimeout(done, ms);
      this.#wakers.add(wake);
    });
  }

  #rewind(state: SinkState, fromSeq: number): void {
    state.rewindTo = Math.min(state.rewindTo ?? Number.POSITIVE_INFINITY, fromSeq);
    this.poke();
  }

  #state(sink: string): SinkState {
    const state = this.#sinks.get(sink);
    if (!state) throw new CairnError('CAIRN_E_USAGE', `no audit sink named ${JSON.stringify(sink)}`, { sink });
    return state;
  }
}
