import type { TicketState } from '../../catalog/index.js';
import { CairnError } from '../../errors/index.js';
import type { Policy, TicketAction, TicketProvider } from '../../policy/index.js';
import { fileTicketSource } from './file-provider.js';
import { httpTicketSource } from './http-provider.js';
import type { TicketSource } from './types.js';

type Env = Readonly<Record<string, string | undefined>>;

/** What a change ticket id may be: no query operators (ServiceNow's `^`, `^OR`, `^NQ`, `=`) can pass. */
export const CHANGE_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

export interface TicketCheck {
  readonly action: TicketAction;
  /** The tiers of the items the action touches. */
  readonly tiers: readonly string[];
  readonly environment?: string | undefined;
  /** The change ticket id given (--change, CAIRN_CHANGE_ID, the run's metadata). */
  readonly change: string | null;
  readonly now: Date;
  readonly env?: Env;
  readonly signal?: AbortSignal;
}

export function ticketSource(provider: TicketProvider, env: Env = process.env): TicketSource {
  return provider.kind === 'http' ? httpTicketSource(provider, env) : fileTicketSource(provider.path);
}

/** Whether the policy's `changeTickets.requireFor` covers this action on these tiers or this environment. */
export function ticketRequired(policy: Policy, check: Pick<TicketCheck, 'action' | 'tiers' | 'environment'>): boolean {
  const rule = policy.changeTickets?.requireFor;
  if (!rule?.actions.includes(check.action)) return false;
  return (
    check.tiers.some((t) => rule.tiers.includes(t)) ||
    (check.environment !== undefined && rule.environments.includes(check.environment))
  );
}

/**
 * The change-ticket gate (C3.3): null when the policy does not require a ticket for this action; else the
 * ticket's state, when it is approved and its window covers now. A ticket missing, unapproved, outside
 * its window, or a provider that cannot be asked → CAIRN_E_CHANGE_TICKET with what was found.
 */
export async function checkChangeTicket(policy: Policy, check: TicketCheck): Promise<TicketState | null> {
  const tickets = policy.changeTickets;
  if (!tickets || !ticketRequired(policy, check)) return null;
  const scope = describeScope(check);
  const now = check.now.toISOString();
  if (!check.change) {
    throw new CairnError(
      'CAIRN_E_CHANGE_TICKET',
      `${scope} needs an approved change ticket (policy changeTickets.requireFor in ${policy.file}); ` +
        'pass --change ID or set CAIRN_CHANGE_ID',
      { action: check.action, environment: check.environment ?? null, now },
    );
  }
  if (!CHANGE_ID.test(check.change)) {
    throw new CairnError(
      'CAIRN_E_USAGE',
      `${scope}: change ticket id ${JSON.stringify(check.change.slice(0, 200))} is not a ticket id ` +
        '(1–128 letters, digits and . _ : -)',
      { action: check.action, ticket: check.change.slice(0, 200) },
    );
  }
  const source = ticketSource(tickets.provider, check.env);
  const found = await source.fetch(check.change, check.signal);
  if (!found) {
    throw new CairnError(
      'CAIRN_E_CHANGE_TICKET',
      `${scope}: change ticket ${check.change} was not found in ${source.name}`,
      { ticket: check.change, provider: source.name, found: null, now },
    );
  }
  const approved = matches(found.approval, source.approvedValues) && matches(found.state, source.approvedStates);
  const inWindow = found.start !== null && found.end !== null && found.start <= now && now < found.end;
  const state: TicketState = {
    id: found.id,
    provider: source.name,
    state: found.state,
    approval: found.approval,
    start: found.start,
    end: found.end,
    approved,
    inWindow,
    checkedAt: now,
  };
  const window = `${found.start ?? '?'} – ${found.end ?? '?'}`;
  if (!approved) {
    throw new CairnError(
      'CAIRN_E_CHANGE_TICKET',
      `${scope}: change ticket ${found.id} is not approved (state ${found.state ?? 'none'}, approval ` +
        `${found.approval ?? 'none'}; needs approval ${source.approvedValues.join('|')} and state ` +
        `${source.approvedStates.join('|')})`,
      { ticket: state, now },
    );
  }
  if (!inWindow) {
    throw new CairnError(
      'CAIRN_E_CHANGE_TICKET',
      `${scope}: change ticket ${found.id} is approved but its window ${window} does not cover now (${now})`,
      { ticket: state, now },
    );
  }
  return state;
}

function matches(value: string | null, allowed: readonly string[]): boolean {
  return value !== null && allowed.some((a) => a.toLowerCase() === value.toLowerCase());
}

function describeScope(check: Pick<TicketCheck, 'action' | 'tiers' | 'environment'>): string {
  const where = check.environment ? ` in ${check.environment}` : '';
  const tiers = check.tiers.length > 0 ? ` (tier ${[...new Set(check.tiers)].join(', ')})` : '';
  return `${check.action}${where}${tiers}`;
}
