/**
 * The words every alert sink writes the same way: the event's prefix, a detail's value as text and
 * a string cut to one line. The e-mail and Slack renderings (email-sink.ts, slack-message.ts) use them.
 */
import type { AlertEvent } from './alert.js';

/** "ACK: ", "RESOLVED: ", "ESCALATED: " or "" (a trigger): the same words the e-mail subject starts with. */
export function eventPrefix(event: AlertEvent | undefined): string {
  switch (event) {
    case 'acknowledge':
      return 'ACK: ';
    case 'resolve':
      return 'RESOLVED: ';
    case 'escalate':
      return 'ESCALATED: ';
    default:
      return '';
  }
}

/** An alert detail's value as text: a string as it is, anything else as JSON (or String() when JSON cannot). */
export function detailText(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** White space folded to single spaces, cut to `max` characters with an ellipsis. */
export function oneLine(s: string, max: number): string {
  const line = s.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
