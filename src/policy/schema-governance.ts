/**
 * The governance and access sections of cairn.yaml (C6; alert sinks are in schema-alerts.ts), strict
 * like the core sections: a typo in an audit or access rule must not silently weaken it.
 */
import { z } from 'zod';
import { DURATION_HINT, DURATION_PATTERN, parseDuration } from './durations.js';
import { ROLES } from './types.js';

const dur = (description: string) =>
  z
    .string({ error: `expected a duration: ${DURATION_HINT}` })
    .regex(new RegExp(DURATION_PATTERN), {
      error: (iss) => `"${String(iss.input)}" is not a duration: ${DURATION_HINT}`,
    })
    .refine((v) => parseDuration(v) !== undefined, { error: 'duration is too large' })
    .describe(description);
const positive = (description: string) =>
  z
    .number({ error: 'expected a whole number' })
    .int({ error: 'expected a whole number' })
    .min(1, { error: 'must be at least 1' })
    .describe(description);
const role = z.enum(ROLES, { error: `expected a role: ${ROLES.join(', ')}` });
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'expected an environment variable name' });

const syslogSink = z.strictObject({
  syslog: z.strictObject({
    url: z
      .string()
      .regex(/^tcp(\+tls)?:\/\/[^/:]+:[0-9]{1,5}$/, { error: 'expected tcp://host:port or tcp+tls://host:port' })
      .describe('Syslog receiver; tcp+tls:// for TLS.'),
    format: z.enum(['rfc5424', 'cef'], { error: 'format must be rfc5424 or cef' }).optional(),
    caFile: z.string().min(1).describe('CA certificate that signs the receiver, for tcp+tls.').optional(),
  }),
});
const httpSink = z.strictObject({
  http: z.strictObject({
    url: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).describe('Splunk HEC collector URL.'),
    tokenEnv: envName.describe('Environment variable holding the HEC token.').optional(),
  }),
});

const window = (what: string) =>
  z.strictObject({ count: positive(`${what} that raise the alert`), within: dur('Sliding window.') });

export const auditSchema = z
  .strictObject({
    retention: dur('Audit log retention; must exceed every retention class and lock (C6.6).').optional(),
    checkpointEvery: z
      .strictObject({
        events: positive('A signed checkpoint after this many events.').optional(),
        minutes: positive('… or this many minutes, even when idle (at most 60).')
          .max(60, {
            error: 'at most 60: a checkpoint is written at least once an hour',
          })
          .optional(),
      })
      .optional(),
    siem: z
      .array(z.union([syslogSink, httpSink], { error: 'expected { syslog: {url} } or { http: {url} }' }))
      .describe('Where audit events are forwarded (C6.4).')
      .optional(),
    anomalies: z
      .strictObject({
        bulkDelete: window('Deletions').optional(),
        authFailures: window('Authentication failures').optional(),
      })
      .optional(),
  })
  .describe('The audit log (C6.3, C6.4, C6.6).');

const HOURS = /^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-4]):[0-5][0-9]$/;
const DAYS =
  /^(mon|tue|wed|thu|fri|sat|sun)(-(mon|tue|wed|thu|fri|sat|sun))?(,(mon|tue|wed|thu|fri|sat|sun)(-(mon|tue|wed|thu|fri|sat|sun))?)*$/;

export const businessHoursSchema = z
  .strictObject({
    timezone: z
      .string()
      .refine(isTimeZone, { error: (iss) => `unknown time zone ${JSON.stringify(iss.input)} (use an IANA name)` }),
    days: z.string().regex(DAYS, { error: 'expected days like mon-fri or mon,wed,fri' }).optional(),
    hours: z.string().regex(HOURS, { error: 'expected hours like "08:00-18:00"' }),
  })
  .describe('Working hours; restores outside them are flagged (C6.3).');

export const accessSchema = z
  .strictObject({
    separationOfDuties: z
      .array(z.array(role).length(2, { error: 'expected a pair of roles, e.g. [operator, auditor]' }))
      .describe('Pairs of roles one identity may not hold together (C6.2).')
      .optional(),
    jit: z
      .strictObject({
        maxDuration: dur('Longest just-in-time grant.').optional(),
        approvers: positive('Approvals a grant needs.').optional(),
      })
      .optional(),
    oidc: z
      .strictObject({
        issuer: z.string().min(1).describe("The identity provider, exactly as in its tokens' iss claim."),
        audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).describe('Expected aud claim.'),
        jwksUrl: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).describe("The provider's JWKS."),
        roleClaim: z
          .string()
          .min(1)
          .describe('Dot path of the claim holding roles or groups (default roles).')
          .optional(),
        subjectClaim: z.string().min(1).describe('Dot path of the claim naming the person (default sub).').optional(),
        roleMap: z
          .record(z.string(), z.array(role))
          .describe('Claim value → Cairn roles; without it, values that are role names are taken as they are.')
          .optional(),
      })
      .describe('Accept OIDC bearer tokens (C6.1).')
      .optional(),
    approvals: z
      .strictObject({
        expireAfter: dur('An approval request not completed in this time expires.').optional(),
        approvers: positive('Approvers a destructive action needs where its tier sets none.').optional(),
      })
      .optional(),
    teams: z
      .record(
        z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { error: 'team names are letters, digits, ".", "_", "-"' }),
        z
          .array(z.string().min(1, { error: 'a team member must not be empty' }), {
            error: 'a team is a list of identities (token or OIDC subjects)',
          })
          .min(1, { error: 'a team needs at least one member: nobody could sign for it' }),
      )
      .describe('Sign-off teams (C5.6): team name → the identities (token / OIDC subjects) that sign for it.')
      .optional(),
  })
  .describe('Access control (C6.1, C6.2, C6.5, C5.6).');

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}
