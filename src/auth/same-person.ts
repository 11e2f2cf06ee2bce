import { CairnError } from '../errors/index.js';
import type { AccessContext } from './context.js';
import type { Identity } from './identity.js';

/**
 * Whether `approver` must count as the requester. An API token acts for whoever created it: a
 * token the requester minted, or the requester's token minted by the approver, or two tokens minted
 * by the same person, would otherwise let one person supply "distinct" approvals.
 */
export async function samePerson(ctx: AccessContext, approver: Identity, requester: string): Promise<boolean> {
  if (approver.subject === requester) return true;
  const tokens = await ctx.store.listTokens();
  const people = (subject: string): Set<string> => {
    const name = subject.startsWith('token:') ? subject.slice('token:'.length) : undefined;
    const creators = tokens.filter((token) => token.name === name).map((token) => token.createdBy);
    return new Set([subject, ...creators]);
  };
  const mine = people(approver.subject);
  return [...people(requester)].some((subject) => mine.has(subject));
}

export async function refuseSelfApproval(
  ctx: AccessContext,
  approver: Identity,
  requester: string,
  what: string,
): Promise<void> {
  if (!(await samePerson(ctx, approver, requester))) return;
  const how =
    approver.subject === requester
      ? 'nobody approves their own request'
      : 'a token counts as the person who created it, so this would be the same person approving twice';
  throw new CairnError(
    'CAIRN_E_FORBIDDEN',
    `${approver.subject} may not approve ${what} requested by ${requester}: ${how}; ask another approver`,
    { subject: approver.subject, requestedBy: requester, reason: 'self-approval' },
  );
}
