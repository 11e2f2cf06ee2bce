import { CairnError } from '../errors/index.js';

/**
 * First path segments a backend may use for its own bookkeeping (the local backend keeps temp files
 * and retention sidecars there), so no backend accepts them as object keys.
 */
export const reservedTopLevel: ReadonlySet<string> = new Set(['tmp', 'retention']);

/** Why a key (or a list prefix) is refused, or undefined when it is fine. */
function keyProblem(key: string, isPrefix: boolean): string | undefined {
  if (key.startsWith('/')) return 'it is absolute';
  if (key.startsWith('.')) return 'it starts with "."';
  if (key.includes('..')) return 'it contains ".."';
  if (key.includes('\\')) return 'it contains "\\"';
  if (key.includes('\0')) return 'it contains a NUL byte';
  const segments = key.split('/');
  // A prefix may end with "/" ("packs/"); a key may not.
  if (isPrefix && segments.at(-1) === '') segments.pop();
  if (segments.some((s) => s === '')) return 'it has an empty path segment';
  if (segments.some((s) => s.startsWith('.'))) return 'it has a segment starting with "."';
  return undefined;
}

/** Keys are relative, slash-separated paths that map safely onto a directory on every backend. */
export function assertValidKey(key: string): void {
  if (typeof key !== 'string' || key === '') {
    throw new CairnError('CAIRN_E_USAGE', 'invalid storage key: it is empty', { key });
  }
  const problem = keyProblem(key, false) ?? (reservedTopLevel.has(key.split('/')[0]!) ? 'it is reserved' : undefined);
  if (problem) throw new CairnError('CAIRN_E_USAGE', `invalid storage key ${JSON.stringify(key)}: ${problem}`, { key });
}

export function assertValidPrefix(prefix: string): void {
  if (typeof prefix !== 'string') {
    throw new CairnError('CAIRN_E_USAGE', 'invalid storage prefix: not a string', { prefix });
  }
  const problem = prefix === '' ? undefined : keyProblem(prefix, true);
  if (problem) {
    throw new CairnError('CAIRN_E_USAGE', `invalid storage prefix ${JSON.stringify(prefix)}: ${problem}`, { prefix });
  }
}

export function assertValidRange(key: string, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw new CairnError('CAIRN_E_USAGE', `invalid range for ${key}: offset and length must be integers >= 0`, {
      key,
      offset,
      length,
    });
  }
}
