import type { RunMetadata, SnapshotStatus, TicketState } from '../catalog/index.js';

/** `snapshots/<id>`: the commit point of a snapshot. Its id is the SHA-256 of the stored bytes. */
export interface SnapshotObject {
  readonly version: 1;
  readonly meta: RunMetadata;
  readonly parent: string | null;
  readonly tree: string;
  /** SHA-256 over (path, type, mode, sha256 or target) of every entry: equal means no drift (C3.4). */
  readonly contentHash: string;
  readonly status: SnapshotStatus;
  readonly files: number;
  readonly bytes: number;
  readonly addedBytes: number;
  readonly retainUntil: string | null;
  readonly unreadable: readonly string[];
  /** The change ticket the policy required for this run, as the ticket system answered then (absent when none was). */
  readonly ticket?: TicketState;
}

/** `verifications/<id>`: an unchanged state seen again, pointing at the snapshot that holds it. */
export interface VerificationObject {
  readonly version: 1;
  readonly meta: RunMetadata;
  readonly snapshot: string;
  /** As SnapshotObject.ticket. */
  readonly ticket?: TicketState;
}

export const SNAPSHOT_AAD = 'cairn-snapshot-v1';
export const VERIFICATION_AAD = 'cairn-verification-v1';
