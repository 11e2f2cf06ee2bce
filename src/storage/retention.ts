import { CairnError } from '../errors/index.js';
import type { LockMode } from './types.js';

/** What keeps an object from being deleted: a retention date with its mode, and a legal hold. */
export interface Lock {
  readonly retainUntil: Date | undefined;
  readonly mode: LockMode | undefined;
  readonly legalHold: boolean;
}

export const noLock: Lock = Object.freeze({ retainUntil: undefined, mode: undefined, legalHold: false });

export function assertValidDate(key: string, date: Date): void {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new CairnError('CAIRN_E_USAGE', `invalid retention date for ${key}`, { key });
  }
}

export function assertValidMode(key: string, mode: LockMode | undefined): void {
  if (mode !== undefined && mode !== 'compliance' && mode !== 'governance') {
    throw new CairnError('CAIRN_E_USAGE', `invalid lock mode for ${key}: ${String(mode)}`, { key, mode });
  }
}

/** The WORM rule every backend applies before deleting: no legal hold, no retention in the future. */
export function assertDeletable(key: string, lock: Partial<Lock> | undefined, now: Date = new Date()): void {
  if (lock?.legalHold) {
    throw new CairnError('CAIRN_E_RETAINED', `${key} is under legal hold`, { key, legalHold: true });
  }
  const retainUntil = lock?.retainUntil;
  if (retainUntil !== undefined && retainUntil.getTime() > now.getTime()) {
    const iso = retainUntil.toISOString();
    throw new CairnError('CAIRN_E_RETAINED', `${key} is retained until ${iso}`, { key, retainUntil: iso });
  }
}

/** Retention only ever moves later, whichever date arrives first. */
export function laterOf(a: Date | undefined, b: Date | undefined): Date | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return b.getTime() > a.getTime() ? b : a;
}

/** A mode is raised (governance → compliance), never lowered. */
export function strongerMode(a: LockMode | undefined, b: LockMode | undefined): LockMode | undefined {
  if (a === 'compliance' || b === 'compliance') return 'compliance';
  return a ?? b;
}

/** The lock for a new object: a mode only with a date, governance by default. */
export function initialLock(retainUntil: Date | undefined, mode: LockMode | undefined): Lock {
  if (retainUntil === undefined) return noLock;
  return { retainUntil: new Date(retainUntil), mode: mode ?? 'governance', legalHold: false };
}

/** The lock after extendRetention(until, mode): later date, stronger mode; the hold is untouched. */
export function extendedLock(current: Lock, until: Date, mode: LockMode | undefined): Lock {
  const retainUntil = laterOf(current.retainUntil, until)!;
  const base = current.retainUntil === undefined ? (mode ?? 'governance') : current.mode;
  return { retainUntil: new Date(retainUntil), mode: strongerMode(base, mode), legalHold: current.legalHold };
}

export function sameLock(a: Lock, b: Lock): boolean {
  return a.retainUntil?.getTime() === b.retainUntil?.getTime() && a.mode === b.mode && a.legalHold === b.legalHold;
}

/** The retention fields of ObjectInfo, copied so callers cannot change the stored dates. */
export function lockInfo(lock: Lock): {
  retainUntil: Date | undefined;
  mode: LockMode | undefined;
  legalHold: boolean;
} {
  return {
    retainUntil: lock.retainUntil && new Date(lock.retainUntil),
    mode: lock.retainUntil ? lock.mode : undefined,
    legalHold: lock.legalHold,
  };
}
