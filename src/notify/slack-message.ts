/**
 * An alert as a Slack incoming-webhook payload. `text` is the one-line fallback Slack shows in
 * notifications ("[CRITICAL] bulk-delete: …"); `blocks` carry the summary and up to ten details.
 * Slack reads `&`, `<` and `>` as markup, so every alert string is escaped.
 */
import type { Alert } from './alert.js';

export interface SlackPayload {
  readonly text: string;
  readonly blocks: readonly Record<string, unknown>[];
}

const ICON = { info: ':information_source:', warning: ':warning:', critical: ':rotating_light:' } as const;
const MAX_FIELDS = 10; // Slack's limit for a section's fields

export function slackMessage(alert: Alert): SlackPayload {
  const text = oneLine(`[${alert.severity.toUpperCase()}] ${alert.kind}: ${alert.summary}`, 300);
  const fields = Object.entries(alert.details ?? {})
    .slice(0, MAX_FIELDS)
    .map(([key, value]) => ({
      type: 'mrkdwn',
      text: `*${escapeMrkdwn(key)}*\n${escapeMrkdwn(oneLine(show(value), 200))}`,
    }));
  const blocks: Record<string, unknown>[] = [
    {
      type: 'section',
      text: { type: 'mrkdwn', text: `${ICON[alert.severity]} *${escapeMrkdwn(text)}*` },
    },
  ];
  if (fields.length > 0) blocks.push({ type: 'section', fields });
  blocks.push({
    type: 'context',
    elements: [
      { type: 'mrkdwn', text: `${escapeMrkdwn(alert.time)} · dedup ${escapeMrkdwn(oneLine(alert.dedupKey, 100))}` },
    ],
  });
  return { text: escapeMrkdwn(text), blocks };
}

function show(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function oneLine(s: string, max: number): string {
  const line = s.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

function escapeMrkdwn(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
