/**
 * The contract between the audit outbox and a SIEM receiver.
 *
 * Delivery is at-least-once, driven by the outbox's cursor:
 * - `send(batch)` resolves only when every message of the batch has been handed to the receiver
 *   (for syslog: written to the socket and flushed to the kernel; for HTTP: a 2xx answer). It
 *   rejects on any failure — refused, reset, TLS failure, timeout, a non-2xx answer — and then the
 *   outbox keeps its cursor and retries the same messages later. Sends are serialized: a batch is
 *   written after the previous one has settled.
 * - TCP syslog has no acknowledgement, so a resolved send is not proof of receipt: messages written
 *   just before the peer died may sit unread in its buffers. When a connection drops after messages
 *   were written to it, the transport calls every `onLost` listener with `fromSeq`, the smallest
 *   seq written on that connection within its loss window (a few seconds before the drop). The
 *   outbox rewinds: fromSeq is the first seq to send again, so cursor = min(cursor, fromSeq - 1). A listener may run while a send is pending and
 *   may name seqs of sends that already resolved, so the outbox must apply the rewind after it has
 *   advanced its cursor for those sends, never let an advance overwrite it. Receivers dedupe by seq.
 * - A peer that vanishes without closing the connection (a cut cable) is only noticed by keepalive
 *   or retransmission timeouts; messages written before the window are then not reported.
 * - Transports with an acknowledgement (HEC) never call `onLost`.
 */
import { CairnError } from '../errors/index.js';

/** One event as the outbox hands it over: its position in the audit stream and its final text. */
export interface SiemMessage {
  readonly seq: number;
  readonly text: string;
}

export type LostListener = (fromSeq: number) => void;

export interface SiemTransport {
  /** The receiver, fit for logs: scheme and host only, never a token or a secret path. */
  readonly endpoint: string;
  send(messages: readonly SiemMessage[]): Promise<void>;
  /** Subscribe to connection losses (see above); returns the unsubscribe function. */
  onLost(listener: LostListener): () => void;
  /** Ends the connection gracefully; later sends reject. Does not report losses. */
  close(): Promise<void>;
}

/** Listeners of onLost, each isolated: one that throws does not keep the others from hearing. */
export class LostListeners {
  readonly #listeners = new Set<LostListener>();

  add(listener: LostListener): () => void {
    const entry: LostListener = (fromSeq) => listener(fromSeq);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  emit(fromSeq: number): void {
    for (const listener of this.#listeners) {
      try {
        listener(fromSeq);
      } catch {
        // A listener's failure is the outbox's to report; delivery bookkeeping must go on.
      }
    }
  }
}

export function assertMessages(messages: readonly SiemMessage[]): void {
  for (const m of messages) {
    if (!Number.isSafeInteger(m.seq) || typeof m.text !== 'string') {
      throw new CairnError('CAIRN_E_USAGE', 'a SIEM message needs an integer seq and a string text');
    }
  }
}
