import { type Command, Option } from 'commander';
import type { SnapshotFilter, SnapshotHit, SnapshotRecord, Trigger, VerificationRecord } from '../../catalog/index.js';
import { CairnError } from '../../errors/index.js';
import { type HoldRecord, readHolds, resolveSnapshot, searchFilter, TRIGGERS } from '../../services/index.js';
import { fmtBytes, table } from '../output.js';
import { segment } from '../remote-mode.js';
import { action, collect } from '../run.js';

interface SearchOptions {
  item?: string[];
  env?: string;
  tier?: string;
  release?: string;
  commit?: string;
  change?: string;
  deployment?: string;
  trigger?: Trigger;
  actor?: string;
  since?: string;
  until?: string;
  limit?: string;
}

export function registerSnapshots(program: Command): void {
  program
    .command('snapshots')
    .description('search the catalog of snapshots (newest first)')
    .option('--item <name>', 'of this item (repeatable)', collect)
    .option('--env <env>', 'of this environment')
    .option('--tier <tier>', 'of this tier')
    .option('--release <version>', 'taken or verified under this release')
    .option('--commit <sha>', 'taken or verified at this commit (prefix)')
    .option('--change <id>', 'under this change ticket')
    .option('--deployment <id>', 'of this deployment')
    .addOption(new Option('--trigger <trigger>', 'taken for this reason').choices(TRIGGERS))
    .option('--actor <who>', 'taken by this identity')
    .option('--since <time>', 'taken at or after (ISO 8601 date or time)')
    .option('--until <time>', 'taken at or before (ISO 8601 date or time)')
    .option('--limit <n>', 'at most this many')
    .action(
      action(async (ctx, opts: SearchOptions) => {
        const filter: SnapshotFilter = searchFilter(
          { ...opts, limit: opts.limit ? parseLimit(opts.limit) : undefined },
          (field) => `--${field}`,
        );
        const remote = ctx.remote();
        if (remote) {
          // Checked here (above) for the CLI's messages; sent as given, the server reads them the same way.
          const { item, env, tier, release, commit, change, deployment, trigger, actor, since, until, limit } = opts;
          const query = { item, env, tier, release, commit, change, deployment, trigger, actor, since, until, limit };
          const { snapshots: hits } = await remote.call<{ snapshots: SnapshotHit[] }>('GET', '/api/v1/snapshots', {
            query,
          });
          ctx.out.result({ snapshots: hits }, () => render(hits));
          return 0;
        }
        const session = await ctx.session();
        try {
          const holds = await readHolds(session.repo);
          // Held ones are marked (`cairn hold`): the holds live in the repository, not the catalog.
          const hits = (await session.catalog.findSnapshots(filter)).map((h) =>
            holds.has(h.id) ? { ...h, held: true } : h,
          );
          ctx.out.result({ snapshots: hits }, () => render(hits));
          return 0;
        } finally {
          await session.close();
        }
      }),
    );

  program
    .command('show <id>')
    .description('a snapshot with all its metadata and the verifications that found it unchanged')
    .action(
      action(async (ctx, id: string) => {
        const remote = ctx.remote();
        if (remote) {
          const shown = await remote.call<Shown>('GET', `/api/v1/snapshots/${segment(id)}`);
          ctx.out.result(shown, () => renderShown(shown));
          return 0;
        }
        const session = await ctx.session();
        try {
          const s = await resolveSnapshot(session.catalog, { id });
          const verifications = await session.catalog.verificationsOf(s.id);
          const hold = (await readHolds(session.repo)).get(s.id);
          const shown: Shown = { ...s, verifications, ...(hold ? { hold } : {}) };
          ctx.out.result(shown, () => renderShown(shown));
          return 0;
        } finally {
          await session.close();
        }
      }),
    );
}

type Shown = SnapshotRecord & {
  readonly verifications: readonly VerificationRecord[];
  readonly hold?: HoldRecord;
};

function renderShown(shown: Shown): string {
  const { verifications, hold, ...s } = shown;
  const rows: Array<[string, string]> = [
    ['id', s.id],
    ['item', s.item],
    ['environment', s.environment ?? '-'],
    ['tier', s.tier ?? '-'],
    ['component', s.component ?? '-'],
    ['time', s.time],
    ['trigger', s.trigger],
    ['release', s.release ?? '-'],
    ['commit', s.commit ?? '-'],
    ['change', s.change ?? '-'],
    ['deployment', s.deployment ?? '-'],
    ['pipeline', s.pipeline ?? '-'],
    ['actor', `${s.actor} on ${s.host}`],
    ['status', s.status],
    ['files', `${s.files} (${fmtBytes(s.bytes)}; added ${fmtBytes(s.addedBytes)})`],
    ['parent', s.parent ?? '-'],
    ['tree', s.tree],
    ['retain until', s.retainUntil ?? '-'],
    ...(hold
      ? [
          ['legal hold', `since ${hold.time} by ${hold.actor}${hold.reason ? ` (${hold.reason})` : ''}`] as [
            string,
            string,
          ],
        ]
      : []),
  ];
  const lines = rows.map(([k, v]) => `${k.padEnd(13)} ${v}`);
  for (const u of s.unreadable) lines.push(`unreadable    ${u}`);
  for (const v of verifications) {
    lines.push(
      `verified      ${v.time} by ${v.actor} (${v.trigger}${v.release ? `, release ${v.release}` : ''}${v.change ? `, change ${v.change}` : ''})`,
    );
  }
  return lines.join('\n');
}

function render(hits: readonly SnapshotHit[]): string {
  if (hits.length === 0) return 'no snapshots match';
  return table(
    ['ID', 'TIME', 'ITEM', 'ENV', 'TRIGGER', 'RELEASE', 'CHANGE', 'STATUS', 'FILES', 'SIZE', 'VERIFIED'],
    hits.map((h) => [
      h.id.slice(0, 12),
      h.time.replace('T', ' ').slice(0, 19),
      h.item,
      h.environment ?? '-',
      h.trigger,
      h.release ?? '-',
      h.change ?? '-',
      h.status,
      String(h.files),
      fmtBytes(h.bytes),
      h.verifications[0]?.time.replace('T', ' ').slice(0, 19) ?? '',
    ]),
  );
}

export function parseLimit(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new CairnError('CAIRN_E_USAGE', `--limit ${value} is not a positive whole number`);
  return n;
}
