import type { Int8 } from './schema.js';

/**
 * The audit layer's tables (migrations/0002-audit.ts). Same conventions as schema.ts: ISO-8601 UTC
 * text times with milliseconds, JSON as text, sequence numbers as bigint read through Number().
 */

export interface AuditEventsTable {
  seq: Int8; // primary key: 1, 2, 3… without gaps
  id: string;
  time: string;
  identity: string;
  roles: string; // JSON array
  ip: string | null;
  user_agent: string | null;
  action: string;
  target: string | null;
  result: string;
  change_id: string | null;
  approval_id: string | null;
  details: string; // JSON object
  prev_hash: string;
  hash: string;
}

/** One row (id 1): the last event's seq and hash. Appends lock it first, so they queue one at a time. */
export interface AuditHeadTable {
  id: number;
  seq: Int8;
  hash: string;
}

/** What this catalog wrote to the repository: the repository is the record, this is a local index. */
export interface AuditCheckpointsTable {
  object_key: string;
  seq: Int8;
  hash: string;
  time: string;
}

/** How far each consumer of the stream (a SIEM sink, the anomaly detector) has got. */
export interface AuditCursorsTable {
  name: string;
  seq: Int8;
  updated: string;
}

/** Alerts already raised, by dedup key, so two servers or a rescan never raise one twice. */
export interface AuditAlertsTable {
  dedup_key: string;
  time: string;
}

export interface AuditTables {
  audit_events: AuditEventsTable;
  audit_head: AuditHeadTable;
  audit_checkpoints: AuditCheckpointsTable;
  audit_cursors: AuditCursorsTable;
  audit_alerts: AuditAlertsTable;
}
