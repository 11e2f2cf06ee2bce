import { arr, bool, int, nullable, num, obj, openObject } from './common.js';

/**
 * Response schemas of drills, gaps, alerts, coverage and the canary: what `cairn drill|gaps|alerts|
 * coverage --json` print, field for field (a field left out here would be dropped from the answer).
 */

const s = { type: 'string' } as const;
const ns = nullable(s);
const nnum = nullable(num);
const strings = arr(s, 100_000);
const oneOf = (...values: string[]) => ({ type: 'string', enum: values });

export const DRILL_STATUSES = ['running', 'failed', 'awaiting-signoff', 'passed'] as const;
export const ALERT_STATES = ['open', 'acknowledged', 'resolved'] as const;

const gapFound = {
  item: s,
  category: s,
  key: s,
  message: s,
};

const drillResult = obj({
  items: arr(
    obj({
      item: s,
      tier: ns,
      snapshotId: ns,
      stateAt: ns,
      rpoMs: nnum,
      rpoSlaMs: nnum,
      rtoSlaMs: nnum,
      restoreMs: num,
      files: int,
      bytes: int,
      ok: bool,
      error: s,
    }),
    100_000,
  ),
  validators: arr(
    obj({
      index: int,
      kind: oneOf('run', 'jsonSchema', 'baseline'),
      item: s,
      label: s,
      ok: bool,
      durationMs: num,
      output: s,
      exitCode: nullable(int),
      timedOut: bool,
      error: s,
    }),
    100_000,
  ),
  gaps: arr(obj(gapFound), 100_000),
  sandbox: obj({ path: s, isolated: bool, cleaned: bool }),
  error: s,
  /** Certificate expiry warnings, isolation notes (services/drill: DrillResultWithWarnings). */
  warnings: strings,
});

const drillFields = {
  id: s,
  plan: s,
  kind: oneOf('drill', 'staging'),
  environment: ns,
  trigger: oneOf('manual', 'scheduled'),
  actor: s,
  startedAt: s,
  finishedAt: ns,
  status: oneOf(...DRILL_STATUSES),
  rtoMs: nnum,
  restoreMs: nnum,
  validateMs: nnum,
  rpoMs: nnum,
  rtoSlaMs: nnum,
  rpoSlaMs: nnum,
  withinSla: nullable(bool),
  signoffRequired: strings,
  result: { ...drillResult, type: ['object', 'null'] },
};

export const drillSchema = obj(drillFields);

const signoff = obj({ drillId: s, team: s, subject: s, at: s });

export const drillWithSignoffsSchema = obj({ ...drillFields, signoffs: arr(signoff, 1000) });

export const drillListSchema = obj({ drills: arr(drillSchema, 10_000) });

export const gapListSchema = obj({
  gaps: arr(
    obj({
      ...gapFound,
      id: int,
      firstDrill: s,
      lastDrill: s,
      openedAt: s,
      closedAt: ns,
      closedByDrill: ns,
    }),
    100_000,
  ),
});

export const alertSchema = obj({
  id: s,
  dedupKey: s,
  kind: s,
  category: s,
  severity: oneOf('info', 'warning', 'critical'),
  summary: s,
  details: openObject,
  state: oneOf(...ALERT_STATES),
  count: int,
  raisedAt: s,
  lastRaisedAt: s,
  ackedAt: ns,
  ackedBy: ns,
  escalatedAt: ns,
  resolvedAt: ns,
});

export const alertListSchema = obj({ alerts: arr(alertSchema, 100_000) });

export const coverageSchema = obj({
  at: s,
  rows: arr(
    obj({
      environment: ns,
      item: s,
      tier: ns,
      rpoMs: nnum,
      lastSnapshotId: ns,
      lastCaptureAt: ns,
      ageMs: nnum,
      status: oneOf('ok', 'out-of-rpo', 'never', 'no-rpo', 'excepted', 'exception-expired'),
      exception: obj({ reason: s, ticket: s, expires: s, acceptedBy: strings }),
      consecutiveFailures: int,
      lastCaptureId: s,
      lastCaptureKind: oneOf('snapshot', 'verification'),
    }),
    1_000_000,
  ),
  outOfRpo: int,
  covered: int,
  total: int,
  failing: int,
});

export const canaryRunsSchema = obj({
  runs: arr(
    obj({
      id: s,
      startedAt: s,
      finishedAt: s,
      ok: bool,
      latencyMs: num,
      phases: { type: 'object', additionalProperties: num },
      snapshotId: ns,
      error: ns,
    }),
    1000,
  ),
});
