import { CairnError } from '../errors/index.js';

export function assertValidDate(key: string, date: Date): void {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new CairnError('CAIRN_E_USAGE', `invalid retention date for ${key}`, { key });
  }
}

/** The WORM rule every backend applies before deleting. */
export function assertDeletable(key: string, retainUntil: Date | undefined, now: Date = new Date()): void {
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
