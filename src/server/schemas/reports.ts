import { REPORT_FORMATS } from '../../services/index.js';
import { arr, bool, int, type JsonSchema, obj, str } from './common.js';

/**
 * Schemas of the monthly report's routes: the month and format asked for, the file types a report
 * comes as, and the answer of verify, field for field what `cairn report verify --json` prints.
 */

const s = { type: 'string' } as const;

/** Content types of the four formats (answers of GET, and what POST …/verify takes besides octet-stream). */
export const REPORT_CONTENT_TYPES = Object.freeze({
  json: 'application/json',
  csv: 'text/csv',
  html: 'text/html',
  pdf: 'application/pdf',
} as const);

/** What a file to verify may be sent as. */
export const VERIFY_CONTENT_TYPES: readonly string[] = Object.freeze([
  'application/octet-stream',
  ...Object.values(REPORT_CONTENT_TYPES),
]);

export const reportFormat: JsonSchema = { type: 'string', enum: [...REPORT_FORMATS] };

/** YYYY-MM; the month's range (01–12, not in the future) is checked again when parsed. */
export const reportMonthParams: JsonSchema = obj({ month: str(7, { pattern: '^\\d{4}-\\d{2}$' }) }, ['month']);

/** The file, for the OpenAPI document: one binary answer per format. */
export const reportFileAnswer: JsonSchema = {
  description: 'the report file (Content-Disposition: attachment), X-Cairn-Report-Sha256 its SHA-256',
  content: Object.fromEntries(
    Object.values(REPORT_CONTENT_TYPES).map((type) => [type, { schema: { type: 'string', format: 'binary' } }]),
  ),
};

/** The body of POST …/verify: the file's bytes, as any of VERIFY_CONTENT_TYPES (not validated as JSON). */
export const reportFileBody: JsonSchema = {
  content: Object.fromEntries(
    VERIFY_CONTENT_TYPES.map((type) => [type, { schema: { description: 'the report file' } }]),
  ),
};

export const reportVerifySchema = obj({
  ok: bool,
  file: obj({ format: reportFormat, sha256: s }),
  month: s,
  signature: obj({ valid: bool, keyFingerprint: s, message: s }),
  rendering: obj({ checked: bool, matches: bool, figures: arr(s, 10_000) }),
  policy: obj({ sha256: s, matches: bool }),
  figures: int,
  differences: arr(
    obj({
      id: s,
      label: s,
      problem: { type: 'string', enum: ['value', 'evidence', 'missing', 'unexpected'] },
      expected: s,
      found: s,
      note: s,
    }),
    10_000,
  ),
  durationMs: int,
});
