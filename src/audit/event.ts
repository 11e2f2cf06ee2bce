import { createHash } from 'node:crypto';
import type { AuditEventRecord, AuditResult } from '../catalog/index.js';
import { canonicalJson } from './canonical-json.js';

/** One audit event; docs/AUDIT.md describes every field. */
export type AuditEvent = AuditEventRecord;
export type { AuditResult };

/** What a caller says about an action; seq, id, time and the hashes are added by AuditLog. */
export interface AuditInput {
  readonly identity: string;
  readonly roles?: readonly string[] | undefined;
  readonly ip?: string | null | undefined;
  readonly userAgent?: string | null | undefined;
  readonly action: string;
  readonly target?: string | null | undefined;
  readonly result: AuditResult;
  readonly changeId?: string | null | undefined;
  readonly approvalId?: string | null | undefined;
  readonly details?: Readonly<Record<string, unknown>> | undefined;
}

export const AUDIT_RESULTS: readonly AuditResult[] = Object.freeze(['allowed', 'denied', 'ok', 'failed', 'requested']);

/** The prevHash of event 1. */
export const GENESIS_HASH = '0'.repeat(64);

/** SHA-256 hex of prevHash ‖ canonical JSON of every field except hash. */
export function eventHash(event: Omit<AuditEvent, 'hash'> & { readonly hash?: string }): string {
  const { hash: _ignored, ...body } = event;
  return createHash('sha256')
    .update(body.prevHash + canonicalJson(body))
    .digest('hex');
}

/** True when the event's stored hash is the one its fields give. */
export function hashMatches(event: AuditEvent): boolean {
  return eventHash(event) === event.hash;
}

/** The event's canonical JSON, hash included: one line of a JSONL export or a checkpoint payload. */
export function eventLine(event: AuditEvent): string {
  return canonicalJson(event);
}
