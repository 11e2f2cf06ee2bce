import type { Command } from 'commander';
import { ExitCode, isCairnError } from '../../errors/index.js';
import { loadPolicy, type PolicyIssue, policyJsonSchema } from '../../policy/index.js';
import type { PolicyCheckResult } from '../../server/index.js';
import type { Context } from '../context.js';
import { action } from '../run.js';
import { gapWarningsIfCatalog } from './gaps.js';

export function registerPolicy(program: Command): void {
  const policy = program.command('policy').description('check cairn.yaml, or print its JSON Schema');
  policy
    .command('check')
    .description(
      'validate the policy (--config FILE, default ./cairn.yaml); every problem names file, line, column and field',
    )
    .action(
      action(async (ctx) => {
        const remote = ctx.remote();
        if (remote) {
          const r = await remote.call<PolicyCheckResult>('GET', '/api/v1/policy/check');
          if (!r.valid) return invalid(ctx, r.file, [...r.issues]);
          ctx.out.result(r, () => valid(r.file, r.issues, r));
          return 0;
        }
        let issues: PolicyIssue[];
        let summary: Record<string, unknown> = {};
        try {
          const loaded = await loadPolicy(ctx.configFile);
          issues = loaded.issues;
          const p = loaded.policy;
          issues = [...issues, ...(await gapWarningsIfCatalog(ctx, p))];
          summary = { items: p.items.length, tiers: Object.keys(p.tiers).length, exceptions: p.exceptions.length };
        } catch (err) {
          if (!isCairnError(err, 'CAIRN_E_POLICY_INVALID')) throw err;
          return invalid(ctx, ctx.configFile, (err.details?.issues as PolicyIssue[] | undefined) ?? []);
        }
        ctx.out.result({ valid: true, file: ctx.configFile, ...summary, issues }, () =>
          valid(ctx.configFile, issues, summary),
        );
        return 0;
      }),
    );
  policy
    .command('schema')
    .description('print the JSON Schema of cairn.yaml (for editors: yaml-language-server)')
    .action(
      action(async () => {
        process.stdout.write(`${JSON.stringify(policyJsonSchema(), null, 2)}\n`);
        return 0;
      }),
    );
}

/** The answer for an invalid policy: every issue, and exit 2 as for any invalid policy. */
function invalid(ctx: Context, file: string, issues: PolicyIssue[]): number {
  const errors = issues.filter((i) => i.severity === 'error');
  ctx.out.result({ valid: false, file, issues }, () => issues.map(format).join('\n'));
  if (!ctx.out.json) process.stderr.write(`${file}: ${errors.length} error(s)\n`);
  return ExitCode.usage;
}

function valid(file: string, issues: readonly PolicyIssue[], summary: Record<string, unknown>): string {
  return [
    ...issues.map(format),
    `${file}: valid (${summary.items} items, ${summary.tiers} tiers, ${summary.exceptions} exceptions)`,
  ].join('\n');
}

function format(i: PolicyIssue): string {
  return `${i.file}:${i.line}:${i.column}: ${i.severity}: ${i.field}: ${i.message}`;
}
