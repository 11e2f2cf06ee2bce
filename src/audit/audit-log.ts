import type { AuditCheckpointRow, AuditEventFilter, AuditHead, AuditStore } from '../catalog/index.js';
import { CairnError } from '../errors/index.js';
import type { AuditSettings } from '../policy/index.js';
import type { CheckpointStore } from './checkpoint-store.js';
import { Checkpointer } from './checkpointer.js';
import { type AuditEvent, type AuditInput, eventHash } from './event.js';
import { eventFields } from './event-input.js';
import { DEFAULT_AUDIT_RETENTION_MS, defaultAuditSettings } from './settings.js';

export interface AuditLogOptions {
  readonly store: AuditStore;
  /** Where signed checkpoints go; without one, none are written (read-only uses, tests). */
  readonly checkpoints?: CheckpointStore | undefined;
  readonly settings?: Pick<AuditSettings, 'checkpointEvery' | 'retentionMs'> | undefined;
  readonly clock?: (() => Date) | undefined;
  /** Failures that must not fail the recorded action: a checkpoint write, a listener. */
  readonly onError?: ((err: unknown) => void) | undefined;
}

export type AuditListener = (event: AuditEvent) => void;

/**
 * The audit trail's writer. `record` is part of the action it records: when the event cannot be
 * written it throws CAIRN_E_AUDIT and the caller refuses the action (fail closed).
 */
export class AuditLog {
  readonly store: AuditStore;
  readonly #clock: () => Date;
  readonly #onError: (err: unknown) => void;
  readonly #checkpointer: Checkpointer | undefined;
  readonly #listeners = new Set<AuditListener>();
  #timer: NodeJS.Timeout | undefined;

  constructor(options: AuditLogOptions) {
    this.store = options.store;
    this.#clock = options.clock ?? (() => new Date());
    this.#onError = options.onError ?? (() => {});
    const settings = options.settings ?? defaultAuditSettings;
    this.#checkpointer =
      options.checkpoints &&
      new Checkpointer({
        store: options.store,
        checkpoints: options.checkpoints,
        every: settings.checkpointEvery,
        retentionMs: settings.retentionMs ?? DEFAULT_AUDIT_RETENTION_MS,
        startedAt: this.#clock(),
      });
  }

  async record(input: AuditInput): Promise<AuditEvent> {
    let event: AuditEvent;
    try {
      const fields = eventFields(input, this.#clock()); // checked before taking the lock
      event = await this.store.append((head) => {
        // The time is taken under the lock, so times follow seq order within one clock.
        const time = this.#clock().toISOString();
        const body = { ...fields, time, seq: head.seq + 1, prevHash: head.hash };
        return { ...body, hash: eventHash(body) };
      });
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new CairnError(
        'CAIRN_E_AUDIT',
        `the audit event for ${String(input.action)} could not be written, so the action was refused: ${why}`,
        { action: input.action },
        { cause: err },
      );
    }
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (err) {
        this.#onError(err);
      }
    }
    await this.#checkpointer?.afterAppend(event.seq, this.#clock()).catch(this.#onError);
    return event;
  }

  query(filter: AuditEventFilter): Promise<AuditEvent[]> {
    return this.store.find(filter);
  }

  count(filter: AuditEventFilter): Promise<number> {
    return this.store.count(filter);
  }

  head(): Promise<AuditHead> {
    return this.store.head();
  }

  /** Called with every event this process records, after it is written (outbox wake-up, detectors). */
  onRecord(listener: AuditListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** For a timer: a checkpoint when due, even with no new events (an idle one repeats the head). */
  checkpointIfDue(now: Date = this.#clock()): Promise<AuditCheckpointRow | undefined> {
    return this.#checkpointer?.ifDue(now) ?? Promise.resolve(undefined);
  }

  /** A checkpoint now, due or not (`cairn audit checkpoint`, shutdown). */
  checkpoint(now: Date = this.#clock()): Promise<AuditCheckpointRow | undefined> {
    return this.#checkpointer?.force(now) ?? Promise.resolve(undefined);
  }

  /** Checks every intervalMs whether a checkpoint is due, so an idle trail still gets one an hour. */
  startTimer(intervalMs = 60_000): void {
    this.stopTimer();
    this.#timer = setInterval(() => {
      this.checkpointIfDue().catch(this.#onError);
    }, intervalMs);
    this.#timer.unref();
  }

  stopTimer(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
