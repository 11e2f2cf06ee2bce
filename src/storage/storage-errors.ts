import { CairnError, errnoCode } from '../errors/index.js';

const reasons: Readonly<Record<string, string>> = Object.freeze({
  ENOSPC: 'disk full',
  EDQUOT: 'disk full (quota exceeded)',
  EIO: 'I/O error',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EMFILE: 'too many open files',
});

export function notFound(key: string, location: string): CairnError {
  return new CairnError('CAIRN_E_NOT_FOUND', `${key} not found in ${location}`, { key, location });
}

export function alreadyExists(key: string, location: string): CairnError {
  return new CairnError('CAIRN_E_EXISTS', `${key} already exists in ${location}; objects are never overwritten`, {
    key,
    location,
  });
}

export function tooShort(key: string, offset: number, length: number, got: number): CairnError {
  return new CairnError(
    'CAIRN_E_INTEGRITY',
    `${key} is shorter than expected: ${length} bytes wanted at offset ${offset}, ${got} found`,
    { key, offset, length, got },
  );
}

/**
 * An OS-level failure while doing op on key, as the error users see. CairnErrors pass through
 * unchanged so a backend can wrap a whole operation in one catch.
 */
export function storageFailure(op: string, key: string, location: string, err: unknown): CairnError {
  if (err instanceof CairnError) return err;
  const code = errnoCode(err);
  const reason = (code && reasons[code]) ?? (err instanceof Error ? err.message : String(err));
  const suffix = code && reasons[code] ? ` (${code})` : '';
  return new CairnError(
    'CAIRN_E_STORAGE',
    `cannot ${op} ${key} in ${location}: ${reason}${suffix}`,
    { key, location, op, ...(code ? { errno: code } : {}) },
    { cause: err },
  );
}
