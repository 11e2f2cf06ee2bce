/**
 * The shape of cairn.yaml as written (before normalisation), in one zod schema. It is both the validator
 * (`policy check`) and the source of the editor JSON Schema (schema.ts), so the two cannot disagree.
 * Sections built in this issue (C1) are strict: an unknown key is an error, because a typo such as
 * `onwer:` must not silently drop a rule; so are governance.audit, businessHours, access and alert sinks
 * (schema-governance.ts), and the release-pipeline keys (schema-release.ts: content sources, restore
 * targets, schedules, windows, requires, drift, changeTickets, webhooks, alerts), drills and canary
 * (schema-drills.ts) and alert sinks (schema-alerts.ts). Environment extras are validated lightly and kept.
 * Cross-references (tier exists, owner of a duplicate name, expired exceptions) live in check.ts, which
 * needs the whole document.
 */
import { z } from 'zod';
import { DURATION_HINT, DURATION_PATTERN, parseDuration } from './durations.js';
import { alertSinkSchema } from './schema-alerts.js';
import { canarySchema, drillsSchema } from './schema-drills.js';
import { accessSchema, auditSchema, businessHoursSchema } from './schema-governance.js';
import { changeTicketsSchema, webhooksSchema } from './schema-integrations.js';
import { environmentSchema, releaseItemKeys, releaseSources, scheduleSchema } from './schema-release.js';

const ITEM_NAME = /^[a-z0-9][a-z0-9._-]*$/;
const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const DATE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;

export const SECRETS_MODES = ['refuse', 'redact', 'encrypt', 'allow'] as const;
export const SOURCE_KINDS = ['files', 'git', 'dotenv', 'command', 'http', 'postgres', 'ssh'] as const;

function text(what: string) {
  return z
    .string({ error: (iss) => (iss.input === undefined ? `${what} is required` : `${what} must be text`) })
    .min(1, { error: `${what} must not be empty` });
}

function duration(description: string) {
  return z
    .string({ error: (iss) => (iss.input === undefined ? 'is required' : `expected a duration: ${DURATION_HINT}`) })
    .regex(new RegExp(DURATION_PATTERN), {
      error: (iss) => `"${String(iss.input)}" is not a duration: ${DURATION_HINT}`,
      abort: true,
    })
    .refine((v) => parseDuration(v) !== undefined, { error: 'duration is too large' })
    .describe(description);
}

function count(description: string) {
  return z
    .number({ error: 'expected a whole number' })
    .int({ error: 'expected a whole number' })
    .min(0, { error: 'must not be negative' })
    .describe(description);
}

const globs = (description: string) =>
  z.array(z.string().min(1, { error: 'a glob must not be empty' })).describe(description);

export const keepSchema = z
  .strictObject({
    last: count('Keep the N most recent snapshots.').optional(),
    hourly: count('Keep the newest snapshot of each of the last N hours that have one (UTC).').optional(),
    daily: count('Keep the newest snapshot of each of the last N days that have one (UTC).').optional(),
    weekly: count('Keep the newest snapshot of each of the last N ISO weeks that have one.').optional(),
    monthly: count('Keep the newest snapshot of each of the last N months that have one.').optional(),
    yearly: count('Keep the newest snapshot of each of the last N years that have one.').optional(),
    within: duration('Keep every snapshot younger than this, relative to the newest snapshot.').optional(),
  })
  .describe('Retention rules with restic `forget` semantics (C4.3). An empty set keeps everything.');

export const tierSchema = z
  .strictObject({
    description: z.string().optional(),
    retentionClass: z.string().min(1).describe('A key of governance.retentionClasses (C1.4).').optional(),
    lock: z
      .strictObject({
        mode: z
          .enum(['compliance', 'governance'], { error: 'lock mode must be compliance or governance' })
          .describe('compliance: nobody can shorten it; governance: privileged users can.'),
        for: duration('How long each snapshot is WORM-locked (C2.2).'),
      })
      .optional(),
    rpo: duration('Recovery point objective: the oldest a tier backup may be (C8.2).').optional(),
    rto: duration('Recovery time objective measured in drills (C5.2).').optional(),
    schedule: scheduleSchema(
      'Cron schedule (5 fields, or 6 with seconds first), or { cron, timezone, maintenanceWindowsOnly } (C3.2).',
    ).optional(),
    keep: keepSchema.optional(),
    replicate: z.boolean().describe('Replicate to the second repository (C2.3).').optional(),
    deleteApprovals: count('Distinct approvers needed to delete a snapshot of this tier (C6.5).').optional(),
  })
  .describe('A tier sets frequency, retention and RTO/RPO for its items (C1.2).');

