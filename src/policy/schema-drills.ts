/**
 * The recovery-drill and canary parts of cairn.yaml (C5, C8.6): `drills:` plans with their validators
 * and sign-off teams, and the top-level `canary:`. Strict like the rest: an unknown key is an error.
 * Cross-references (items, environments, teams, schema files) are checked in check-drills.ts.
 */
import { z } from 'zod';
import { parseDuration } from './durations.js';
import { duration, scheduleSchema, text } from './schema-release.js';

const NAME = /^[a-z0-9][a-z0-9._-]*$/;
/** `release:<version>` (the snapshot taken for that release), or a snapshot id or id prefix. */
export const BASELINE_REF = /^(release:[^\s]{1,128}|[0-9a-f]{6,64})$/;
export const VALIDATOR_KINDS = ['run', 'jsonSchema', 'baseline'] as const;

/** A duration of at least `minMs` (a zero timeout or period means nothing useful). */
const atLeast = (minMs: number, hint: string, description: string) =>
  duration(description)
    .refine((v) => (parseDuration(v) ?? 0) >= minMs, { error: `must be at least ${hint}` })
    .describe(description);

const itemList = (what: string) =>
  z
    .array(text(`${what} entry`).regex(NAME, { error: (iss) => `"${iss.input}" is not an item name` }), {
      error: `${what} must be a list of item names`,
    })
    .min(1, { error: `${what} needs at least one item (leave it out for all)` });

const validatorItems = itemList('items').describe("Only these of the plan's items; default all of them.").optional();

const runObject = z
  .strictObject({
    command: z
      .string({ error: 'run.command must be text' })
      .describe('sh -c command; {restored} is replaced by the restored item folder.')
      .optional(),
    timeout: atLeast(1_000, '1s', 'Kill the command (and its process group) after this long; default 60s.').optional(),
    items: validatorItems,
  })
  .superRefine((v, ctx) => {
    if (v.command === undefined)
      ctx.addIssue({ code: 'custom', path: ['command'], message: 'run.command is required' });
  });

const runValidator = z
  .union([z.string({ error: 'run must be a command in quotes' }), runObject], {
    error: 'run is a command in quotes, or { command, timeout, items }',
  })
  .refine((v) => (typeof v === 'string' ? v : (v.command ?? 'x')).trim() !== '', {
    error: 'run has an empty command',
  })
  .describe('A command that must exit 0: a string, or { command, timeout, items }.');

const jsonSchemaValidator = z
  .strictObject({
    schema: text('jsonSchema.schema').describe(
      'A JSON Schema file (draft 2020-12, the default, 2019-09 or draft-07), relative to this file.',
    ),
    files: z
      .union(
        [
          text('jsonSchema.files'),
          z.array(text('jsonSchema.files entry')).min(1, { error: 'files needs at least one glob' }),
        ],
        { error: 'files is a glob or a list of globs' },
      )
      .describe('Restored files checked against the schema: a glob or a list; default "**/*.json".')
      .optional(),
    items: validatorItems,
  })
  .describe('Restored JSON files must validate against a JSON Schema.');

const baselineValidator = z
  .strictObject({
    snapshot: text('baseline.snapshot')
      .regex(BASELINE_REF, {
        error: (iss) =>
          `baseline "${iss.input}" is neither release:<version> nor a snapshot id (6 to 64 lowercase hex characters)`,
      })
      .describe('The known-good state: "release:<version>" or a snapshot id / id prefix.'),
    allowChanges: z
      .array(text('allowChanges entry'))
      .describe('Globs of paths allowed to differ from the baseline; default none.')
      .optional(),
    items: validatorItems,
  })
  .describe('The restored state must equal a known-good baseline snapshot, except allowed changes.');

export const validatorSchema = z
  .strictObject({
    run: runValidator.optional(),
    jsonSchema: jsonSchemaValidator.optional(),
    baseline: baselineValidator.optional(),
  })
  .superRefine((v, ctx) => {
    const kinds = VALIDATOR_KINDS.filter((k) => v[k] !== undefined);
    if (kinds.length !== 1) {
      const found = kinds.length === 0 ? 'none' : kinds.join(' and ');
      ctx.addIssue({
        code: 'custom',
        message: `a validator has exactly one of ${VALIDATOR_KINDS.join(', ')} (found ${found})`,
      });
    }
  })
  .describe('One check over the restored items: run, jsonSchema or baseline.');

export const drillSchema = z
  .strictObject({
    name: text('drill name')
      .regex(NAME, { error: 'drill names are lowercase letters, digits, ".", "_", "-"' })
      .describe('Unique name of the plan.'),
    schedule: scheduleSchema('When `cairn serve` runs the drill: cron, or { cron, timezone }.').optional(),
    environment: text('environment')
      .describe('Without items: every item of this environment. With items: each must belong to it.')
      .optional(),
    items: itemList('items').describe('The items restored; default every item of environment.').optional(),
    timeout: atLeast(
      1_000,
      '1s',
      'The whole drill (restore and validation) fails after this long; default 30m.',
    ).optional(),
    overdueAfter: atLeast(
      1_000,
      '1s',
      'No finished drill this long after a due schedule slot raises drill-overdue; default 24h.',
    ).optional(),
    network: z
      .boolean({ error: 'network must be true or false' })
      .describe('Let validators use the network; default false (no network where unshare allows).')
      .optional(),
    validate: z
      .array(validatorSchema, { error: 'validate must be a list' })
      .describe('Checks run over the restored items, in order.')
      .optional(),
    signoff: z
      .array(text('signoff team'), { error: 'signoff must be a list of team names' })
      .describe('Teams of access.teams that must each sign off (with a TOTP code) before the drill counts as passed.')
      .optional(),
  })
  .superRefine((v, ctx) => {
    if (v.items === undefined && v.environment === undefined) {
      ctx.addIssue({ code: 'custom', message: 'a drill needs items, or an environment whose items it restores' });
    }
  })
  .describe('A recovery drill (C5): restore items into a sandbox, validate, measure RTO/RPO, sign off.');

export const drillsSchema = z
  .array(drillSchema, { error: 'drills must be a list' })
  .describe('Recovery drill plans (C5.1–C5.6).');

export const canarySchema = z
  .union(
    [
      z.boolean(),
      z.strictObject({
        every: atLeast(
          1_000,
          '1s',
          'One canary round (change, snapshot, restore, verify) this often; default 15m.',
        ).optional(),
        slowAfter: atLeast(1, '1ms', 'A round slower than this raises canary-slow; default 2m.').optional(),
        keep: z
          .number({ error: 'keep must be a whole number' })
          // A refinement, not .int(): inside the union an int failure would hide behind the union's message.
          .refine(Number.isInteger, { error: 'keep must be a whole number' })
          .min(1, { error: 'keep must be at least 1' })
          .describe('Canary snapshots kept; older ones are forgotten by the canary; default 3.')
          .optional(),
      }),
    ],
    { error: 'canary is false (off), true, or { every, slowAfter, keep }' },
  )
  .describe('The end-to-end canary `cairn serve` runs (C8.6); false turns it off.');
