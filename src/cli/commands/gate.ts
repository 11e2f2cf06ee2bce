import type { Command } from 'commander';
import { evaluateGate, type GateReport } from '../../services/index.js';
import { action } from '../run.js';

interface GateOptions {
  env: string;
  release: string;
}

export function registerGate(program: Command): void {
  program
    .command('gate')
    .description(
      'release gate: pass only when every item of the environment has an intact pre-deploy capture of its current state',
    )
    .requiredOption('--env <name>', 'the environment to be promoted')
    .requiredOption('--release <version>', 'the release whose pre-deploy captures are checked')
    .addHelpText(
      'after',
      '\nFor each item of the environment: a snapshot (or a verification of one) taken with\n' +
        '`--trigger pre-deploy --release VER` exists; it is complete and every tree, blob and pack it needs is\n' +
        'in the repository (checked from the index, no data read); the live sources still match it (as\n' +
        "`cairn drift`, ignore rules applied); and the items' `requires` rules hold over the captures.\n" +
        'Every failed requirement is one sentence in `failed` (--json) and on stdout.\n\n' +
        'Examples:\n' +
        '  cairn snapshot --env prod --trigger pre-deploy --release 2.4.1\n' +
        '  cairn gate --env prod --release 2.4.1 --json\n\n' +
        'Exit codes: 0 the gate passes; 1 it fails (a release never captured fails); 2 unknown environment.\n' +
        'With CAIRN_SERVER, the server evaluates the gate (needs gate.read).',
    )
    .action(
      action(async (ctx, opts: GateOptions) => {
        const remote = ctx.remote();
        let report: GateReport;
        if (remote) {
          report = await remote.call<GateReport>('GET', '/api/v1/gate', {
            query: { env: opts.env, release: opts.release },
          });
        } else {
          const { policy } = await ctx.policy();
          const session = await ctx.session();
          report = await evaluateGate(session, policy, { environment: opts.env, release: opts.release });
        }
        ctx.out.result(report, () => renderGate(report));
        return report.passed ? 0 : 1;
      }),
    );
}

export function renderGate(r: GateReport): string {
  const head = `gate ${r.passed ? 'PASSED' : 'FAILED'}: release ${r.release} in ${r.environment} (${r.items.length} item${r.items.length === 1 ? '' : 's'})`;
  const lines = [head];
  for (const i of r.items) {
    for (const c of i.checks) lines.push(`  ${c.ok ? 'ok  ' : 'FAIL'} ${i.item} ${c.name}: ${c.reason}`);
  }
  if (r.failed.length > 0) {
    lines.push('', 'failed:');
    for (const f of r.failed) lines.push(`  - ${f}`);
  }
  return lines.join('\n');
}
