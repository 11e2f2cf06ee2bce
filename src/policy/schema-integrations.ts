/** The change-ticket and webhook sections of cairn.yaml (C3.1, C3.3); strict like the rest. */
import { z } from 'zod';
import { duration, envName, httpUrl, text } from './schema-release.js';

export const TICKET_ACTIONS = ['snapshot', 'deploy', 'rollback'] as const;

const ticketFields = z
  .strictObject({
    number: z.string().min(1).optional(),
    state: z.string().min(1).optional(),
    approval: z.string().min(1).optional(),
    start: z.string().min(1).optional(),
    end: z.string().min(1).optional(),
  })
  .describe('Response field names; defaults number, state, approval, start_date, end_date.');

export const changeTicketsSchema = z
  .strictObject({
    provider: z
      .strictObject({
        http: z
          .strictObject({
            url: httpUrl('changeTickets.provider.http.url').describe('The change table URL (ServiceNow Table API).'),
            tokenEnv: envName('Bearer token.').optional(),
            userEnv: envName('Basic auth user.').optional(),
            passwordEnv: envName('Basic auth password.').optional(),
            timeout: duration('Default 15s.').optional(),
            fields: ticketFields.optional(),
            approvedValues: z
              .array(z.string())
              .describe('Values of approval that count; default [approved].')
              .optional(),
            approvedStates: z
              .array(z.string())
              .describe('Values of state that count; default [scheduled, implement].')
              .optional(),
          })
          .optional(),
        file: z
          .strictObject({ path: text('changeTickets.provider.file.path').describe('JSON or YAML file of tickets.') })
          .optional(),
      })
      .refine((v) => (v.http === undefined) !== (v.file === undefined), {
        error: 'a change-ticket provider has exactly one of http or file',
      }),
    requireFor: z
      .strictObject({
        tiers: z.array(z.union([z.string().min(1), z.number().int().min(0)])).optional(),
        environments: z.array(z.string().min(1)).optional(),
        actions: z
          .array(z.enum(TICKET_ACTIONS, { error: `expected one of ${TICKET_ACTIONS.join(', ')}` }))
          .describe('Default all: snapshot, deploy, rollback.')
          .optional(),
      })
      .optional(),
  })
  .describe('Require an approved change ticket in its window (C3.3).');

export const webhooksSchema = z
  .strictObject({
    github: z.strictObject({ secretEnv: envName('The webhook secret (X-Hub-Signature-256).') }).optional(),
    gitlab: z.strictObject({ tokenEnv: envName('The X-Gitlab-Token value.') }).optional(),
    generic: z
      .strictObject({
        secretEnv: envName('HMAC-SHA256 key over "<timestamp>.<body>".'),
        replayWindow: duration('Deliveries older than this are refused; default 5m.').optional(),
      })
      .optional(),
    environmentMap: z
      .record(z.string().min(1), z.string().min(1))
      .describe('Provider environment name → Cairn environment (default the same name).')
      .optional(),
  })
  .describe('Inbound deployment webhooks (C3.1).');
