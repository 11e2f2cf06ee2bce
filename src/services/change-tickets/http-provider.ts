import { CairnError } from '../../errors/index.js';
import type { TicketProvider } from '../../policy/index.js';
import { redactUrl } from '../../sources/index.js';
import { type RawTicket, type TicketSource, ticketTime } from './types.js';

type HttpProvider = Extract<TicketProvider, { kind: 'http' }>;
type Env = Readonly<Record<string, string | undefined>>;

/** ServiceNow's change_request state codes, as the Table API returns them without display values. */
const SERVICENOW_STATES: Readonly<Record<string, string>> = {
  '-5': 'new',
  '-4': 'assess',
  '-3': 'authorize',
  '-2': 'scheduled',
  '-1': 'implement',
  '0': 'review',
  '3': 'closed',
  '4': 'canceled',
};

/**
 * A ServiceNow-shaped Table API: GET <url>?sysparm_query=<number>=<id>&sysparm_limit=1&sysparm_fields=…
 * answering { result: [ { number, state, approval, start_date, end_date } ] }, field names as mapped in
 * the policy. Credentials come from the environment (bearer token, or basic user and password).
 */
export function httpTicketSource(provider: HttpProvider, env: Env = process.env): TicketSource {
  const f = provider.fields;
  const shown = redactUrl(provider.url);
  return {
    name: `http ${shown}`,
    approvedValues: provider.approvedValues,
    approvedStates: provider.approvedStates,
    async fetch(id, signal) {
      const url = new URL(provider.url);
      url.searchParams.set('sysparm_query', `${f.number}=${id}`);
      url.searchParams.set('sysparm_limit', '1');
      url.searchParams.set('sysparm_fields', [f.number, f.state, f.approval, f.start, f.end].join(','));
      const where = { provider: `http ${shown}`, ticket: id, url: shown };
      let res: Response;
      try {
        const timeout = AbortSignal.timeout(provider.timeoutMs);
        res = await fetch(url, {
          headers: { Accept: 'application/json', ...authorization(provider, env) },
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        });
      } catch (err) {
        const why =
          err instanceof Error && err.name === 'TimeoutError'
            ? `no answer within ${provider.timeoutMs} ms`
            : causeOf(err).split(url.href).join(redactUrl(url.href)).split(provider.url).join(shown);
        throw new CairnError('CAIRN_E_CHANGE_TICKET', `change ticket ${id}: ${shown} is unreachable (${why})`, where);
      }
      if (!res.ok) {
        const hint =
          res.status === 401 || res.status === 403 ? ' (check the credentials in the variables the policy names)' : '';
        await res.body?.cancel();
        throw new CairnError(
          'CAIRN_E_CHANGE_TICKET',
          `change ticket ${id}: ${shown} answered HTTP ${res.status}${hint}`,
          { ...where, status: res.status },
        );
      }
      let body: unknown;
      try {
        body = await res.json();
      } catch {
        throw new CairnError('CAIRN_E_CHANGE_TICKET', `change ticket ${id}: ${shown} did not answer JSON`, where);
      }
      const result = (body as { result?: unknown } | null)?.result;
      if (!Array.isArray(result)) {
        throw new CairnError(
          'CAIRN_E_CHANGE_TICKET',
          `change ticket ${id}: ${shown} answered without a \`result\` list`,
          where,
        );
      }
      const row = result[0] as Record<string, unknown> | undefined;
      if (!row) return null;
      const ticket = toTicket(id, row, f, shown);
      // Only the ticket asked for counts: a provider that matched something else (a query it read
      // differently) must not lend another ticket's approval.
      if (ticket.id !== id) {
        throw new CairnError(
          'CAIRN_E_CHANGE_TICKET',
          `change ticket ${id}: ${shown} answered ticket ${JSON.stringify(ticket.id)}, not ${id}; refused`,
          { ...where, answered: ticket.id },
        );
      }
      return ticket;
    },
  };
}

function toTicket(id: string, row: Record<string, unknown>, f: HttpProvider['fields'], url: string): RawTicket {
  const text = (name: string): string | null => {
    const v = row[name];
    const value = v !== null && typeof v === 'object' ? (v as { value?: unknown }).value : v;
    return value === undefined || value === null || value === '' ? null : String(value);
  };
  const time = (name: string): string | null => {
    const t = ticketTime(text(name));
    if (t === undefined) {
      throw new CairnError(
        'CAIRN_E_CHANGE_TICKET',
        `change ticket ${id}: field ${name} ${JSON.stringify(text(name))} from ${url} is not a time`,
        { ticket: id, url },
      );
    }
    return t;
  };
  const state = text(f.state);
  return {
    id: text(f.number) ?? '',
    state: state === null ? null : (SERVICENOW_STATES[state] ?? state),
    approval: text(f.approval),
    start: time(f.start),
    end: time(f.end),
  };
}

function authorization(provider: HttpProvider, env: Env): Record<string, string> {
  if (provider.tokenEnv) {
    const token = env[provider.tokenEnv];
    if (!token) throw missingCredential(provider.tokenEnv, redactUrl(provider.url));
    return { Authorization: `Bearer ${token}` };
  }
  if (provider.userEnv && provider.passwordEnv) {
    const user = env[provider.userEnv];
    const password = env[provider.passwordEnv];
    if (!user) throw missingCredential(provider.userEnv, redactUrl(provider.url));
    if (password === undefined) throw missingCredential(provider.passwordEnv, redactUrl(provider.url));
    return { Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
  }
  return {};
}

function missingCredential(name: string, url: string): CairnError {
  return new CairnError('CAIRN_E_CHANGE_TICKET', `the change ticket provider ${url} needs $${name}, which is not set`, {
    variable: name,
    url,
  });
}

function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } } | null)?.cause;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}
