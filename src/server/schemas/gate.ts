import { arr, bool, int, nullable, obj } from './common.js';

/**
 * Response schemas of the release gate and drift: what `cairn gate|drift --json` print, field for
 * field (a field left out here would be dropped from the answer).
 */

const s = { type: 'string' } as const;
const ns = nullable(s);
const strings = arr(s, 100_000);
const error = obj({ code: s, message: s });
const nullableError = { type: ['object', 'null'], additionalProperties: false, properties: { code: s, message: s } };

const change = obj({ path: s, kind: { type: 'string', enum: ['added', 'removed', 'modified'] }, detail: strings });

export const requirementResultSchema = obj({
  item: s,
  requires: s,
  range: ns,
  when: ns,
  version: ns,
  requiredVersion: ns,
  ok: bool,
  reason: s,
});

export const gateReportSchema = obj({
  environment: s,
  release: s,
  checkedAt: s,
  passed: bool,
  items: arr(
    obj({
      item: s,
      snapshot: ns,
      verification: ns,
      checks: arr(obj({ name: s, ok: bool, reason: s }), 10),
    }),
    100_000,
  ),
  requirements: arr(requirementResultSchema, 100_000),
  failed: strings,
});

const itemDrift = obj({
  item: s,
  snapshot: ns,
  drifted: bool,
  changes: arr(change, 1_000_000),
  ignored: int,
  readFiles: int,
  error,
});

export const driftReportSchema = obj({
  environment: s,
  checkedAt: s,
  drifted: bool,
  items: arr(itemDrift, 100_000),
});

export const driftLatestSchema = obj({
  environment: s,
  items: arr(
    obj({
      id: s,
      environment: s,
      item: s,
      checkedAt: s,
      snapshotId: ns,
      drifted: bool,
      ignored: int,
      changes: arr(change, 1_000_000),
      error: nullableError,
    }),
    100_000,
  ),
});
