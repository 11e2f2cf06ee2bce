import { type Command, Option } from 'commander';
import type { DrillRecord, DrillSignoff, DrillStatus } from '../../catalog/index.js';
import { CairnError } from '../../errors/index.js';
import { type DrillResultWithWarnings, type Progress, type ProgressSink, runDrill } from '../../services/index.js';
import type { Context } from '../context.js';
import { segment } from '../remote-mode.js';
import { action } from '../run.js';
import { totpCode } from './approvals.js';
import { renderDrill, renderDrills } from './drill-view.js';

const STATUSES: readonly DrillStatus[] = ['running', 'failed', 'awaiting-signoff', 'passed'];

/** Recovery drills (C5): run a plan, list and show drills, sign one off. docs/DRILLS.md. */
export function registerDrill(program: Command): void {
  const drill = program
    .command('drill')
    .description('recovery drills: restore a plan into a sandbox, validate, measure RTO/RPO; list, show, sign off');
  drill
    .command('run <plan>')
    .description(
      "restore the plan's items into an isolated sandbox, run its validators, measure RTO/RPO against the SLAs",
    )
    .option(
      '--staging <dir>',
      'restore into this folder (new or empty) and keep it: a configuration-only staging restore',
    )
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  cairn drill run quarterly-prod\n' +
        '  cairn drill run quarterly-prod --staging ./staging --json\n' +
        "\nEach item's newest complete snapshot is restored into <sandbox>/<item>/ (every byte checked), then\n" +
        "the plan's validators run per item: `run` commands (sh -c, {restored} substituted, a timeout, no\n" +
        'network and nothing writable outside the sandbox where unshare allows), `jsonSchema` checks and a\n' +
        '`baseline` comparison. Restored files are scanned for expired certificates and credentials. RTO (start\n' +
        "to validated) and RPO (age of the restored state) are compared with the items' tiers. Every problem\n" +
        'is a gap (`cairn gaps`). A plan with `signoff:` waits for its teams (`cairn drill signoff`).\n' +
        'Ctrl-C stops the drill: the running validator is stopped, the sandbox deleted and the drill recorded\n' +
        'as failed (cancelled).\n' +
        'Exit codes: 0 passed or awaiting sign-off; 1 failed; 2 unknown plan or bad usage; 130 interrupted\n' +
        '(143 on SIGTERM).\n' +
        'With CAIRN_SERVER the server runs the drill (needs drills.run; --staging is local only).',
    )
    .action(
      action(async (ctx, plan: string, opts: { staging?: string }) => {
        const remote = ctx.remote();
        let record: DrillRecord;
        if (remote) {
          if (opts.staging !== undefined) {
            throw new CairnError(
              'CAIRN_E_USAGE',
              '--staging restores into a folder of this machine: run it without CAIRN_SERVER, where the repository is',
            );
          }
          record = await remote.call<DrillRecord>('POST', '/api/v1/drills/run', { body: { plan } });
        } else {
          const { policy } = await ctx.policy();
          const session = await ctx.session();
          const { audit } = await ctx.governance();
          const bar = drillProgress(ctx, ctx.out.progress());
          const stop = stopOnSignals(ctx, bar);
          try {
            record = await runDrill(session, policy, audit, {
              plan,
              actor: ctx.identity.subject,
              trigger: 'manual',
              ...(opts.staging !== undefined ? { staging: opts.staging } : {}),
              progress: bar,
              signal: stop.signal,
            });
          } finally {
            stop.release();
            bar.done();
          }
          ctx.addAuditDetails({ drill: record.id, status: record.status });
          if (stop.interrupted()) {
            ctx.out.result(record, () => renderDrill(record));
            return stop.interrupted() === 'SIGTERM' ? 143 : 130;
          }
        }
        for (const w of (record.result as DrillResultWithWarnings | null)?.warnings ?? []) ctx.out.warn(w);
        ctx.out.result(record, () => renderDrill(record));
        return record.status === 'failed' || record.status === 'running' ? 1 : 0;
      }),
    );
  drill
    .command('list')
    .description('drills, newest first')
    .option('--plan <name>', 'only drills of this plan')
    .addOption(new Option('--status <status>', 'only drills in this state').choices(STATUSES))
    .option('--limit <n>', 'at most this many', (v) => positive(v, '--limit'))
    .action(
      action(async (ctx, opts: { plan?: string; status?: DrillStatus; limit?: number }) => {
        const filter = {
          ...(opts.plan ? { plan: opts.plan } : {}),
          ...(opts.status ? { status: opts.status } : {}),
          ...(opts.limit ? { limit: opts.limit } : {}),
        };
        const remote = ctx.remote();
        const drills = remote
          ? (await remote.call<{ drills: DrillRecord[] }>('GET', '/api/v1/drills', { query: filter })).drills
          : await (await ctx.session()).catalog.drills.list(filter);
        ctx.out.result({ drills }, () => renderDrills(drills));
        return 0;
      }),
    );
  drill
    .command('show <id>')
    .description(
      'one drill (id or a unique prefix of 6+ characters): items, validators and their output, gaps, RTO/RPO, sign-offs',
    )
    .action(
      action(async (ctx, id: string) => {
        const remote = ctx.remote();
        const shown = remote
          ? await remote.call<DrillRecord & { signoffs: DrillSignoff[] }>('GET', `/api/v1/drills/${segment(id)}`)
          : await showLocal(ctx, id);
        ctx.out.result(shown, () => renderDrill(shown));
        return 0;
      }),
    );
  drill
    .command('signoff <id>')
    .description('sign a drill off for your team, with a fresh code from your authenticator (through the server)')
    .requiredOption('--team <name>', 'the team of access.teams you sign for')
    .option('--code <code>', 'your TOTP code (asked for on a terminal when not given)')
    .addHelpText(
      'after',
      '\nA drill whose plan names `signoff: [operations, security]` counts as passed once a member of each\n' +
        'team has signed, each a different person, each with a TOTP code (enrol with `cairn mfa enroll`).\n' +
        'Sign-off goes through the server, which knows who you are and checks the code: set CAIRN_SERVER\n' +
        'and CAIRN_TOKEN. Exit codes: 0 signed; 1 refused (not in the team, signed already, wrong code);\n' +
        '2 no server, a drill not awaiting sign-off, or a team the plan does not name.',
    )
    .action(
      action(async (ctx, id: string, opts: { team: string; code?: string }) => {
        const remote = ctx.remote();
        if (!remote) {
          throw new CairnError(
            'CAIRN_E_USAGE',
            '`cairn drill signoff` goes through a Cairn server, which knows your identity and checks your TOTP code: ' +
              'set CAIRN_SERVER=https://… (or --server URL) and CAIRN_TOKEN (or --token-file FILE)',
          );
        }
        const code = await totpCode(opts.code);
        const record = await remote.call<DrillRecord>('POST', `/api/v1/drills/${segment(id)}/signoff`, {
          body: { team: opts.team, code },
        });
        ctx.out.result(record, () => `drill ${record.id} signed for ${opts.team}: ${record.status}`);
        return 0;
      }),
    );
}

