import type { AuditEvent } from './event.js';

/**
 * Where the outbox hands events: a SIEM transport (notify/ builds syslog and HEC ones) or any other
 * consumer of the stream (the anomaly detector). Delivery is at-least-once: receivers dedupe by seq.
 */
export interface AuditForwarder {
  /** Resolves once the receiver has the events (or the transport accepted them); rejects to retry. */
  send(events: readonly AuditEvent[]): Promise<void>;
  /**
   * Called once by the outbox with a `rewind` function. A transport that learns that events it
   * already reported as sent may not have arrived (a TCP connection dropped with data in flight)
   * calls rewind(fromSeq), and the outbox sends again from there.
   */
  onLost?(rewind: (fromSeq: number) => void): void;
}

/** What a SIEM transport takes (notify/'s SiemTransport, described here so audit/ does not import it). */
export interface TextTransport {
  send(messages: ReadonlyArray<{ readonly seq: number; readonly text: string }>): Promise<void>;
  onLost?(listener: (fromSeq: number) => void): unknown;
}

/**
 * A forwarder over a transport that takes finished texts: each event formatted by `format`
 * (syslogMessage, cefLine, or JSON.stringify(hecEvent(…))), losses passed through as rewinds.
 */
export function forwardTo(transport: TextTransport, format: (event: AuditEvent) => string): AuditForwarder {
  return {
    send: (events) => transport.send(events.map((event) => ({ seq: event.seq, text: format(event) }))),
    onLost: (rewind) => {
      transport.onLost?.(rewind);
    },
  };
}
