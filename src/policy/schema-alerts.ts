/**
 * `alerts.sinks` (C8.1): generic and Slack-compatible webhooks, PagerDuty Events v2 and e-mail over SMTP,
 * each with an optional `for:` list of alert categories. One strict object per entry with exactly one
 * kind, so a mistake inside a sink is reported at its own field rather than as "matches no sink kind".
 */
import { z } from 'zod';
import { envName, httpUrl } from './schema-release.js';
import { didYouMean } from './suggest.js';
import { ALERT_CATEGORIES } from './types.js';

export const SINK_KINDS = ['webhook', 'slack', 'pagerduty', 'email'] as const;

/** A plain address: local@domain, no display name, no spaces. */
const EMAIL = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+$/;

const category = z.enum(ALERT_CATEGORIES, {
  error: (iss) =>
    typeof iss.input === 'string'
      ? `unknown alert category "${iss.input}"${didYouMean(iss.input, ALERT_CATEGORIES)}; categories: ${ALERT_CATEGORIES.join(', ')}`
      : `expected an alert category: ${ALERT_CATEGORIES.join(', ')}`,
});

const forList = z
  .array(category, { error: 'for must be a list of alert categories' })
  .min(1, { error: 'for needs at least one category (leave it out for all)' })
  .describe(`The alert categories this sink receives (${ALERT_CATEGORIES.join(', ')}); default all.`)
  .optional();

const address = (what: string) =>
  z
    .string({ error: `${what} must be an e-mail address` })
    .regex(EMAIL, { error: (iss) => `${what} "${iss.input}" is not an e-mail address` });

/** smtp://host[:port] or smtps://host[:port]; credentials belong in userEnv / passwordEnv, not here. */
export function smtpUrlProblem(value: string): string | undefined {
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (!url || !['smtp:', 'smtps:'].includes(url.protocol) || url.hostname === '') {
    return `smtp "${value}" is not an smtp:// or smtps:// URL with a host, e.g. smtp://mail.internal:587`;
  }
  if (url.username !== '' || url.password !== '') {
    return 'smtp must not hold credentials: name the variables that hold them in userEnv and passwordEnv';
  }
  if (url.pathname !== '' && url.pathname !== '/') return `smtp "${value}" must not have a path`;
  return undefined;
}

const webhook = z
  .strictObject({
    url: httpUrl('webhook.url').describe('Receiver URL (or urlEnv).').optional(),
    urlEnv: envName('Environment variable holding the URL.').optional(),
    secretEnv: envName('Environment variable holding the HMAC key for X-Cairn-Signature.').optional(),
    for: forList,
  })
  .superRefine((v, ctx) => {
    if (v.url === undefined && v.urlEnv === undefined) {
      ctx.addIssue({ code: 'custom', message: 'webhook needs url or urlEnv: without one no alert can be delivered' });
    }
  })
  .describe('A generic JSON webhook.');

const slack = z
  .strictObject({
    url: httpUrl('slack.url').describe('Incoming-webhook URL (or webhookEnv).').optional(),
    webhookEnv: envName('Environment variable holding the incoming-webhook URL.').optional(),
    for: forList,
  })
  .superRefine((v, ctx) => {
    if (v.url === undefined && v.webhookEnv === undefined) {
      ctx.addIssue({ code: 'custom', message: 'slack needs url or webhookEnv: without one no alert can be delivered' });
    }
  })
  .describe('A Slack-compatible incoming webhook.');

const pagerduty = z
  .strictObject({
    routingKeyEnv: envName('Environment variable holding the Events v2 routing (integration) key.'),
    url: httpUrl('pagerduty.url')
      .describe('Events API v2 endpoint; default https://events.pagerduty.com/v2/enqueue.')
      .optional(),
    for: forList,
  })
  .describe('PagerDuty Events API v2: trigger, acknowledge and resolve by dedup key.');

const email = z
  .strictObject({
    smtp: z
      .string({ error: (iss) => (iss.input === undefined ? 'smtp is required' : 'smtp must be a URL') })
      .superRefine((value, ctx) => {
        const problem = smtpUrlProblem(value);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .describe('smtp://host[:port] (STARTTLS when offered; default port 587) or smtps://host[:port] (TLS; 465).'),
    to: z
      .array(address('to'), { error: (iss) => (iss.input === undefined ? 'to is required' : 'to must be a list') })
      .min(1, { error: 'to needs at least one address' })
      .describe('Recipients.'),
    from: address('from').describe('Sender; default cairn@<host name>.').optional(),
    userEnv: envName('Environment variable holding the SMTP user name.').optional(),
    passwordEnv: envName('Environment variable holding the SMTP password.').optional(),
    for: forList,
  })
  .superRefine((v, ctx) => {
    if ((v.userEnv === undefined) !== (v.passwordEnv === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'userEnv and passwordEnv go together: set both or neither' });
    }
  })
  .describe('E-mail over SMTP.');

export const alertSinkSchema = z
  .strictObject({
    webhook: webhook.optional(),
    slack: slack.optional(),
    pagerduty: pagerduty.optional(),
    email: email.optional(),
  })
  .superRefine((v, ctx) => {
    const kinds = SINK_KINDS.filter((k) => v[k] !== undefined);
    if (kinds.length !== 1) {
      const found = kinds.length === 0 ? 'none' : kinds.join(' and ');
      ctx.addIssue({ code: 'custom', message: `a sink has exactly one of ${SINK_KINDS.join(', ')} (found ${found})` });
    }
  })
  .describe('Where alerts go: exactly one of webhook, slack, pagerduty, email.');
