import { CairnError } from '../../errors/index.js';
import type { MonthRange } from './types.js';

const MONTH = /^(\d{4})-(\d{2})$/;

/** `2026-11` → [2026-11-01T00:00Z, 2026-12-01T00:00Z); anything else is a usage error. */
export function parseMonth(text: string, what = '--month'): MonthRange {
  const m = MONTH.exec(text);
  const year = m ? Number(m[1]) : Number.NaN;
  const month = m ? Number(m[2]) : Number.NaN;
  if (!m || month < 1 || month > 12 || year < 1970) {
    throw new CairnError(
      'CAIRN_E_USAGE',
      `${what} ${JSON.stringify(text)} is not a month: give it as YYYY-MM, e.g. 2026-11 (months 01 to 12)`,
      { month: text },
    );
  }
  return { month: text, start: new Date(Date.UTC(year, month - 1, 1)), end: new Date(Date.UTC(year, month, 1)) };
}

/** The UTC days of [start, until): YYYY-MM-DD with each day's [from, to) clipped to until. */
export function daysOf(start: Date, until: Date): Array<{ day: string; from: number; to: number }> {
  const out: Array<{ day: string; from: number; to: number }> = [];
  for (let t = start.getTime(); t < until.getTime(); t += 86_400_000) {
    out.push({ day: new Date(t).toISOString().slice(0, 10), from: t, to: Math.min(t + 86_400_000, until.getTime()) });
  }
  return out;
}
