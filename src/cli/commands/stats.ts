import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { type GroupStats, parsePeriod, repositoryStats, type StatsReport } from '../../services/index.js';
import { fmtBytes } from '../output.js';
import { action, collect } from '../run.js';

interface StatsOptions {
  projection: string;
  window: string;
  item?: string[];
  tier?: string;
}

export function registerStats(program: Command): void {
  program
    .command('stats')
    .description('sizing: logical and stored size per item and tier, churn per day, projected stored size')
    .option('--projection <period>', 'how far ahead to project: d, w, m (months) or y, e.g. 90d, 12m, 2y', '12m')
    .option('--window <period>', 'how far back churn is measured (same units)', '30d')
    .option('--item <name>', 'only this item (repeatable)', collect)
    .option('--tier <name>', 'only the items of this tier')
    .addHelpText(
      'after',
      '\nLogical size is what the files weigh: the newest snapshot, and summed over every retained snapshot.\n' +
        'Stored size is what the packs hold after dedup, compression and encryption: UNIQUE is needed by this\n' +
        'item (or group) alone, SHARED together with other items; the pack line adds up to the packs on storage.\n' +
        "Churn is the stored bytes added per day by snapshots in the window (an item's first snapshot left out).\n" +
        'The projection adds churn for as long as the tier keeps data (lock, retention class, keep rules);\n' +
        'docs/STATS.md states the model, and --json shows every input. Exit 2 for an unknown item or tier.\n' +
        'With CAIRN_SERVER, the server works it out under its own policy (needs stats.read).',
    )
    .action(
      action(async (ctx, opts: StatsOptions) => {
        const projection = parsePeriod(opts.projection, '--projection');
        const window = parsePeriod(opts.window, '--window');
        const remote = ctx.remote();
        if (remote) {
          const query = { projection: projection.text, window: window.text, item: opts.item, tier: opts.tier };
          const report = await remote.call<StatsReport>('GET', '/api/v1/stats', { query });
          ctx.out.result(report, () => render(report));
          return 0;
        }
        const policy = existsSync(ctx.configFile) ? (await ctx.policy()).policy : undefined;
        if (!policy) ctx.out.warn(`no policy at ${ctx.configFile}: the projection assumes nothing is ever forgotten`);
        const session = await ctx.session();
        const progress = ctx.out.progress();
        try {
          const report = await repositoryStats(
            session.repo,
            session.catalog,
            { policy, items: opts.item, tier: opts.tier, projection, window },
            progress,
          );
          progress.done();
          ctx.out.result(report, () => render(report));
          return 0;
        } finally {
          progress.done();
          await session.close();
        }
      }),
    );
}

function render(r: StatsReport): string {
  const bytes = (n: number) => fmtBytes(Math.round(n));
  const row = (name: string, tier: string, g: GroupStats) => [
    name,
    tier,
    String(g.snapshots),
    bytes(g.logical.latest),
    bytes(g.logical.retained),
    bytes(g.stored.unique),
    bytes(g.stored.shared),
    bytes(g.churn.bytesPerDay),
    g.churn.snapshotsPerDay.toFixed(2),
    bytes(g.projection.storedBytes),
  ];
  const header = [
    'ITEM',
    'TIER',
    'SNAPSHOTS',
    'LATEST',
    'ALL SNAPSHOTS',
    'STORED UNIQUE',
    'SHARED',
    'CHURN/DAY',
    'SNAPSHOTS/DAY',
    `IN ${r.projection.period}`,
  ];
  const rows: Array<string[] | 'rule'> = [];
  if (r.items.length > 0) rows.push(...r.items.map((i) => row(i.item, i.tier ?? '-', i)), 'rule');
  if (r.tiers.length > 0) {
    rows.push(...r.tiers.map((t) => row(`tier ${t.tier ?? '(none)'}`, `${t.items.length} items`, t)), 'rule');
  }
  rows.push(row('total', `${r.total.items} items`, r.total));
  const p = r.repository;
  return [
    aligned(header, rows),
    '',
    `logical: file sizes of the newest snapshot (LATEST) and of all retained ones; churn over the last ${r.window.period}`,
    `packs: ${bytes(p.packBytes)} in ${p.packs} packs = ${bytes(p.uniqueToItems)} unique to items + ${bytes(p.sharedBetweenItems)} ` +
      `shared between items + ${bytes(p.unreferenced)} needed by no snapshot + ${bytes(p.unindexed)} in packs no index names`,
    ...(p.missingPacks + p.missingBlobs > 0
      ? [`warning: ${p.missingPacks} indexed packs and ${p.missingBlobs} blobs are missing: run \`cairn check\``]
      : []),
    `projection to ${r.projection.period} ahead: docs/STATS.md; each item's horizon is in --json`,
  ].join('\n');
}

/** Columns padded to their widest cell: text left, figures right; 'rule' draws a line. */
function aligned(header: readonly string[], rows: ReadonlyArray<readonly string[] | 'rule'>): string {
  const cells = rows.filter((r): r is readonly string[] => r !== 'rule');
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const left = (i: number) => i < 2;
  const line = (r: readonly string[]) =>
    r
      .map((c, i) => (left(i) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), ...rows.map((r) => (r === 'rule' ? rule : line(r)))].join('\n');
}
