/**
 * The release-pipeline parts of cairn.yaml (issue 5): content sources, restore targets, schedules,
 * maintenance windows, version rules, drift rules, change tickets, webhooks and alert thresholds.
 * Strict like the core sections: an unknown key is an error with a "did you mean".
 */
import { z } from 'zod';
import { cronProblem } from './cron.js';
import { DURATION_HINT, DURATION_PATTERN, parseDuration } from './durations.js';
import { isTimeZone, parseMaintenanceWindow } from './maintenance-windows.js';
import { rangeProblem } from './semver.js';

const ITEM_NAME = /^[a-z0-9][a-z0-9._-]*$/;
export const CONTENT_FORMATS = ['json', 'yaml', 'text'] as const;
export const POSTGRES_PARTS = ['settings', 'roles', 'extensions'] as const;

export const text = (what: string) =>
  z
    .string({ error: (iss) => (iss.input === undefined ? `${what} is required` : `${what} must be text`) })
    .min(1, { error: `${what} must not be empty` });

export const duration = (description: string) =>
  z
    .string({ error: (iss) => (iss.input === undefined ? 'is required' : `expected a duration: ${DURATION_HINT}`) })
    .regex(new RegExp(DURATION_PATTERN), {
      error: (iss) => `"${String(iss.input)}" is not a duration: ${DURATION_HINT}`,
      abort: true,
    })
    .refine((v) => parseDuration(v) !== undefined, { error: 'duration is too large' })
    .describe(description);

export const envName = (description: string) =>
  z
    .string({ error: 'expected an environment variable name' })
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: (iss) => `"${iss.input}" is not an environment variable name` })
    .describe(description);

export const httpUrl = (what: string) =>
  z.string({ error: `${what} must be a URL` }).refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), {
    error: (iss) => `${what} "${iss.input}" is not an http(s) URL`,
  });

const headersEnv = () =>
  z
    .record(z.string().min(1), envName('Environment variable holding the header value.'))
    .describe('Header name → environment variable holding its value (read at run time, never stored).');

const globs = (description: string) =>
  z.array(z.string().min(1, { error: 'a glob must not be empty' })).describe(description);

