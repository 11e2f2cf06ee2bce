/**
 * Turns a validated document (schema-zod.ts output) into the Policy model: durations in milliseconds,
 * paths absolute, defaults applied, unknown environment/governance keys set aside in `extra`. Runs only when
 * validation found no errors, so it may trust the shape. The release-pipeline keys are in build-release.ts.
 */
import { resolve } from 'node:path';
import { buildCanary, buildDrills } from './build-drills.js';
import { buildAccess, buildAlertSinks, buildAudit, buildBusinessHours } from './build-governance.js';
import {
  buildAlertThresholds,
  buildChangeTickets,
  buildDrift,
  buildEnvironment,
  buildItemVersion,
  buildReleaseSource,
  buildRestoreTarget,
  buildSchedule,
  buildWebhooks,
  defined,
  ms,
} from './build-release.js';
import { BUILTIN_EXCLUDES } from './exclusions.js';
import type { PositionIndex } from './positions.js';
import type { RawItem, RawPolicy, RawSource, RawTier } from './schema-zod.js';
import type { Environment, Item, KeepRules, Policy, PolicyException, RetentionClass, Source, Tier } from './types.js';

export interface BuildContext {
  readonly file: string; // absolute
  readonly dir: string;
  readonly positions: PositionIndex;
  readonly now: Date;
}

const ENVIRONMENT_KEYS = new Set(['maintenanceWindows', 'autoRollback', 'driftSchedule']);

export function buildPolicy(raw: RawPolicy, ctx: BuildContext): Policy {
  const retentionClasses: Record<string, RetentionClass> = {};
  for (const [name, cls] of Object.entries(raw.governance?.retentionClasses ?? {})) {
    retentionClasses[name] = { name, keepMs: ms(cls.keep) };
  }
  const tiers: Record<string, Tier> = {};
  for (const [name, tier] of Object.entries(raw.tiers ?? {})) tiers[name] = buildTier(name, tier);

  const environments: Record<string, Environment> = {};
  const environmentExtras: Record<string, Record<string, unknown>> = {};
  for (const [name, env] of Object.entries(raw.environments ?? {})) {
    environments[name] = buildEnvironment(name, env);
    const extras = Object.fromEntries(Object.entries(env ?? {}).filter(([k]) => !ENVIRONMENT_KEYS.has(k)));
    if (Object.keys(extras).length > 0) environmentExtras[name] = extras;
  }

  const exclude = [...BUILTIN_EXCLUDES, ...(raw.exclude ?? [])];
  const items = (raw.items ?? []).map((item, i) => buildItem(item, i, exclude, ctx));
  const today = Date.UTC(ctx.now.getUTCFullYear(), ctx.now.getUTCMonth(), ctx.now.getUTCDate());
  const exceptions: PolicyException[] = (raw.exceptions ?? []).map((ex) => ({
    item: ex.item,
    reason: ex.reason,
    acceptedBy: ex.acceptedBy,
    ticket: ex.ticket,
    expires: ex.expires,
    expired: Date.parse(`${ex.expires}T00:00:00Z`) < today,
  }));

  const governanceExtra = Object.fromEntries(
    Object.entries(raw.governance ?? {}).filter(
      ([key, value]) => !['retentionClasses', 'audit', 'businessHours'].includes(key) && value !== undefined,
    ),
  );
  const extra = defined({
    governance: Object.keys(governanceExtra).length > 0 ? governanceExtra : undefined,
    environments: Object.keys(environmentExtras).length > 0 ? environmentExtras : undefined,
  });

  const auditRetention = raw.governance?.audit?.retention;
  return defined({
    file: ctx.file,
    dir: ctx.dir,
    version: 1 as const,
    organisation: raw.organisation,
    retentionClasses,
    auditRetentionMs: auditRetention === undefined ? undefined : ms(auditRetention),
    audit: buildAudit(raw, ctx.dir),
    businessHours: buildBusinessHours(raw),
    access: buildAccess(raw),
    alertSinks: buildAlertSinks(raw),
    tiers,
    environments,
    exclude,
    items,
    exceptions,
    replication: raw.replication ? { to: location(raw.replication.to, ctx.dir) } : undefined,
    changeTickets: buildChangeTickets(raw.changeTickets, ctx.dir),
    webhooks: buildWebhooks(raw.webhooks),
    alerts: buildAlertThresholds(raw.alerts),
    drills: buildDrills(raw.drills, items, ctx.dir, ctx.positions),
    canary: buildCanary(raw.canary),
    extra,
  });
}

/** A repository location: URLs (s3://, file://, mem:) as written, a path relative to the policy file. */
function location(to: string, dir: string): string {
  return /^[a-z][a-z0-9+.-]*:/i.test(to) && !/^[a-z]:[\\/]/i.test(to) ? to : resolve(dir, to);
}

function buildTier(name: string, tier: RawTier): Tier {
  const k = tier.keep ?? {};
  const keep: KeepRules = defined({
    last: k.last,
    hourly: k.hourly,
    daily: k.daily,
    weekly: k.weekly,
    monthly: k.monthly,
    yearly: k.yearly,
    withinMs: k.within === undefined ? undefined : ms(k.within),
  });
  return defined({
    name,
    description: tier.description,
    retentionClass: tier.retentionClass,
    lock: tier.lock ? { mode: tier.lock.mode, forMs: ms(tier.lock.for) } : undefined,
    rpoMs: tier.rpo === undefined ? undefined : ms(tier.rpo),
    rtoMs: tier.rto === undefined ? undefined : ms(tier.rto),
    schedule: tier.schedule === undefined ? undefined : buildSchedule(tier.schedule),
    keep,
    replicate: tier.replicate,
    deleteApprovals: tier.deleteApprovals,
  });
}

function buildItem(item: RawItem, index: number, exclude: readonly string[], ctx: BuildContext): Item {
  const sources = item.sources.map((s) => buildSource(s, ctx.dir));
  return defined({
    name: item.name,
    owner: item.owner,
    tier: String(item.tier),
    environment: item.environment,
    component: item.component,
    description: item.description,
    sources,
    secrets: item.secrets,
    exclude,
    at: ctx.positions.locate(['items', index]),
    version: item.version ? buildItemVersion(item.version.file, sources, ctx.dir) : undefined,
    requires: (item.requires ?? []).map((r) => defined({ item: r.item, version: r.version, when: r.when })),
    bundleWith: item.bundleWith ?? [],
    restore: item.restore ? buildRestoreTarget(item.restore, ctx.dir) : undefined,
    schedule: item.schedule === undefined ? undefined : buildSchedule(item.schedule),
    drift: buildDrift(item.drift),
    extra: {},
  });
}

function buildSource(source: RawSource, dir: string): Source {
  if (source.files) {
    return {
      kind: 'files',
      root: resolve(dir, source.files.root),
      include: source.files.include ?? ['**'],
      exclude: source.files.exclude ?? [],
    };
  }
  const built = buildReleaseSource(source, dir);
  if (!built) throw new Error('internal: a validated source has no kind');
  return built;
}
