/**
 * Checks a cron expression before the scheduler (croner, a later issue) ever sees it, so a typo is
 * reported by `policy check` with its line instead of silently never firing. Accepts what croner accepts
 * in the common case: 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first,
 * names (jan, mon), steps, ranges, lists, `?`, and the nicknames @hourly … @yearly.
 */

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  /** Extra single-part forms allowed in this field (L, W, #). */
  readonly special?: RegExp;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

const SECOND: FieldSpec = { name: 'second', min: 0, max: 59 };
const FIVE_FIELDS: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31, special: /^(?:L|LW|[0-9]{1,2}W|L-[0-9]{1,2})$/i },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day of week', min: 0, max: 7, names: DAYS, special: /^(?:[0-7]L|[0-7]#[1-5])$/i },
];

const NICKNAMES = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);

/** A message naming what is wrong, or undefined when the expression is valid. */
export function cronProblem(expr: string): string | undefined {
  const text = expr.trim();
  if (NICKNAMES.has(text.toLowerCase())) return undefined;
  const fields = text.split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) {
    return `"${expr}" has ${text === '' ? 0 : fields.length} fields; a cron schedule has 5 (minute hour day month weekday) or 6 (with seconds first)`;
  }
  const specs = fields.length === 6 ? [SECOND, ...FIVE_FIELDS] : FIVE_FIELDS;
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i]!;
    const problem = fieldProblem(fields[i]!, spec);
    if (problem) return `"${expr}": ${spec.name} field "${fields[i]}" ${problem}`;
  }
  return undefined;
}

function fieldProblem(field: string, spec: FieldSpec): string | undefined {
  for (const part of field.split(',')) {
    if (part === '') return 'has an empty list entry';
    if (spec.special?.test(part)) continue;
    const [range, step, extra] = part.split('/');
    if (extra !== undefined) return 'has more than one "/"';
    if (step !== undefined && !/^[0-9]+$/.test(step)) return `has a step "${step}" that is not a number`;
    if (step !== undefined && Number(step) === 0) return 'has a step of 0';
    if (range === '*' || (range === '?' && spec.special)) continue;
    const bounds = (range ?? '').split('-');
    if (bounds.length > 2) return `has a malformed range "${range}"`;
    const values: number[] = [];
    for (const bound of bounds) {
      const value = fieldValue(bound, spec);
      if (value === undefined) {
        return `has "${bound}", which is not a ${spec.name} (${spec.min}-${spec.max}${spec.names ? ' or a name' : ''})`;
      }
      values.push(value);
    }
    if (values.length === 2 && values[0]! > values[1]!) return `has a range "${range}" that runs backwards`;
  }
  return undefined;
}

function fieldValue(text: string, spec: FieldSpec): number | undefined {
  if (/^[0-9]+$/.test(text)) {
    const n = Number(text);
    return n >= spec.min && n <= spec.max ? n : undefined;
  }
  const index = spec.names?.indexOf(text.toLowerCase()) ?? -1;
  if (index < 0) return undefined;
  return spec.names === MONTHS ? index + 1 : index;
}
