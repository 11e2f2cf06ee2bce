import type { AuditEventFilter, AuditStore } from '../catalog/index.js';
import { cefLine } from './cef.js';
import { eventLine } from './event.js';

export type AuditExportFormat = 'jsonl' | 'cef';

export interface ExportOptions {
  /** Cairn's version, for the CEF header. */
  readonly version?: string | undefined;
  readonly pageSize?: number | undefined;
}

/**
 * `cairn audit export`: the matching events oldest first, one line each (without a newline). JSONL
 * lines are the events' canonical JSON, so anyone can recompute each hash from the export.
 */
export async function* exportAudit(
  store: Pick<AuditStore, 'find'>,
  filter: Omit<AuditEventFilter, 'order' | 'afterSeq'>,
  format: AuditExportFormat,
  options: ExportOptions = {},
): AsyncGenerator<string> {
  const pageSize = options.pageSize ?? 1000;
  let remaining = filter.limit ?? Number.POSITIVE_INFINITY;
  let afterSeq = 0;
  while (remaining > 0) {
    const events = await store.find({ ...filter, afterSeq, order: 'seq', limit: Math.min(pageSize, remaining) });
    for (const event of events) yield format === 'cef' ? cefLine(event, options.version ?? '0') : eventLine(event);
    if (events.length === 0) return;
    remaining -= events.length;
    afterSeq = events.at(-1)!.seq;
  }
}
