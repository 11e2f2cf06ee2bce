/**
 * Normalises `drills:` and `canary:` (schema-drills.ts) into DrillPlan[] and CanaryPolicy: items
 * resolved from the environment when the plan lists none, paths absolute, durations in milliseconds,
 * defaults applied. Runs after check-drills.ts found no errors, so references may be trusted.
 */
import { resolve } from 'node:path';
import { buildSchedule, defined, ms } from './build-release.js';
import type { PositionIndex } from './positions.js';
import type { RawPolicy } from './schema-zod.js';
import type { CanaryPolicy, DrillPlan, DrillValidator, Item } from './types.js';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

export const DRILL_DEFAULTS = Object.freeze({
  timeoutMs: 30 * MINUTE,
  overdueAfterMs: 24 * HOUR,
  validatorTimeoutMs: 60 * SECOND,
  jsonSchemaFiles: Object.freeze(['**/*.json']),
});

export const CANARY_DEFAULTS: CanaryPolicy = Object.freeze({
  enabled: true,
  everyMs: 15 * MINUTE,
  slowAfterMs: 2 * MINUTE,
  keep: 3,
});

type RawDrill = NonNullable<RawPolicy['drills']>[number];
type RawValidator = NonNullable<RawDrill['validate']>[number];

export function buildDrills(
  raw: RawPolicy['drills'],
  items: readonly Item[],
  dir: string,
  positions: PositionIndex,
): DrillPlan[] {
  return (raw ?? []).map((d, i) => {
    const planItems = d.items
      ? [...new Set(d.items)]
      : items.filter((item) => item.environment === d.environment).map((item) => item.name);
    return defined({
      name: d.name,
      schedule: d.schedule === undefined ? undefined : buildSchedule(d.schedule),
      environment: d.environment,
      items: planItems,
      validate: (d.validate ?? []).map((v) => buildValidator(v, dir)),
      signoff: [...new Set(d.signoff ?? [])],
      timeoutMs: d.timeout === undefined ? DRILL_DEFAULTS.timeoutMs : ms(d.timeout),
      overdueAfterMs: d.overdueAfter === undefined ? DRILL_DEFAULTS.overdueAfterMs : ms(d.overdueAfter),
      network: d.network ?? false,
      at: positions.locate(['drills', i]),
    });
  });
}

function buildValidator(v: RawValidator, dir: string): DrillValidator {
  if (v.run !== undefined) {
    const run = typeof v.run === 'string' ? { command: v.run } : v.run;
    return defined({
      kind: 'run' as const,
      command: run.command ?? '',
      timeoutMs: 'timeout' in run && run.timeout !== undefined ? ms(run.timeout) : DRILL_DEFAULTS.validatorTimeoutMs,
      items: 'items' in run && run.items ? [...new Set(run.items)] : undefined,
    });
  }
  if (v.jsonSchema !== undefined) {
    const j = v.jsonSchema;
    const files =
      j.files === undefined ? DRILL_DEFAULTS.jsonSchemaFiles : typeof j.files === 'string' ? [j.files] : j.files;
    return defined({
      kind: 'jsonSchema' as const,
      schema: resolve(dir, j.schema),
      files: [...files],
      items: j.items ? [...new Set(j.items)] : undefined,
    });
  }
  const b = v.baseline!;
  return defined({
    kind: 'baseline' as const,
    snapshot: b.snapshot,
    allowChanges: b.allowChanges ?? [],
    items: b.items ? [...new Set(b.items)] : undefined,
  });
}

export function buildCanary(raw: RawPolicy['canary']): CanaryPolicy {
  if (raw === false) return { ...CANARY_DEFAULTS, enabled: false };
  if (raw === undefined || raw === true) return { ...CANARY_DEFAULTS };
  return {
    enabled: true,
    everyMs: raw.every === undefined ? CANARY_DEFAULTS.everyMs : ms(raw.every),
    slowAfterMs: raw.slowAfter === undefined ? CANARY_DEFAULTS.slowAfterMs : ms(raw.slowAfter),
    keep: raw.keep ?? CANARY_DEFAULTS.keep,
  };
}
