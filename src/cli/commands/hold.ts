import type { Command } from 'commander';
import type { ApprovalView } from '../../server/index.js';
import {
  addHold,
  type HoldRecord,
  type HoldResult,
  type ReleaseResult,
  readHolds,
  refuseLocalRelease,
  removeHold,
  resolveSnapshot,
} from '../../services/index.js';
import { table } from '../output.js';
import { segment } from '../remote-mode.js';
import { action } from '../run.js';
import { renderPending } from './approval-view.js';

export function registerHold(program: Command): void {
  const hold = program
    .command('hold')
    .description('legal holds: keep a snapshot and everything it needs, whatever its retention date')
    .addHelpText(
      'after',
      '\nA legal hold is set on the snapshot object and every pack its tree needs (S3: Object Lock legal hold),\n' +
        'and recorded in the repository as holds/<snapshot id>, so `catalog rebuild` keeps it. While held, a\n' +
        'snapshot cannot be forgotten and prune deletes none of its packs. `cairn check --locks` verifies the holds.\n' +
        'Through a server (CAIRN_SERVER), `hold remove` becomes an approval request: the command prints its id,\n' +
        "and the server lifts the hold once approvers have granted it. Where the snapshot's tier has\n" +
        '`deleteApprovals`, a local `hold remove` is refused: it must go through the server.',
    );
  hold
    .command('add <snapshot>')
    .description('set a legal hold on a snapshot (id or unique prefix) and every object it needs')
    .option('--reason <text>', 'why (a case or ticket number), recorded with the hold')
    .action(
      action(async (ctx, id: string, opts: { reason?: string }) => {
        const remote = ctx.remote();
        if (remote) {
          const body = { snapshot: id, ...(opts.reason ? { reason: opts.reason } : {}) };
          const r = await remote.call<HoldResult>('POST', '/api/v1/holds', { body });
          ctx.out.result(r, () => renderAdded(r));
          return 0;
        }
        const session = await ctx.session();
        try {
          const s = await resolveSnapshot(session.catalog, { id });
          const r = await addHold(session.repo, session.catalog, s.id, {
            reason: opts.reason,
            actor: ctx.identity.subject,
          });
          ctx.out.result(r, () => renderAdded(r));
          return 0;
        } finally {
          await session.close();
        }
      }),
    );
  hold
    .command('remove <snapshot>')
    .description("lift a snapshot's legal hold (objects another held snapshot needs stay held)")
    .option('--reason <text>', 'with CAIRN_SERVER: why the hold may be lifted, for its approvers')
    .action(
      action(async (ctx, id: string, opts: { reason?: string }) => {
        const remote = ctx.remote();
        if (remote) {
          const body = opts.reason ? { reason: opts.reason } : {};
          const answer = await remote.call<{ approval: ApprovalView }>('DELETE', `/api/v1/holds/${segment(id)}`, {
            body,
          });
          ctx.out.result(answer, () => renderPending(answer.approval));
          return 0;
        }
        const session = await ctx.session();
        try {
          const s = await resolveSnapshot(session.catalog, { id });
          refuseLocalRelease(await ctx.policyIfAny(), s);
          const r = await removeHold(session.repo, s.id);
          ctx.out.result(r, () => renderReleased(r));
          return 0;
        } finally {
          await session.close();
        }
      }),
    );
  hold
    .command('list')
    .description('the legal holds recorded in the repository')
    .action(
      action(async (ctx) => {
        const remote = ctx.remote();
        if (remote) {
          const { holds } = await remote.call<{ holds: HoldRecord[] }>('GET', '/api/v1/holds');
          ctx.out.result({ holds }, () => renderHolds(holds));
          return 0;
        }
        const session = await ctx.session();
        try {
          const holds = [...(await readHolds(session.repo)).values()].sort((a, b) => (a.time < b.time ? -1 : 1));
          ctx.out.result({ holds }, () => renderHolds(holds));
          return 0;
        } finally {
          await session.close();
        }
      }),
    );
}

function renderAdded(r: HoldResult): string {
  const what = `snapshot ${r.hold.snapshot.slice(0, 12)} (${r.hold.item})`;
  return r.alreadyHeld
    ? `${what} was held already (since ${r.hold.time}); hold set again on ${r.objects} objects`
    : `legal hold set on ${what}: ${r.objects} objects`;
}

function renderReleased(r: ReleaseResult): string {
  return (
    `legal hold lifted from snapshot ${r.hold.snapshot.slice(0, 12)} (${r.hold.item}): ${r.released} objects released` +
    (r.stillHeld ? `, ${r.stillHeld} still held for other snapshots` : '')
  );
}

function renderHolds(holds: readonly HoldRecord[]): string {
  if (holds.length === 0) return 'no legal holds';
  return table(
    ['SNAPSHOT', 'ITEM', 'SINCE', 'BY', 'REASON'],
    holds.map((h) => [h.snapshot.slice(0, 12), h.item, h.time.replace('T', ' ').slice(0, 19), h.actor, h.reason ?? '']),
  );
}