const filesSource = z
  .strictObject({
    root: text('files.root').describe('Folder to read, relative to the policy file.'),
    include: globs('Globs relative to root; default ["**"].')
      .min(1, { error: 'include needs at least one glob' })
      .optional(),
    exclude: globs('Globs relative to root to leave out, on top of the built-in and policy-wide ones.').optional(),
  })
  .describe('Files under a folder.');

export const sourceSchema = z
  .strictObject({
    files: filesSource.optional(),
    ...releaseSources,
  })
  .superRefine((source, ctx) => {
    const kinds = SOURCE_KINDS.filter((k) => source[k] !== undefined);
    if (kinds.length !== 1) {
      const found = kinds.length === 0 ? 'none' : kinds.join(', ');
      ctx.addIssue({
        code: 'custom',
        message: `a source has exactly one of ${SOURCE_KINDS.join(', ')} (found ${found})`,
      });
    }
  })
  .meta({ description: 'Where the item is read from: exactly one kind.', minProperties: 1, maxProperties: 1 });

export const itemSchema = z
  .strictObject({
    name: text('name')
      .regex(ITEM_NAME, {
        error: 'item names are lowercase: letters, digits, ".", "_", "-", starting with a letter or digit',
      })
      .describe('Unique name of the configuration artifact (C1.1).'),
    owner: z
      .string({
        error: (iss) =>
          iss.input === undefined
            ? 'owner is required: every item has an accountable owner (C1.3)'
            : 'owner must be text',
      })
      .min(1, { error: 'owner must not be empty: every item has an accountable owner (C1.3)' })
      .describe('Accountable team or person (C1.3); required.'),
    tier: z
      .union([z.string().min(1), z.number().int().min(0)], {
        error: (iss) => (iss.input === undefined ? 'tier is required' : 'tier must be a tier name or number'),
      })
      .describe('A key of tiers.'),
    environment: z.string().min(1).describe('A key of environments.').optional(),
    component: z.string().optional(),
    description: z.string().optional(),
    sources: z
      .array(sourceSchema, {
        error: (iss) => (iss.input === undefined ? 'sources is required' : 'sources must be a list'),
      })
      .min(1, { error: 'an item needs at least one source' })
      .describe('Where the item is read from; at least one.'),
    secrets: z
      .enum(SECRETS_MODES, { error: `secrets must be one of ${SECRETS_MODES.join(', ')}` })
      .default('refuse')
      .describe('What a snapshot does with secret-shaped values (C1.5); default refuse.'),
    ...releaseItemKeys,
  })
  .describe('A named configuration artifact and its sources (C1.1).');

export const exceptionSchema = z
  .strictObject({
    item: text('item').describe('The item not covered; need not be in items.'),
    reason: text('reason'),
    acceptedBy: z
      .array(text('acceptedBy entry'), { error: 'acceptedBy must be a list of people' })
      .min(1, { error: 'acceptedBy needs at least one person who accepted the risk' }),
    ticket: text('ticket'),
    expires: z
      .string({ error: 'expires must be a date YYYY-MM-DD' })
      .regex(DATE, { error: 'expires must be a date YYYY-MM-DD', abort: true })
      .refine(isRealDate, { error: 'expires is not a real date' })
      .describe('Last day the exception is valid (YYYY-MM-DD).'),
  })
  .describe('A documented gap in coverage with its risk acceptance (C1.6).');

const governanceSchema = z.strictObject({
  retentionClasses: z
    .record(
      z.string().regex(KEY_NAME, { error: 'retention class names are letters, digits, ".", "_", "-"' }),
      z.strictObject({
        keep: duration('How long the class requires records to be kept.'),
        description: z.string().optional(),
      }),
    )
    .describe('Data-governance retention classes tiers map to (C1.4).')
    .optional(),
  audit: auditSchema.optional(),
  businessHours: businessHoursSchema.optional(),
});

