/** A ticket as a provider holds it, before Cairn decides whether it allows the action. */
export interface RawTicket {
  readonly id: string;
  readonly state: string | null;
  readonly approval: string | null;
  readonly start: string | null; // ISO, UTC
  readonly end: string | null;
}

/** A change-ticket system: one ticket by its id, or null when it has none by that id. */
export interface TicketSource {
  /** For messages and the stored state: "http https://…/change_request", "file /etc/cairn/tickets.yaml". */
  readonly name: string;
  readonly approvedValues: readonly string[];
  readonly approvedStates: readonly string[];
  fetch(id: string, signal?: AbortSignal): Promise<RawTicket | null>;
}

export const DEFAULT_APPROVED_VALUES = Object.freeze(['approved']);
export const DEFAULT_APPROVED_STATES = Object.freeze(['scheduled', 'implement']);

/** "2026-11-29 10:00:00" (ServiceNow's default, UTC) or ISO 8601 → ISO; null when empty; undefined when not a time. */
export function ticketTime(value: unknown): string | null | undefined {
  if (value === null || value === undefined || value === '') return null;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
  if (typeof value !== 'string') return undefined;
  const text = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?$/.test(value.trim())
    ? `${value.trim().replace(' ', 'T')}Z`
    : value;
  const t = Date.parse(text);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}
