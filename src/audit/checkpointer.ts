import type { AuditCheckpointRow, AuditHead, AuditStore } from '../catalog/index.js';
import { checkpointName, publicKeyText, signCheckpoint } from './checkpoint-format.js';
import type { CheckpointStore } from './checkpoint-store.js';
import { type AuditEvent, eventLine } from './event.js';

export interface CheckpointerOptions {
  readonly store: AuditStore;
  readonly checkpoints: CheckpointStore;
  readonly every: { readonly events: number; readonly minutes: number };
  readonly retentionMs: number;
  /** Where the minutes are counted from before the first checkpoint. */
  readonly startedAt: Date;
}

const page = 1000;

/**
 * Writes signed checkpoints when due: after `every.events` events or `every.minutes` minutes since
 * the last one, whichever comes first, idle or not. The catalog's last checkpoint row is re-read
 * before writing, so servers sharing a catalog rarely write one twice (twice is harmless).
 */
export class Checkpointer {
  readonly #o: CheckpointerOptions;
  #last: AuditCheckpointRow | null | undefined;
  #writing: Promise<AuditCheckpointRow | undefined> | undefined;

  constructor(options: CheckpointerOptions) {
    this.#o = options;
  }

  /** Cheap after each append: only what this process knows, then the catalog if it looks due. */
  async afterAppend(seq: number, now: Date): Promise<AuditCheckpointRow | undefined> {
    this.#last ??= (await this.#o.store.lastCheckpoint()) ?? null;
    return this.#due(seq, this.#last, now) ? this.ifDue(now) : undefined;
  }

  ifDue(now: Date): Promise<AuditCheckpointRow | undefined> {
    return this.#once(async () => {
      const last = (await this.#o.store.lastCheckpoint()) ?? null;
      this.#last = last; // another server may have written one since
      const head = await this.#o.store.head();
      return this.#due(head.seq, last, now) ? this.#write(head, last, now) : undefined;
    });
  }

  /** A checkpoint now, due or not. */
  force(now: Date): Promise<AuditCheckpointRow | undefined> {
    return this.#once(async () => {
      const last = (await this.#o.store.lastCheckpoint()) ?? null;
      return this.#write(await this.#o.store.head(), last, now);
    });
  }

  #once(run: () => Promise<AuditCheckpointRow | undefined>): Promise<AuditCheckpointRow | undefined> {
    this.#writing ??= run().finally(() => {
      this.#writing = undefined;
    });
    return this.#writing;
  }

  #due(seq: number, last: AuditCheckpointRow | null, now: Date): boolean {
    const since = last ? Date.parse(last.time) : this.#o.startedAt.getTime();
    return seq - (last?.seq ?? 0) >= this.#o.every.events || now.getTime() - since >= this.#o.every.minutes * 60_000;
  }

  async #write(head: AuditHead, last: AuditCheckpointRow | null, now: Date): Promise<AuditCheckpointRow> {
    const { store, checkpoints } = this.#o;
    const firstSeq = (last?.seq ?? 0) + 1;
    const events = await this.#events(firstSeq, head.seq);
    const payload = Buffer.from(events.map(eventLine).join('\n'));
    const { privateKey, publicKey } = await checkpoints.signingKey();
    const body = {
      version: 1 as const,
      seq: head.seq,
      hash: head.hash,
      time: now.toISOString(),
      prevCheckpoint: last?.objectKey ?? null,
      publicKey: publicKeyText(publicKey),
      firstSeq,
      events: Buffer.from(await checkpoints.sealEvents(payload)).toString('base64'),
    };
    const name = checkpointName(head.seq, now);
    await checkpoints.put(name, signCheckpoint(body, privateKey), new Date(now.getTime() + this.#o.retentionMs));
    const row = { objectKey: name, seq: head.seq, hash: head.hash, time: body.time };
    await store.putCheckpoint(row);
    this.#last = row;
    return row;
  }

  async #events(firstSeq: number, lastSeq: number): Promise<AuditEvent[]> {
    const out: AuditEvent[] = [];
    let after = firstSeq - 1;
    while (after < lastSeq) {
      const rows = (await this.#o.store.range(after, Math.min(page, lastSeq - after))).filter((e) => e.seq <= lastSeq);
      if (rows.length === 0) break;
      out.push(...rows);
      after = rows.at(-1)!.seq;
    }
    return out;
  }
}
