/**
 * Durations in cairn.yaml: one or more `<integer><unit>` groups, e.g. `15m`, `4h`, `30d`, `2w`, `6y`, `1h30m`.
 * `m` is minutes (there is no month unit: months differ in length, and retention must be exact);
 * `y` is 365 days. Only integers, so that a value means the same thing to every reader of the file.
 */

const UNIT_MS = Object.freeze({
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
  y: 365 * 86_400_000,
} as const);

type Unit = keyof typeof UNIT_MS;

/** Source of the anchored pattern, shared with the zod schema so the JSON Schema carries it too. */
export const DURATION_PATTERN = '^(?:[0-9]+(?:ms|s|m|h|d|w|y))+$';
const DURATION_RE = new RegExp(DURATION_PATTERN);
const GROUP_RE = /([0-9]+)(ms|s|m|h|d|w|y)/g;

export const DURATION_HINT = 'use an integer and a unit (ms, s, m, h, d, w, y), e.g. 15m, 4h, 30d, 2w, 6y';

/** Milliseconds, or undefined when `text` is not a duration (or too large to be exact). */
export function parseDuration(text: string): number | undefined {
  if (!DURATION_RE.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(GROUP_RE)) {
    total += Number(m[1]) * UNIT_MS[m[2] as Unit];
  }
  return Number.isSafeInteger(total) ? total : undefined;
}

/** The shortest exact spelling in y, d, h, m, s, ms (`400d` → `1y35d`); weeks are not used on output. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`not a duration: ${ms}`);
  if (ms === 0) return '0s';
  let rest = Math.round(ms);
  let out = '';
  for (const unit of ['y', 'd', 'h', 'm', 's', 'ms'] as const) {
    const size = UNIT_MS[unit];
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}