export const cronSchema = z
  .string({ error: 'expected a cron expression in quotes, e.g. "0 2 * * *"' })
  .superRefine((value, ctx) => {
    const problem = cronProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const timezone = z
  .string({ error: 'expected an IANA time zone, e.g. Europe/London' })
  .refine(isTimeZone, { error: (iss) => `unknown time zone "${String(iss.input)}" (use an IANA name or UTC)` });

/** `"0 2 * * *"` or `{ cron, timezone, maintenanceWindowsOnly }`. */
export const scheduleSchema = (description: string) =>
  z
    .union(
      [
        cronSchema,
        z.strictObject({
          cron: cronSchema.describe('5 fields, or 6 with seconds first.'),
          timezone: timezone.describe('IANA time zone the cron fields are read in; default UTC.').optional(),
          maintenanceWindowsOnly: z
            .boolean()
            .describe("A due run waits for the environment's next maintenance window.")
            .optional(),
        }),
      ],
      {
        error: 'expected a cron expression in quotes, e.g. "0 2 * * *", or { cron, timezone, maintenanceWindowsOnly }',
      },
    )
    .describe(description);

const gitSource = z
  .strictObject({
    url: text('git.url')
      .refine((v) => !v.startsWith('-'), { error: (iss) => `git.url "${iss.input}" must not start with "-"` })
      .describe('A URL git can fetch: file://, https://, ssh://.')
      .optional(),
    path: text('git.path').describe('A local repository, relative to the policy file.').optional(),
    ref: text('git.ref').describe('Branch, tag or commit.'),
    subdir: z.string().describe("Only this folder of the repository; default '' (all).").optional(),
    include: globs('Globs relative to subdir; default ["**"].').min(1, { error: 'needs at least one glob' }).optional(),
    exclude: globs('Globs relative to subdir to leave out.').optional(),
    timeout: duration('Give up on git after this long; default 120s.').optional(),
  })
  .refine((v) => (v.url === undefined) !== (v.path === undefined), {
    error: 'a git source needs exactly one of url or path',
  })
  .describe('The tree of a git ref (IaC templates), read without a working copy.');

const dotenvSource = z.strictObject({ path: text('dotenv.path').describe('Relative to the policy file.') });

const commandSource = z
  .strictObject({
    run: text('command.run').describe('Run with sh -c; its standard output is stored.'),
    timeout: duration('Kill the command (and its process group) after this long; default 60s.').optional(),
    cwd: text('command.cwd').describe("Working folder; default the policy file's folder.").optional(),
    file: text('command.file')
      .describe('Stored as this file; default output.yaml / .json / .txt by format.')
      .optional(),
    format: z
      .enum(CONTENT_FORMATS, { error: `format must be one of ${CONTENT_FORMATS.join(', ')}` })
      .describe('How drift compares it; default yaml.')
      .optional(),
    env: z
      .array(envName('Passed to the command.'))
      .describe('Environment variables passed through (PATH and HOME always are).')
      .optional(),
  })
  .describe('The standard output of a command.');

const httpSource = z
  .strictObject({
    url: httpUrl('http.url'),
    headersEnv: headersEnv().optional(),
    headers: z.record(z.string().min(1), z.string()).describe('Literal headers (no secrets here).').optional(),
    timeout: duration('Give up after this long; default 30s.').optional(),
    file: text('http.file').describe('Stored as this file; default response.json / .yaml by format.').optional(),
    format: z
      .enum(['json', 'yaml'], { error: 'format must be json or yaml' })
      .describe('The body must parse as this; default json.')
      .optional(),
  })
  .describe('The body of an HTTP GET (a feature-flag export).');

const postgresSource = z
  .strictObject({
    url: text('postgres.url').describe('Connection URL (prefer urlEnv: a password here is in the policy).').optional(),
    urlEnv: envName('Environment variable holding the connection URL.').optional(),
    include: z
      .array(z.enum(POSTGRES_PARTS, { error: `expected one of ${POSTGRES_PARTS.join(', ')}` }))
      .min(1, { error: 'needs at least one part' })
      .describe('Parts to keep; default all three.')
      .optional(),
    timeout: duration('Give up after this long; default 30s.').optional(),
  })
  .refine((v) => (v.url === undefined) !== (v.urlEnv === undefined), {
    error: 'a postgres source needs exactly one of url or urlEnv',
  })
  .describe('PostgreSQL non-default settings, roles and grants, extensions.');

const sshSource = z
  .looseObject({ host: text('ssh.host'), command: text('ssh.command') })
  .describe('The output of a command on a device over SSH (not built yet: refused at snapshot time).');

export const releaseSources = {
  git: gitSource.optional(),
  dotenv: dotenvSource.optional(),
  command: commandSource.optional(),
  http: httpSource.optional(),
  postgres: postgresSource.optional(),
  ssh: sshSource.optional(),
};

const RESTORE_KINDS = ['directory', 'command', 'http'] as const;

export const restoreSchema = z
  .strictObject({
    directory: text('restore.directory').describe('Restore into this folder (relative to the policy file).').optional(),
    command: text('restore.command').describe('sh -c command that receives the content on standard input.').optional(),
    timeout: duration('With command: kill it after this long; default 60s.').optional(),
    cwd: text('restore.cwd').describe("With command: working folder; default the policy file's folder.").optional(),
    http: z
      .strictObject({
        method: z.enum(['PUT', 'POST'], { error: 'method must be PUT or POST' }).describe('Default PUT.').optional(),
        url: httpUrl('restore.http.url'),
        headersEnv: headersEnv().optional(),
        timeout: duration('Give up after this long; default 30s.').optional(),
      })
      .describe('Send the content as the body of an HTTP request.')
      .optional(),
  })
  .superRefine((v, ctx) => {
    const kinds = RESTORE_KINDS.filter((k) => v[k] !== undefined);
    if (kinds.length !== 1) {
      const found = kinds.length === 0 ? 'none' : kinds.join(' and ');
      ctx.addIssue({ code: 'custom', message: `restore has exactly one of directory, command, http (found ${found})` });
    }
    for (const key of ['timeout', 'cwd'] as const) {
      if (v[key] !== undefined && v.command === undefined) {
        ctx.addIssue({ code: 'custom', path: [key], message: `${key} applies only to a command restore target` });
      }
    }
  })
  .describe('Where rollback and `restore --to-target` put this item back: exactly one of directory, command, http.');

const range = (what: string) =>
  z.string({ error: `${what} must be a version range in quotes, e.g. ">=14"` }).superRefine((value, ctx) => {
    const problem = rangeProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const itemRef = (what: string) => text(what).regex(ITEM_NAME, { error: (iss) => `"${iss.input}" is not an item name` });

export const releaseItemKeys = {
  version: z
    .strictObject({
      file: text('version.file').describe("A file whose first line is the item's version (relative to the policy)."),
    })
    .describe('Where the version of this item comes from, for requires rules (C4.5).')
    .optional(),
  requires: z
    .array(
      z.strictObject({
        item: itemRef('requires.item').describe('Another item.'),
        version: range('requires.version').describe('A semver range its version must satisfy, e.g. ">=14".').optional(),
        when: range('requires.when').describe("Only when this item's own version satisfies this range.").optional(),
      }),
    )
    .describe('Version rules checked on a deployment bundle (C4.5).')
    .optional(),
  bundleWith: z
    .array(itemRef('bundleWith entry'))
    .describe('Items restored together with this one in a rollback (C7.5).')
    .optional(),
  restore: restoreSchema.optional(),
  schedule: scheduleSchema("Overrides the tier's schedule for this item.").optional(),
  drift: z
    .strictObject({
      ignore: z
        .array(z.string().min(1))
        .describe('Dotted keys to ignore in JSON/YAML content; * matches one level.')
        .optional(),
      ignoreLines: z
        .array(
          z.string().superRefine((value, ctx) => {
            try {
              new RegExp(value);
            } catch (err) {
              ctx.addIssue({
                code: 'custom',
                message: `"${value}" is not a valid regular expression: ${(err as Error).message}`,
              });
            }
          }),
        )
        .describe('Regular expressions: matching lines are ignored in text comparison.')
        .optional(),
    })
    .describe('What drift detection ignores (C8.4).')
    .optional(),
};

export const maintenanceWindowSchema = z
  .string({ error: 'expected text like "sun 02:00-04:00 Europe/London"' })
  .superRefine((value, ctx) => {
    const parsed = parseMaintenanceWindow(value);
    if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: `maintenance window ${parsed}` });
  });

export const environmentSchema = z
  .looseObject({
    maintenanceWindows: z
      .array(maintenanceWindowSchema)
      .describe('e.g. "sun 02:00-04:00 Europe/London", "mon-fri 22:00-02:00 UTC", "daily 01:00-03:00".')
      .optional(),
    autoRollback: z.boolean().describe('Roll configuration back when a deployment fails (C7.4).').optional(),
    driftSchedule: scheduleSchema('`cairn serve` checks drift for this environment on this schedule.').optional(),
  })
  .nullable();
