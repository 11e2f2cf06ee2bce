import type { ApprovalView } from '../../server/index.js';
import { table } from '../output.js';

/**
 * How approval requests of destructive actions read on a terminal: the answer to a request that now
 * waits (forget by id, key remove through a server), and `cairn approvals list | show`.
 */

/** A destructive request answered 202: what to do next, for whom. */
export function renderPending(approval: ApprovalView): string {
  const n = approval.required;
  return [
    `approval request ${approval.id}: ${approval.action} of ${approval.target} is ${approval.status}`,
    `it needs ${n} approval${n === 1 ? '' : 's'} from approvers other than you before ${approval.expiresAt}`,
    `approvers: cairn approvals show ${approval.id}; cairn approvals grant ${approval.id} --totp CODE`,
  ].join('\n');
}

export function renderApproval(a: ApprovalView): string {
  const rows: Array<[string, string]> = [
    ['id', a.id],
    ['action', a.action],
    ['target', a.target],
    ['status', `${a.status} (${a.votes.length} of ${a.required} approvals)`],
    ['requested by', `${a.requestedBy} at ${a.createdAt}`],
    ['reason', a.reason ?? '-'],
    ['expires', a.expiresAt],
  ];
  for (const v of a.votes) rows.push(['granted', `by ${v.approver} at ${v.time}`]);
  if (a.statusBy || a.statusAt) {
    const note = a.statusNote ? `: ${a.statusNote}` : '';
    rows.push([a.status, `${a.statusBy ? `by ${a.statusBy} ` : ''}at ${a.statusAt ?? '-'}${note}`]);
  }
  if (a.result !== null && a.result !== undefined) rows.push(['result', JSON.stringify(a.result)]);
  return rows.map(([k, v]) => `${k.padEnd(13)} ${v}`).join('\n');
}

export function renderApprovals(approvals: readonly ApprovalView[]): string {
  if (approvals.length === 0) return 'no approval requests';
  return table(
    ['ID', 'ACTION', 'TARGET', 'STATUS', 'APPROVALS', 'REQUESTED BY', 'EXPIRES'],
    approvals.map((a) => [
      a.id,
      a.action,
      a.target.length > 40 ? `${a.target.slice(0, 39)}…` : a.target,
      a.status,
      `${a.votes.length}/${a.required}`,
      a.requestedBy,
      a.expiresAt.replace('T', ' ').slice(0, 19),
    ]),
  );
}
