import type { Insertable, Selectable } from 'kysely';
import { CairnError } from '../errors/index.js';
import type { ItemsTable, RunColumns, SnapshotsTable, VerificationsTable } from './schema.js';
import type { ItemRecord, RunMetadata, SnapshotRecord, SnapshotStatus, Trigger, VerificationRecord } from './types.js';

/** Record ↔ row mapping, the one place that knows column names and storage conventions (schema.ts). */

const objectId = /^[0-9a-f]{64}$/;

export function snapshotToRow(record: SnapshotRecord): Insertable<SnapshotsTable> {
  return {
    id: checkedId(record.id, 'snapshot id'),
    ...runToRow(record),
    parent: record.parent,
    tree: record.tree,
    content_hash: record.contentHash,
    status: record.status,
    files: record.files,
    bytes: record.bytes,
    added_bytes: record.addedBytes,
    retain_until: record.retainUntil === null ? null : isoTime(record.retainUntil, 'retainUntil'),
    unreadable: JSON.stringify(record.unreadable),
  };
}

export function snapshotFromRow(row: Selectable<SnapshotsTable>): SnapshotRecord {
  return {
    id: row.id,
    ...runFromRow(row),
    parent: row.parent,
    tree: row.tree,
    contentHash: row.content_hash,
    status: row.status as SnapshotStatus,
    files: Number(row.files),
    bytes: Number(row.bytes),
    addedBytes: Number(row.added_bytes),
    retainUntil: row.retain_until,
    unreadable: JSON.parse(row.unreadable) as string[],
  };
}

export function verificationToRow(record: VerificationRecord): Insertable<VerificationsTable> {
  return {
    id: checkedId(record.id, 'verification id'),
    snapshot_id: checkedId(record.snapshotId, 'verification snapshotId'),
    ...runToRow(record),
  };
}

export function verificationFromRow(row: Selectable<VerificationsTable>): VerificationRecord {
  return { id: row.id, snapshotId: row.snapshot_id, ...runFromRow(row) };
}

export function itemToRow(record: ItemRecord): Insertable<ItemsTable> {
  return {
    name: record.name,
    owner: record.owner,
    tier: record.tier,
    environment: record.environment,
    component: record.component,
  };
}

export function itemFromRow(row: Selectable<ItemsTable>): ItemRecord {
  return { name: row.name, owner: row.owner, tier: row.tier, environment: row.environment, component: row.component };
}

/**
 * The stored form of a time: ISO-8601 UTC with milliseconds, the only form that sorts as text.
 * Any time Date parses is accepted and normalised (`+01:00` offsets, missing milliseconds).
 */
export function isoTime(value: string, what: string): string {
  if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) {
    throw new CairnError(
      'CAIRN_E_CATALOG',
      `refusing to store ${what} ${JSON.stringify(value)}: not an ISO-8601 time`,
      {
        [what]: value,
      },
    );
  }
  return new Date(value).toISOString();
}

function checkedId(id: string, what: string): string {
  if (typeof id !== 'string' || !objectId.test(id)) {
    throw new CairnError(
      'CAIRN_E_CATALOG',
      `refusing to store ${what} ${JSON.stringify(id)}: ids are 64 lowercase hex characters`,
      { [what]: id },
    );
  }
  return id;
}

function runToRow(record: RunMetadata): RunColumns {
  return {
    item: record.item,
    environment: record.environment,
    tier: record.tier,
    component: record.component,
    trigger: record.trigger,
    release: record.release,
    commit: record.commit,
    change: record.change,
    deployment: record.deployment,
    pipeline: record.pipeline,
    actor: record.actor,
    host: record.host,
    time: isoTime(record.time, 'time'),
  };
}

function runFromRow(row: RunColumns): RunMetadata {
  return {
    item: row.item,
    environment: row.environment,
    tier: row.tier,
    component: row.component,
    trigger: row.trigger as Trigger,
    release: row.release,
    commit: row.commit,
    change: row.change,
    deployment: row.deployment,
    pipeline: row.pipeline,
    actor: row.actor,
    host: row.host,
    time: row.time,
  };
}
