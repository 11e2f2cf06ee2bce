import { CairnError } from '../errors/index.js';
import { sha256Hex } from '../repo/index.js';
import type { ObjectInfo, Storage } from '../storage/index.js';

/**
 * What replication and repair know about repository objects without opening them: which stage an
 * object is copied in (what it references is copied before it), and which keys are content
 * addresses (docs/FORMAT.md "Ids": the key ends with the SHA-256 of the stored bytes).
 */
export type Stage = 'keys' | 'config' | 'packs' | 'index' | 'snapshots' | 'verifications' | 'other';

/** The copy order; `other` (audit/ and anything newer) comes last. */
export const STAGES: readonly Stage[] = ['keys', 'config', 'packs', 'index', 'snapshots', 'verifications', 'other'];

/** The stage of a key, or undefined for objects that are never copied (locks/ belong to one repository). */
export function stageOf(key: string): Stage | undefined {
  if (key === 'config') return 'config';
  const slash = key.indexOf('/');
  const top = slash < 0 ? key : key.slice(0, slash);
  switch (top) {
    case 'locks':
      return undefined;
    case 'keys':
    case 'packs':
    case 'index':
    case 'snapshots':
    case 'verifications':
      return top;
    default:
      return 'other';
  }
}

const CONTENT_ADDRESSED = /^(?:packs\/[0-9a-f]{2}|index|snapshots|verifications)\/([0-9a-f]{64})$/;

/** The SHA-256 a key promises for its bytes, for packs, index files, snapshots and verifications. */
export function contentAddress(key: string): string | undefined {
  return CONTENT_ADDRESSED.exec(key)?.[1];
}

/** Whether bytes are what their key promises (always true for objects that are not content-addressed). */
export function matchesAddress(key: string, bytes: Uint8Array): boolean {
  const id = contentAddress(key);
  return id === undefined || sha256Hex(bytes) === id;
}

export function assertMatchesAddress(key: string, bytes: Uint8Array, location: string): void {
  if (!matchesAddress(key, bytes)) {
    throw new CairnError(
      'CAIRN_E_INTEGRITY',
      `${key} in ${location} does not match its content address (SHA-256 of its bytes): it is damaged`,
      { object: key, location },
    );
  }
}

/** Lock fields of an object: from its listing where the backend lists them, else from a stat. */
export async function lockOf(storage: Storage, key: string, listed?: ObjectInfo): Promise<ObjectInfo | undefined> {
  if (listed && storage.listsRetention) return listed;
  return storage.stat(key);
}

/** The put options that give a copy the source's retention (dates already past are not carried). */
export function retentionOf(
  info: ObjectInfo | undefined,
  now: Date,
): { retainUntil?: Date; mode?: NonNullable<ObjectInfo['mode']> } {
  if (!info?.retainUntil || info.retainUntil.getTime() <= now.getTime()) return {};
  return { retainUntil: info.retainUntil, ...(info.mode ? { mode: info.mode } : {}) };
}

/** A lock an object should have at least: the latest date, the strongest mode, a hold if any source has one. */
export interface WantedLock {
  retainUntil?: Date | undefined;
  mode?: NonNullable<ObjectInfo['mode']> | undefined;
  legalHold?: boolean | undefined;
}

export function mergeLock(into: WantedLock, add: WantedLock | ObjectInfo | undefined): WantedLock {
  if (!add) return into;
  if (add.retainUntil && (!into.retainUntil || add.retainUntil.getTime() > into.retainUntil.getTime()))
    into.retainUntil = add.retainUntil;
  if (add.retainUntil && (add.mode ?? 'governance') === 'compliance') into.mode = 'compliance';
  else if (add.retainUntil && !into.mode) into.mode = 'governance';
  if (add.legalHold) into.legalHold = true;
  return into;
}

/**
 * Raises an object's lock to at least `want`: a later date, governance → compliance, a legal hold.
 * Never lowers anything (a hold on the replica that the source lacks stays). True when it changed.
 */
export async function raiseLock(
  storage: Storage,
  key: string,
  want: WantedLock,
  have: ObjectInfo | undefined,
  now: Date,
): Promise<boolean> {
  let changed = false;
  const until = want.retainUntil;
  if (until && until.getTime() > now.getTime()) {
    const later = !have?.retainUntil || until.getTime() > have.retainUntil.getTime();
    const stronger = want.mode === 'compliance' && (have?.mode ?? 'governance') !== 'compliance';
    if (later || stronger) {
      const date = later || !have?.retainUntil ? until : have.retainUntil;
      await storage.extendRetention(key, date, want.mode ?? 'governance');
      changed = true;
    }
  }
  if (want.legalHold && !have?.legalHold) {
    await storage.setLegalHold(key, true);
    changed = true;
  }
  return changed;
}
