import type { Command } from 'commander';
import { isCairnError } from '../../errors/index.js';
import { loadPolicy, type PolicyIssue, policyJsonSchema } from '../../policy/index.js';
import { action } from '../run.js';

export function registerPolicy(program: Command): void {
  const policy = program.command('policy').description('check cairn.yaml, or print its JSON Schema');
  policy
    .command('check')
    .description(
      'validate the policy (--config FILE, default ./cairn.yaml); every problem names file, line, column and field',
    )
    .action(
      action(async (ctx) => {
        let issues: PolicyIssue[];
        let summary: Record<string, unknown> = {};
        try {
          const loaded = await loadPolicy(ctx.configFile);
          issues = loaded.issues;
          const p = loaded.policy;
          summary = { items: p.items.length, tiers: Object.keys(p.tiers).length, exceptions: p.exceptions.length };
        } catch (err) {
          if (!isCairnError(err, 'CAIRN_E_POLICY_INVALID')) throw err;
          issues = (err.details?.issues as PolicyIssue[] | undefined) ?? [];
          const errors = issues.filter((i) => i.severity === 'error');
          ctx.out.result({ valid: false, file: ctx.configFile, issues }, () => issues.map(format).join('\n'));
          if (!ctx.out.json) process.stderr.write(`${ctx.configFile}: ${errors.length} error(s)\n`);
          return err.exitCode;
        }
        ctx.out.result({ valid: true, file: ctx.configFile, ...summary, issues }, () =>
          [
            ...issues.map(format),
            `${ctx.configFile}: valid (${summary.items} items, ${summary.tiers} tiers, ${summary.exceptions} exceptions)`,
          ].join('\n'),
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

function format(i: PolicyIssue): string {
  return `${i.file}:${i.line}:${i.column}: ${i.severity}: ${i.field}: ${i.message}`;
}
