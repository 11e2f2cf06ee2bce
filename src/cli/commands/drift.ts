import type { Command } from 'commander';
import { type DriftReport, driftCheck, type ItemDrift } from '../../services/index.js';
import { action, collect } from '../run.js';

interface DriftOptions {
  env: string;
  item?: string[];
}

export function registerDrift(program: Command): void {
  program
    .command('drift')
    .description("compare each item's live sources with its latest snapshot; records the result in the catalog")
    .requiredOption('--env <name>', 'the environment whose items are compared')
    .option('--item <name>', 'only this item (repeatable)', collect)
    .addHelpText(
      'after',
      '\nA file whose size, times and inode are those the snapshot recorded is equal without being read;\n' +
        "others are hashed, and a modified JSON or YAML file is compared as data. The item's `drift:` rules\n" +
        'leave volatile parts out: `ignore` lists dotted keys (`*` for one level, applied to each document\n' +
        'and to each `items.*` of a kubectl List), `ignoreLines` regular expressions for lines. Changed keys\n' +
        'and lines are listed, values only for items with `secrets: allow`. An item never captured counts\n' +
        'as drifted. docs/RELEASE-GATE.md has the details.\n\n' +
        'Examples:\n' +
        '  cairn drift --env prod\n' +
        '  cairn drift --env prod --item payments-api-config --json\n\n' +
        'Exit codes: 0 no drift; 1 drift (or an item could not be compared); 2 unknown environment or item.\n' +
        'With CAIRN_SERVER, the server compares its own view of the sources (needs drift.run).',
    )
    .action(
      action(async (ctx, opts: DriftOptions) => {
        const remote = ctx.remote();
        let report: DriftReport;
        if (remote) {
          const body = { environment: opts.env, ...(opts.item ? { items: opts.item } : {}) };
          report = await remote.call<DriftReport>('POST', '/api/v1/drift', { body });
        } else {
          const { policy } = await ctx.policy();
          const session = await ctx.session();
          report = await driftCheck(session, policy, {
            environment: opts.env,
            ...(opts.item ? { items: opts.item } : {}),
          });
        }
        ctx.out.result(report, () => renderDrift(report));
        return report.drifted ? 1 : 0;
      }),
    );
}

export function renderDrift(r: DriftReport): string {
  const bad = r.items.filter((i) => i.drifted || i.error);
  const lines = [
    bad.length === 0
      ? `no drift in ${r.environment} at ${r.checkedAt}: ${r.items.length === 1 ? 'the item matches its' : `all ${r.items.length} items match their`} latest snapshot`
      : `drift in ${r.environment} at ${r.checkedAt}: ${bad.length} of ${r.items.length} item${r.items.length === 1 ? '' : 's'} differ or could not be compared`,
  ];
  for (const i of r.items) lines.push(...renderItem(i));
  return lines.join('\n');
}

function renderItem(i: ItemDrift): string[] {
  const snap = i.snapshot ? ` (snapshot ${i.snapshot.slice(0, 12)})` : '';
  const ignored = i.ignored > 0 ? `; ${i.ignored} file${i.ignored === 1 ? '' : 's'} differ only in ignored parts` : '';
  if (i.error) return [`${i.item}${snap}: ${i.snapshot ? 'not compared' : 'never captured'}: ${i.error.message}`];
  if (!i.drifted) return [`${i.item}${snap}: no drift${ignored}`];
  const out = [`${i.item}${snap}: ${i.changes.length} file${i.changes.length === 1 ? '' : 's'} changed${ignored}`];
  const mark = { added: '+', removed: '-', modified: '~' } as const;
  for (const c of i.changes) {
    out.push(`  ${mark[c.kind]} ${c.path}`);
    for (const d of c.detail ?? []) out.push(`      ${d}`);
  }
  return out;
}
