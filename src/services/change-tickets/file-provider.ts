import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { CairnError, errnoCode } from '../../errors/index.js';
import {
  DEFAULT_APPROVED_STATES,
  DEFAULT_APPROVED_VALUES,
  type RawTicket,
  type TicketSource,
  ticketTime,
} from './types.js';

/**
 * Tickets kept in a local YAML or JSON file, `{ tickets: [{ id, state, approval, start, end }] }`: for a
 * team without a CAB system, and for tests. Read at every check, so an approval edited in is seen at once.
 */
export function fileTicketSource(path: string): TicketSource {
  return {
    name: `file ${path}`,
    approvedValues: DEFAULT_APPROVED_VALUES,
    approvedStates: DEFAULT_APPROVED_STATES,
    async fetch(id) {
      return (await readTickets(path)).find((t) => t.id === id) ?? null;
    },
  };
}

async function readTickets(path: string): Promise<RawTicket[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new CairnError(
      'CAIRN_E_CHANGE_TICKET',
      `change tickets file ${path} cannot be read (${errnoCode(err) ?? String(err)})`,
      { provider: `file ${path}` },
    );
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw bad(path, `is not YAML or JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const list = (doc as { tickets?: unknown } | null)?.tickets;
  if (!Array.isArray(list)) throw bad(path, 'has no `tickets:` list');
  return list.map((t, i) => {
    const o = (t ?? {}) as Record<string, unknown>;
    if (typeof o.id !== 'string' && typeof o.id !== 'number') throw bad(path, `tickets[${i}] has no id`);
    const start = ticketTime(o.start);
    const end = ticketTime(o.end);
    if (start === undefined) throw bad(path, `tickets[${i}].start ${JSON.stringify(o.start)} is not a time`);
    if (end === undefined) throw bad(path, `tickets[${i}].end ${JSON.stringify(o.end)} is not a time`);
    return {
      id: String(o.id),
      state: o.state === undefined || o.state === null ? null : String(o.state),
      approval: o.approval === undefined || o.approval === null ? null : String(o.approval),
      start,
      end,
    };
  });
}

function bad(path: string, what: string): CairnError {
  return new CairnError('CAIRN_E_CHANGE_TICKET', `change tickets file ${path} ${what}`, { provider: `file ${path}` });
}
