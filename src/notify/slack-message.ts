/**
 * An alert as a Slack incoming-webhook payload. `text` is the one-line fallback Slack shows in
 * notifications ("[CRITICAL] bulk-delete: …", prefixed "ACK:", "RESOLVED:" or "ESCALATED:" for
 * those events); `blocks` carry the summary, up to ten details, and the alert id, dedup key and
 * link. Slack reads `&`, `<` and `>` as markup, so every alert string is escaped.
 */
import type { Alert } from './alert.js';
import { detailText, eventPrefix, oneLine } from './alert-text.js';

export interface SlackPayload {
  readonly text: string;
  readonly blocks: readonly Record<string, unknown>[];
}

const ICON = { info: ':information_source:', warning: ':warning:', critical: ':rotating_light:' } as const;
const EVENT_ICON = { acknowledge: ':eyes:', resolve: ':white_check_mark:', escalate: ':rotating_light:' } as const;
const MAX_FIELDS = 10; // Slack's limit for a section's fields

export function slackMessage(alert: Alert): SlackPayload {
  const event = alert.event ?? 'trigger';
  const text = oneLine(`${eventPrefix(event)}[${alert.severity.toUpperCase()}] ${alert.kind}: ${alert.summary}`, 300);
  const icon = event === 'trigger' ? ICON[alert.severity] : EVENT_ICON[event];
  const fields = Object.entries(alert.details ?? {})
    .slice(0, MAX_FIELDS)
    .map(([key, value]) => ({
      type: 'mrkdwn',
      text: `*${escapeMrkdwn(key)}*\n${escapeMrkdwn(oneLine(detailText(value), 200))}`,
    }));
  const blocks: Record<string, unknown>[] = [
    {
      type: 'section',
      text: { type: 'mrkdwn', text: `${icon} *${escapeMrkdwn(text)}*` },
    },
  ];
  if (fields.length > 0) blocks.push({ type: 'section', fields });
  const context = [escapeMrkdwn(alert.time)];
  if (alert.id) context.push(`alert ${escapeMrkdwn(oneLine(alert.id, 40))}`);
  context.push(`dedup ${escapeMrkdwn(oneLine(alert.dedupKey, 100))}`);
  if (alert.url && /^https?:\/\//.test(alert.url) && !/[\s<>|]/.test(alert.url)) context.push(`<${alert.url}|open>`);
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: context.join(' · ') }] });
  return { text: escapeMrkdwn(text), blocks };
}

function escapeMrkdwn(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
