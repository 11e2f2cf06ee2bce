import type { ObjectLockLegalHoldStatus, ObjectLockMode } from '@aws-sdk/client-s3';
import type { Lock } from '../retention.js';
import type { LockMode } from '../types.js';

/** What HeadObject says about an object's lock. */
export interface HeadLock {
  readonly ObjectLockMode?: string | undefined;
  readonly ObjectLockRetainUntilDate?: Date | undefined;
  readonly ObjectLockLegalHoldStatus?: string | undefined;
}

export function lockFromHead(head: HeadLock): Lock {
  const retainUntil = head.ObjectLockRetainUntilDate;
  const mode = head.ObjectLockMode?.toLowerCase();
  const known = mode === 'compliance' || mode === 'governance' ? (mode as LockMode) : undefined;
  return {
    retainUntil: retainUntil && new Date(retainUntil),
    mode: retainUntil ? (known ?? 'governance') : undefined,
    legalHold: head.ObjectLockLegalHoldStatus === 'ON',
  };
}

export function s3Mode(mode: LockMode | undefined): ObjectLockMode {
  return mode === 'compliance' ? 'COMPLIANCE' : 'GOVERNANCE';
}

/** True while the retention still protects the object; S3 refuses to set a date in the past. */
export function inFuture(date: Date | undefined, now = Date.now()): date is Date {
  return date !== undefined && date.getTime() > now;
}

/** The PutObject parameters that give a new object (or version) this lock. */
export function lockParams(lock: Lock): {
  ObjectLockMode?: ObjectLockMode;
  ObjectLockRetainUntilDate?: Date;
  ObjectLockLegalHoldStatus?: ObjectLockLegalHoldStatus;
} {
  return {
    ...(inFuture(lock.retainUntil)
      ? { ObjectLockMode: s3Mode(lock.mode), ObjectLockRetainUntilDate: new Date(lock.retainUntil) }
      : {}),
    ...(lock.legalHold ? { ObjectLockLegalHoldStatus: 'ON' as const } : {}),
  };
}