export const policySchema = z
  .strictObject({
    version: z
      .literal(1, {
        error: (iss) =>
          iss.input === undefined
            ? 'version: 1 is required'
            : `unsupported version ${JSON.stringify(iss.input)}: this Cairn reads version 1`,
      })
      .describe('Policy language version; 1.'),
    organisation: z.string().describe('Organisation name shown in reports.').optional(),
    governance: governanceSchema.describe('Retention classes (C1.4), audit log settings (C6).').optional(),
    tiers: z
      .record(z.string().regex(KEY_NAME, { error: 'tier names are letters, digits, ".", "_", "-"' }), tierSchema)
      .describe('Tiers by number or name (C1.2).')
      .optional(),
    environments: z
      .record(
        z.string().regex(KEY_NAME, { error: 'environment names are letters, digits, ".", "_", "-"' }),
        environmentSchema,
      )
      .describe('Deployment environments items belong to; when present, every item environment must be one.')
      .optional(),
    exclude: globs('Globs excluded from every files source, added to the built-in exclusions (C1.5).').optional(),
    items: z
      .array(itemSchema, { error: 'items must be a list' })
      .describe('The configuration artifacts Cairn keeps (C1.1).')
      .optional(),
    exceptions: z
      .array(exceptionSchema, { error: 'exceptions must be a list' })
      .describe('Documented gaps in coverage (C1.6); expired ones fail the check.')
      .optional(),
    changeTickets: changeTicketsSchema.optional(),
    webhooks: webhooksSchema.optional(),
    drills: drillsSchema.optional(),
    access: accessSchema.optional(),
    replication: z
      .strictObject({
        to: text('replication.to').describe(
          'The second repository (a folder, relative to this file, or s3://bucket/prefix) that `cairn replicate` copies to.',
        ),
      })
      .describe('Replication to a second repository (C2.3); tiers with replicate: true copy after every snapshot.')
      .optional(),
    alerts: z
      .strictObject({
        consecutiveFailures: count('Alert after this many failures in a row.')
          .min(1, { error: 'must be at least 1' })
          .optional(),
        lateAfter: duration('A scheduled backup this late is an alert (C8.5).').optional(),
        escalateAfter: duration('Escalate to on-call after this long.').optional(),
        sinks: z
          .array(alertSinkSchema, { error: 'sinks must be a list' })
          .describe('Where alerts go (C8.1).')
          .optional(),
      })
      .describe('Alert thresholds and sinks (C8.1, C8.5).')
      .optional(),
    canary: canarySchema.optional(),
  })
  .describe('cairn.yaml: what configuration Cairn keeps, for how long, and who owns it.');

export type RawPolicy = z.output<typeof policySchema>;
export type RawItem = z.output<typeof itemSchema>;
export type RawSource = z.output<typeof sourceSchema>;
export type RawTier = z.output<typeof tierSchema>;
export type RawSchedule = NonNullable<RawTier['schedule']>;
export type RawEnvironment = NonNullable<z.output<typeof environmentSchema>>;

function isRealDate(value: string): boolean {
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

/**
 * The keys a strict object at `path` accepts, for "did you mean" on unknown keys. Walks zod's own
 * definitions (`_zod.def`, the documented core API) so the list never drifts from the schema.
 */
export function knownKeys(path: readonly PropertyKey[]): string[] {
  return keysAt(policySchema, path);
}

function keysAt(start: unknown, path: readonly PropertyKey[]): string[] {
  const schema = unwrap(start);
  const def = defOf(schema);
  // A union (schedule: "cron" | { cron, timezone }): the keys of its object forms.
  if (def?.type === 'union') return [...new Set((def.options ?? []).flatMap((o) => keysAt(o, path)))];
  const [seg, ...rest] = path;
  if (seg === undefined) return def?.type === 'object' ? Object.keys(def.shape ?? {}) : [];
  if (def?.type === 'object') return keysAt(def.shape?.[String(seg)], rest);
  if (def?.type === 'array') return keysAt(def.element, rest);
  if (def?.type === 'record') return keysAt(def.valueType, rest);
  return [];
}

interface AnyDef {
  type?: string;
  shape?: Record<string, unknown>;
  element?: unknown;
  valueType?: unknown;
  options?: unknown[];
  innerType?: unknown;
  in?: unknown;
}

function defOf(schema: unknown): AnyDef | undefined {
  return (schema as { _zod?: { def?: AnyDef } } | undefined)?._zod?.def;
}

function unwrap(schema: unknown): unknown {
  let current = schema;
  for (let def = defOf(current); def; def = defOf(current)) {
    if (def.innerType !== undefined) current = def.innerType;
    else if (def.type === 'pipe') current = def.in;
    else break;
  }
  return current;
}
