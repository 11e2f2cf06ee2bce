import type { Command } from 'commander';
import { addHold, type HoldRecord, readHolds, removeHold, resolveSnapshot } from '../../services/index.js';
import { table } from '../output.js';
import { refuseRemote } from '../remote-mode.js';
import { action } from '../run.js';

export function registerHold(program: Command): void {
  const hold = program
    .command('hold')
    .description('legal holds: keep a snapshot and everything it needs, whatever its retention date')
    .addHelpText(
      'after',
      '\nA legal hold is set on the snapshot object and every pack its tree needs (S3: Object Lock legal hold),\n' +
        'and recorded in the repository as holds/<snapshot id>, so `catalog rebuild` keeps it. While held, a\n' +
        'snapshot cannot be forgotten and prune deletes none of its packs. `cairn check --locks` verifies the holds.',
    );
  hold
    .command('add <snapshot>')
    .description('set a legal hold on a snapshot (id or unique prefix) and every object it needs')
    .option('--reason <text>', 'why (a case or ticket number), recorded with the hold')
    .action(
      action(async (ctx, id: string, opts: { reason?: string }) => {
        refuseRemote(ctx, 'hold add');
        const session = await ctx.session();
        try {
          const s = await resolveSnapshot(session.catalog, { id });
          const r = await addHold(session.repo, session.catalog, s.id, {
            reason: opts.reason,
            actor: ctx.identity.subject,
          });
          ctx.out.result(r, () =>
            r.alreadyHeld
              ? `snapshot ${s.id.slice(0, 12)} (${s.item}) was held already (since ${r.hold.time}); hold set again on ${r.objects} objects`
              : `legal hold set on snapshot ${s.id.slice(0, 12)} (${s.item}): ${r.objects} objects`,
          );
          return 0;
        } finally {
          await session.close();
        }
      }),
    );
  hold
    .command('remove <snapshot>')
    .description("lift a snapshot's legal hold (objects another held snapshot needs stay held)")
    .action(
      action(async (ctx, id: string) => {
        refuseRemote(ctx, 'hold remove');
        const session = await ctx.session();
        try {
          const s = await resolveSnapshot(session.catalog, { id });
          const r = await removeHold(session.repo, s.id);
          ctx.out.result(
            r,
            () =>
              `legal hold lifted from snapshot ${s.id.slice(0, 12)} (${s.item}): ${r.released} objects released` +
              (r.stillHeld ? `, ${r.stillHeld} still held for other snapshots` : ''),
          );
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
        refuseRemote(ctx, 'hold list');
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

function renderHolds(holds: readonly HoldRecord[]): string {
  if (holds.length === 0) return 'no legal holds';
  return table(
    ['SNAPSHOT', 'ITEM', 'SINCE', 'BY', 'REASON'],
    holds.map((h) => [h.snapshot.slice(0, 12), h.item, h.time.replace('T', ' ').slice(0, 19), h.actor, h.reason ?? '']),
  );
}
