import type { AuditEvent } from './event.js';

/** A Splunk HTTP Event Collector event: POSTed as JSON (several may be concatenated in one body). */
export interface HecEvent {
  readonly time: number; // epoch seconds, milliseconds as the fraction
  readonly host: string;
  readonly source: 'cairn';
  readonly sourcetype: 'cairn:audit';
  readonly event: AuditEvent;
}

export function hecEvent(event: AuditEvent, host: string): HecEvent {
  return { time: Date.parse(event.time) / 1000, host, source: 'cairn', sourcetype: 'cairn:audit', event };
}

/** The request body for a batch: HEC accepts events one after another, without separators or array. */
export function hecBody(events: readonly AuditEvent[], host: string): string {
  return events.map((e) => JSON.stringify(hecEvent(e, host))).join('\n');
}
