import { type Command, Option } from 'commander';
import { CairnError } from '../../errors/index.js';
import { formatDuration, parseDuration, ROLES } from '../../policy/index.js';
import type { ElevationStatus, ElevationView } from '../../server/index.js';
import type { Context } from '../context.js';
import { table } from '../output.js';
import { requireServer, segment } from '../remote-mode.js';
import { action } from '../run.js';

const STATUSES: readonly ElevationStatus[] = [
  'pending',
  'active',
  'denied',
  'revoked',
  'cancelled',
  'lapsed',
  'expired',
];

/**
 * Just-in-time elevation through the server: ask for a role for a while with a reason; approvers
 * approve or deny; the grant ends by itself, or earlier when revoked. docs/ACCESS.md has the rules.
 */
export function registerAccess(program: Command): void {
  const access = program
    .command('access')
    .description('just-in-time roles on the server: request, list, approve, deny, revoke, cancel');
  access
    .command('request <role>')
    .description('ask for a role for a while, with a reason; it is granted once approvers approve')
    .requiredOption('--for <duration>', 'how long the role is wanted once granted, e.g. 30m, 2h')
    .requiredOption('--reason <text>', 'why (an incident or change ticket): approvers and the audit log see it')
    .addHelpText('after', `\nRoles: ${ROLES.join(', ')}. Needs CAIRN_SERVER and CAIRN_TOKEN.`)
    .action(
      action(async (ctx, role: string, opts: { for: string; reason: string }) => {
        const remote = requireServer(ctx, 'access request');
        if (!(ROLES as readonly string[]).includes(role))
          throw new CairnError('CAIRN_E_USAGE', `${role} is not a role: the roles are ${ROLES.join(', ')}`);
        const ms = parseDuration(opts.for);
        if (ms === undefined || ms <= 0)
          throw new CairnError('CAIRN_E_USAGE', `--for ${opts.for} is not a duration: e.g. 30m, 2h`);
        const r = await remote.call<ElevationView>('POST', '/api/v1/access/requests', {
          body: { role, for: opts.for, reason: opts.reason },
        });
        return show(ctx, r, () =>
          r.status === 'pending'
            ? `\nit needs ${r.required} approval${r.required === 1 ? '' : 's'} before ${r.lapsesAt}: ` +
              `an approver runs \`cairn access approve ${r.id}\``
            : '',
        );
      }),
    );
  access
    .command('list')
    .description('requests for roles and the grants they became, newest first')
    .addOption(new Option('--status <status>', 'only those in this state').choices(STATUSES))
    .action(
      action(async (ctx, opts: { status?: ElevationStatus }) => {
        const remote = requireServer(ctx, 'access list');
        const { requests } = await remote.call<{ requests: ElevationView[] }>('GET', '/api/v1/access/requests', {
          query: { status: opts.status },
        });
        ctx.out.result({ requests }, () => renderList(requests));
        return 0;
      }),
    );
  access
    .command('approve <id>')
    .description("approve someone else's request for a role")
    .option('--totp <code>', 'a code from your authenticator, when the server asks for one')
    .action(
      action(async (ctx, id: string, opts: { totp?: string }) => {
        const remote = requireServer(ctx, 'access approve');
        const body = opts.totp ? { totp: opts.totp } : {};
        return show(ctx, await remote.call('POST', `/api/v1/access/requests/${segment(id)}/approve`, { body }));
      }),
    );
  access
    .command('deny <id>')
    .description('deny a pending request for a role')
    .option('--reason <text>', 'why, for the requester and the audit log')
    .action(
      action(async (ctx, id: string, opts: { reason?: string }) => {
        const remote = requireServer(ctx, 'access deny');
        const body = opts.reason ? { reason: opts.reason } : {};
        return show(ctx, await remote.call('POST', `/api/v1/access/requests/${segment(id)}/deny`, { body }));
      }),
    );
  access
    .command('revoke <id>')
    .description('end an active grant before its time')
    .option('--reason <text>', 'why, for the audit log')
    .action(
      action(async (ctx, id: string, opts: { reason?: string }) => {
        const remote = requireServer(ctx, 'access revoke');
        const body = opts.reason ? { reason: opts.reason } : {};
        return show(ctx, await remote.call('POST', `/api/v1/access/requests/${segment(id)}/revoke`, { body }));
      }),
    );
  access
    .command('cancel <id>')
    .description('withdraw your own pending request')
    .action(
      action(async (ctx, id: string) => {
        const remote = requireServer(ctx, 'access cancel');
        return show(ctx, await remote.call('POST', `/api/v1/access/requests/${segment(id)}/cancel`));
      }),
    );
}

function show(ctx: Context, r: ElevationView, after: () => string = () => ''): number {
  ctx.out.result(r, () => renderOne(r) + after());
  return 0;
}

function renderOne(r: ElevationView): string {
  const rows: Array<[string, string]> = [
    ['id', r.id],
    ['subject', r.subject],
    ['role', `${r.role} for ${formatDuration(r.durationMs)}`],
    ['status', `${r.status} (${r.votes.length} of ${r.required} approvals)`],
    ['reason', r.reason],
    ['requested', `${r.requestedAt}; lapses unless approved by ${r.lapsesAt}`],
  ];
  if (r.activeFrom) rows.push(['active', `${r.activeFrom} until ${r.activeUntil ?? '-'}`]);
  for (const v of r.votes) rows.push(['approved', `by ${v.approver} at ${v.time}`]);
  if (r.statusBy || r.statusAt) {
    const note = r.statusNote ? `: ${r.statusNote}` : '';
    rows.push([r.status, `${r.statusBy ? `by ${r.statusBy} ` : ''}at ${r.statusAt ?? '-'}${note}`]);
  }
  return rows.map(([k, v]) => `${k.padEnd(10)} ${v}`).join('\n');
}

function renderList(requests: readonly ElevationView[]): string {
  if (requests.length === 0) return 'no requests';
  const time = (t: string | null) => (t ? t.replace('T', ' ').slice(0, 16) : '-');
  return table(
    ['ID', 'SUBJECT', 'ROLE', 'FOR', 'STATUS', 'APPROVALS', 'REQUESTED', 'ACTIVE UNTIL', 'REASON'],
    requests.map((r) => [
      r.id,
      r.subject,
      r.role,
      formatDuration(r.durationMs),
      r.status,
      `${r.votes.length}/${r.required}`,
      time(r.requestedAt),
      time(r.activeUntil),
      r.reason.length > 40 ? `${r.reason.slice(0, 39)}…` : r.reason,
    ]),
  );
}
