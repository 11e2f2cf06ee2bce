/**
 * Maintenance windows of an environment: "sun 02:00-04:00 Europe/London", "mon-fri 22:00-02:00 UTC",
 * "daily 01:00-03:00" (timezone defaults to UTC). Times are local wall-clock times in the window's zone,
 * so a window keeps its local hours across DST changes; an end at or before the start crosses midnight
 * (the days name the day the window opens).
 */
import type { MaintenanceWindow } from './types.js';

const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const FULL_NAMES = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const DAY_WORDS: Record<string, number[]> = {
  daily: [0, 1, 2, 3, 4, 5, 6],
  weekdays: [1, 2, 3, 4, 5],
  weekends: [0, 6],
};
const TIME = /^([01]?[0-9]|2[0-4]):([0-5][0-9])$/;
const MINUTE_MS = 60_000;

export const WINDOW_HINT = 'expected "<days> HH:MM-HH:MM [timezone]", e.g. "sun 02:00-04:00 Europe/London"';

/** The window, or a message naming the part that is wrong. */
export function parseMaintenanceWindow(text: string): MaintenanceWindow | string {
  const parts = text.trim().split(/\s+/);
  if (parts.length < 2 || parts.length > 3 || parts[0] === '') return `"${text}": ${WINDOW_HINT}`;
  const [dayText, timeText, zone = 'UTC'] = parts as [string, string, string?];
  const days = parseDays(dayText.toLowerCase());
  if (typeof days === 'string') return `"${text}": ${days}`;
  const [from, to, extra] = timeText.split('-');
  if (to === undefined || extra !== undefined) return `"${text}": "${timeText}" is not a time range HH:MM-HH:MM`;
  const startMinute = minutes(from!);
  const endMinute = minutes(to);
  if (startMinute === undefined || startMinute >= 1440)
    return `"${text}": start "${from}" is not a time of day HH:MM (00:00-23:59)`;
  if (endMinute === undefined) return `"${text}": end "${to}" is not a time of day HH:MM (00:00-24:00)`;
  if (endMinute === startMinute) return `"${text}": the window "${timeText}" is empty (start equals end)`;
  if (!isTimeZone(zone))
    return `"${text}": unknown time zone "${zone}" (use an IANA name such as Europe/London, or UTC)`;
  return { text, days, startMinute, endMinute: endMinute === 1440 ? 0 : endMinute, timezone: zone };
}

function parseDays(text: string): number[] | string {
  const word = DAY_WORDS[text];
  if (word) return [...word];
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const [a, b, extra] = part.split('-');
    const from = dayIndex(a ?? '');
    const to = b === undefined ? from : dayIndex(b);
    if (extra !== undefined || from === undefined || to === undefined) {
      const bad = from === undefined ? a : b;
      return `unknown day "${extra !== undefined ? part : bad}" (use sun, mon, … sat, ranges like mon-fri, lists like mon,wed, or daily)`;
    }
    // fri-mon wraps over the weekend.
    for (let d = from; ; d = (d + 1) % 7) {
      out.add(d);
      if (d === to) break;
    }
  }
  return [...out].sort((x, y) => x - y);
}

function dayIndex(text: string): number | undefined {
  const i = DAY_NAMES.indexOf(text);
  if (i >= 0) return i;
  const j = FULL_NAMES.indexOf(text);
  return j >= 0 ? j : undefined;
}

function minutes(text: string): number | undefined {
  const m = TIME.exec(text);
  if (!m) return undefined;
  const value = Number(m[1]) * 60 + Number(m[2]);
  return value <= 1440 ? value : undefined;
}

export function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

interface Local {
  readonly year: number;
  readonly month: number; // 1-12
  readonly day: number;
  readonly weekday: number; // 0 = Sunday
  readonly minute: number; // after local midnight
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function local(at: Date | number, timeZone: string): Local {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      weekday: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  const parts: Record<string, string> = {};
  for (const p of f.formatToParts(at)) parts[p.type] = p.value;
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    weekday: DAY_NAMES.indexOf(String(parts.weekday).toLowerCase().slice(0, 3)),
    minute: Number(parts.hour) * 60 + Number(parts.minute),
  };
}

/** Is `at` inside the window (start inclusive, end exclusive, local time of the window's zone)? */
export function windowContains(window: MaintenanceWindow, at: Date): boolean {
  const { weekday, minute } = local(at, window.timezone);
  const { days, startMinute: start, endMinute: end } = window;
  if (end > start) return days.includes(weekday) && minute >= start && minute < end;
  // Crosses midnight: the evening part belongs to today, the morning part to yesterday's window.
  return (days.includes(weekday) && minute >= start) || (days.includes((weekday + 6) % 7) && minute < end);
}

/**
 * The earliest moment at or after `after` when one of the windows opens; undefined without windows.
 * A window that is already open at `after` opened in the past, so this is the next opening after it;
 * ask windowContains for "is it open now".
 */
export function nextWindowStart(windows: readonly MaintenanceWindow[], after: Date): Date | undefined {
  let best: number | undefined;
  for (const w of windows) {
    const start = nextStart(w, after.getTime());
    if (start !== undefined && (best === undefined || start < best)) best = start;
  }
  return best === undefined ? undefined : new Date(best);
}

function nextStart(w: MaintenanceWindow, after: number): number | undefined {
  const today = local(after, w.timezone);
  // Local calendar days from yesterday to 8 days ahead cover every weekday at least once after `after`.
  for (let offset = -1; offset <= 8; offset++) {
    const date = new Date(Date.UTC(today.year, today.month - 1, today.day + offset));
    if (!w.days.includes(date.getUTCDay())) continue;
    const opens = openingAt(w, date, w.startMinute);
    if (opens !== undefined && opens >= after) return opens;
  }
  return undefined;
}

/** The instant the window opens on a local date; a start inside a DST gap opens when the clock jumps. */
function openingAt(w: MaintenanceWindow, date: Date, minute: number): number | undefined {
  const wall = date.getTime() + minute * MINUTE_MS;
  const offset = (t: number) => {
    const l = local(t, w.timezone);
    return Date.UTC(l.year, l.month - 1, l.day) + l.minute * MINUTE_MS - Math.floor(t / MINUTE_MS) * MINUTE_MS;
  };
  let t = wall - offset(wall - offset(wall));
  // A wall time that occurs twice (the clock going back): the first occurrence.
  const earlier = t - 60 * MINUTE_MS;
  if (sameWall(local(earlier, w.timezone), local(t, w.timezone))) t = earlier;
  // A window lying wholly in a DST gap does not happen that day.
  if (!windowContains(w, new Date(t))) return undefined;
  const got = local(t, w.timezone);
  if (got.minute !== minute || got.day !== date.getUTCDate()) {
    // The start fell in a gap (spring forward): the window opens when the clock jumps.
    for (let step = 0; step < 180 && windowContains(w, new Date(t - MINUTE_MS)); step++) t -= MINUTE_MS;
  }
  return t;
}

function sameWall(a: Local, b: Local): boolean {
  return a.year === b.year && a.month === b.month && a.day === b.day && a.minute === b.minute;
}
