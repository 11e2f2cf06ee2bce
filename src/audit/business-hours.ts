import type { BusinessHours } from '../policy/index.js';

const weekdays: Readonly<Record<string, number>> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };
const formats = new Map<string, Intl.DateTimeFormat>();

/** The weekday (0 = Sunday) and minutes after local midnight of an instant in an IANA timezone. */
export function localTime(at: Date, timezone: string): { readonly day: number; readonly minute: number } {
  let format = formats.get(timezone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formats.set(timezone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(at).map((p) => [p.type, p.value]));
  return { day: weekdays[parts.weekday ?? ''] ?? 0, minute: Number(parts.hour) * 60 + Number(parts.minute) };
}

/** Inside the policy's hours; a span whose start is after its end runs overnight (22:00–06:00). */
export function withinBusinessHours(at: Date, hours: BusinessHours): boolean {
  const { day, minute } = localTime(at, hours.timezone);
  if (hours.startMinute <= hours.endMinute) {
    return hours.days.includes(day) && minute >= hours.startMinute && minute < hours.endMinute;
  }
  // Overnight: the early-morning part belongs to the shift that started the day before.
  if (minute >= hours.startMinute) return hours.days.includes(day);
  return minute < hours.endMinute && hours.days.includes((day + 6) % 7);
}
