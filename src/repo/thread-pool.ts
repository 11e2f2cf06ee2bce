import { parentPort, Worker } from 'node:worker_threads';

/**
 * Worker threads answering numbered calls: one piece of plumbing for every pool in Cairn (the
 * snapshot workers, the sealing threads). A thread's `error` rejects every call waiting on the pool.
 */
export class ThreadPool {
  private readonly workers: Worker[];
  private readonly waiting = new Map<number, { resolve(body: unknown): void; reject(err: Error): void }>();
  private next = 0;
  /** Set when a thread failed or stopped: every later call is refused with it instead of waiting for ever. */
  private broken: Error | undefined;
  private closing = false;

  /** `module` is a sibling of `base` (an import.meta.url): `.ts` under the sources, `.js` in the bundle. */
  constructor(module: string, base: string, workerData: unknown, threads: number) {
    const url = new URL(`./${module}${base.endsWith('.ts') ? '.ts' : '.js'}`, base);
    this.workers = Array.from({ length: threads }, () => {
      const worker = new Worker(url, { workerData });
      worker.on('message', (msg: { call: number; body?: unknown; error?: string }) => {
        const waiter = this.waiting.get(msg.call);
        this.waiting.delete(msg.call);
        if (msg.error !== undefined) waiter?.reject(new Error(msg.error));
        else waiter?.resolve(msg.body);
      });
      worker.on('error', (err) => this.fail(new Error(`worker thread ${url.pathname} failed: ${err.message}`)));
      worker.on('exit', (code) => {
        if (!this.closing) this.fail(new Error(`worker thread ${url.pathname} stopped (exit code ${code})`));
      });
      return worker;
    });
  }

  private fail(err: Error): void {
    this.broken ??= err;
    for (const w of this.waiting.values()) w.reject(this.broken);
    this.waiting.clear();
  }

  get size(): number {
    return this.workers.length;
  }

  /** Sends `body` to thread `thread` (modulo the pool's size); resolves with its reply. */
  call<T>(thread: number, body: unknown, transfer: ArrayBuffer[] = []): Promise<T> {
    const call = this.next++;
    const worker = this.workers[thread % this.workers.length]!;
    return new Promise<T>((resolve, reject) => {
      if (this.broken) return reject(this.broken);
      this.waiting.set(call, { resolve: resolve as (body: unknown) => void, reject });
      worker.postMessage({ call, body }, transfer);
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** The thread side: answers each call with the handler's reply, or with its error's message. */
export function serveCalls<B>(handle: (body: B) => { reply: unknown; transfer?: ArrayBuffer[] }): void {
  parentPort?.on('message', (msg: { call: number; body: B }) => {
    try {
      const { reply, transfer } = handle(msg.body);
      parentPort?.postMessage({ call: msg.call, body: reply }, transfer ?? []);
    } catch (err) {
      parentPort?.postMessage({ call: msg.call, error: err instanceof Error ? err.message : String(err) });
    }
  });
}

/**
 * Bytes safe to hand to another thread without a copy. A view into a larger buffer would be cloned
 * whole, and buffers up to Buffer.poolSize may share Node's allocation pool: those are copied.
 */
export function transferable(b: Uint8Array): Uint8Array {
  const whole = b.byteLength > Buffer.poolSize && b.byteOffset === 0 && b.byteLength === b.buffer.byteLength;
  return whole ? b : new Uint8Array(b);
}
