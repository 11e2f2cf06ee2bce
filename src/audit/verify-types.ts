/** Why `cairn audit verify` failed, named at the first sequence number that is wrong. */
export type AuditProblem =
  | 'edited' // the event's fields no longer give its hash, or differ from what a checkpoint sealed
  | 'deleted' // the event is gone (later ones may have been renumbered)
  | 'inserted' // an event that was never recorded through the log
  | 'reordered' // events swapped places
  | 'truncated' // the tail is gone: the head or a checkpoint vouches for events the catalog lacks
  | 'head-mismatch' // the head row disagrees with the last event
  | 'bad-signature' // a checkpoint not signed by the pinned key
  | 'unreadable-checkpoint' // a checkpoint object that does not parse or open
  | 'checkpoint-missing' // a checkpoint names a predecessor that is not in the repository
  | 'checkpoint-mismatch'; // the chain differs from a checkpoint and its contents cannot say where

export interface AuditFinding {
  readonly seq: number;
  readonly problem: AuditProblem;
  readonly message: string;
}

export interface AuditVerifyResult {
  readonly ok: boolean;
  /** Events whose hash and links were checked before the first problem (all of them when ok). */
  readonly events: number;
  /** Checkpoints read with a valid signature. */
  readonly checkpoints: number;
  /** Whether the events sealed in checkpoints were compared (needs the repository key). */
  readonly contentsChecked: boolean;
  readonly firstBad?: AuditFinding;
}

export function finding(seq: number, problem: AuditProblem, message: string): AuditFinding {
  return { seq, problem, message };
}

/** The finding with the lowest seq; on a tie, the one listed first. */
export function earliest(findings: ReadonlyArray<AuditFinding | undefined>): AuditFinding | undefined {
  let best: AuditFinding | undefined;
  for (const f of findings) if (f && (!best || f.seq < best.seq)) best = f;
  return best;
}
