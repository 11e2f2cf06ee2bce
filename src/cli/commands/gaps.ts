import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { type Catalog, type GapRecord, openCatalog } from '../../catalog/index.js';
import type { Policy, PolicyIssue } from '../../policy/index.js';
import { listGaps, openGapWarnings, openRepository } from '../../services/index.js';
import type { Context } from '../context.js';
import { action } from '../run.js';
import { renderGaps } from './drill-view.js';

/** `cairn gaps`: what drills found that would break a real recovery, per item (C5.5). */
export function registerGaps(program: Command): void {
  program
    .command('gaps')
    .description('open gaps drills found (missing dependency, expired certificate or credential, schema failure, …)')
    .option('--item <name>', 'only gaps of this item')
    .option('--all', 'closed gaps too (a gap closes when a later drill of its item no longer finds it)')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  cairn gaps\n' +
        '  cairn gaps --item payments-api-config --all --json\n' +
        '\nCategories: missing-dependency, expired-certificate, expired-credential, schema-failure,\n' +
        'baseline-deviation, missing-baseline, validator-failed, validator-timeout, restore-failed,\n' +
        'sandbox-violation, rto-breach, rpo-breach (docs/DRILLS.md). `cairn policy check` warns on items with open gaps.\n' +
        'Exit codes: 0 no open gap; 1 open gaps listed; 2 an --item not in the policy that never had a gap.\n' +
        'With CAIRN_SERVER, asks the server (drills.read).',
    )
    .action(
      action(async (ctx, opts: { item?: string; all?: boolean }) => {
        const filter = { ...(opts.item ? { item: opts.item } : {}), ...(opts.all ? { all: true } : {}) };
        const remote = ctx.remote();
        const gaps = remote
          ? (await remote.call<{ gaps: GapRecord[] }>('GET', '/api/v1/gaps', { query: filter })).gaps
          : await listGaps((await ctx.session()).catalog, filter, await ctx.policyIfAny());
        ctx.out.result({ gaps }, () => renderGaps(gaps));
        return gaps.some((g) => g.closedAt === null) ? 1 : 0;
      }),
    );
}

/**
 * The open-gap warnings of `policy check`, when the catalog can be found without asking anyone: a
 * PostgreSQL catalog (CAIRN_CATALOG_URL), or the local SQLite one of a repository whose secret is
 * given by flag or environment. None (never an error) when there is no catalog yet.
 */
export async function gapWarningsIfCatalog(ctx: Context, policy: Policy): Promise<PolicyIssue[]> {
  let catalog: Catalog | undefined;
  try {
    catalog = await findCatalog(ctx);
    return catalog ? await openGapWarnings(catalog, policy) : [];
  } catch (err) {
    ctx.out.note(`open drill gaps not checked: ${err instanceof Error ? err.message : String(err)}`);
    return [];
  } finally {
    await catalog?.close();
  }
}

async function findCatalog(ctx: Context): Promise<Catalog | undefined> {
  const url = ctx.env.CAIRN_CATALOG_URL;
  if (url) return openCatalog({ url });
  const { opts, env } = ctx;
  const secretGiven =
    opts.keyProvider ?? opts.keyFile ?? opts.passwordFile ?? env.CAIRN_KEY_PROVIDER ?? env.CAIRN_KEY_FILE;
  if (!secretGiven && !env.CAIRN_PASSWORD_FILE && !env.CAIRN_PASSWORD) return undefined;
  if (!/^[a-z0-9+]+:\/\//i.test(ctx.repository) && !existsSync(ctx.repository)) return undefined;
  const repo = await openRepository({ repository: ctx.repository, secret: await ctx.secret() });
  try {
    const sqlitePath = join(ctx.home, repo.id.slice(0, 16), 'catalog.sqlite');
    return existsSync(sqlitePath) ? await openCatalog({ sqlitePath }) : undefined;
  } finally {
    await repo.close();
    await repo.storage.close().catch(() => undefined);
  }
}