async function showLocal(ctx: Context, id: string): Promise<DrillRecord & { signoffs: DrillSignoff[] }> {
  const { catalog } = await ctx.session();
  const found = await catalog.drills.get(id);
  if (!found) throw new CairnError('CAIRN_E_NOT_FOUND', `no drill ${id} (see \`cairn drill list\`)`, { drill: id });
  return { ...found, signoffs: await catalog.drills.signoffs(found.id) };
}

/**
 * Ctrl-C (SIGINT) or SIGTERM during a drill stops it the way its timeout does: the running validator's
 * process group is stopped, no further check starts, the sandbox is deleted and the drill is recorded as
 * failed (cancelled); the exit code is then 130 (143 for SIGTERM). A second signal quits at once; the
 * sandbox it leaves is deleted by the next drill on this machine.
 */
function stopOnSignals(
  ctx: Context,
  bar: { done(): void },
): { signal: AbortSignal; interrupted(): NodeJS.Signals | undefined; release(): void } {
  const controller = new AbortController();
  let got: NodeJS.Signals | undefined;
  const on = (sig: NodeJS.Signals) => {
    if (got) process.exit(sig === 'SIGTERM' ? 143 : 130);
    got = sig;
    bar.done();
    ctx.out.warn(`${sig}: stopping the drill, deleting its sandbox and recording it as failed (again to quit at once)`);
    controller.abort();
  };
  process.on('SIGINT', on);
  process.on('SIGTERM', on);
  return {
    signal: controller.signal,
    interrupted: () => got,
    release() {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
    },
  };
}

/** Restores on the progress bar; validators as "check N of M" on the same terminal line. */
function drillProgress(ctx: Context, bar: ProgressSink & { done(): void }): ProgressSink & { done(): void } {
  const live = process.stderr.isTTY === true && !ctx.opts.quiet;
  let shown = false;
  const sink = (p: Progress) => {
    if (p.phase !== 'validate') return bar(p);
    if (!live || !p.item) return;
    shown = true;
    process.stderr.write(`\r\x1b[K[drill] validate ${p.item}: check ${p.files + 1} of ${p.totalFiles ?? '?'}`);
  };
  return Object.assign(sink, {
    done() {
      bar.done();
      if (shown) process.stderr.write('\r\x1b[K');
    },
  });
}

function positive(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new CairnError('CAIRN_E_USAGE', `${flag} must be a positive whole number`);
  return n;
}
