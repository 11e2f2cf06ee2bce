import { type Command, Option } from 'commander';
import type { DeploymentRecord, DeploymentStatus } from '../../catalog/index.js';
import { CairnError, ExitCode } from '../../errors/index.js';
import {
  type DeploymentView,
  type FailedDeploymentView,
  failAndRollBack,
  finishDeployment,
  listDeployments,
  runMetadata,
  showDeployment,
  startDeployment,
} from '../../services/index.js';
import type { Context } from '../context.js';
import { segment } from '../remote-mode.js';
import { action } from '../run.js';
import { renderFailed, renderList, renderView, viewFailed } from './deploy-view.js';

interface StartOptions {
  env: string;
  release?: string;
  commit?: string;
  change?: string;
  pipeline?: string;
  id?: string;
}

interface ListOptions {
  env?: string;
  release?: string;
  status?: DeploymentStatus;
  limit?: string;
}

const STATUSES: readonly DeploymentStatus[] = [
  'started',
  'succeeded',
  'failed',
  'rolling-back',
  'rolled-back',
  'rollback-failed',
];

export function registerDeploy(program: Command): void {
  const deploy = program
    .command('deploy')
    .description('record deployments for pipelines: pre-deploy and post-deploy bundles of every item of an environment')
    .addHelpText(
      'after',
      '\nIn a pipeline:\n' +
        '  id=$(cairn deploy start --env prod --release "$VERSION" --commit "$SHA" --change CHG0030001 --json | jq -r .deployment.id)\n' +
        '  ./deploy.sh && cairn deploy finish "$id" || cairn deploy fail "$id" --reason "deploy.sh failed"\n' +
        'With CAIRN_SERVER set, every subcommand runs on the server (deployments.read / deployments.write).\n' +
        'docs/DEPLOYMENTS.md describes change tickets and `requires` rules.',
    );

  deploy
    .command('start')
    .description('start a deployment: check the change ticket, take the pre-deploy bundle, check `requires` rules')
    .requiredOption('--env <environment>', 'the environment deployed to')
    .option('--release <version>', 'the release deployed (default: from the CI tag)')
    .option('--commit <sha>', 'the commit deployed (default: from the CI variables)')
    .option('--change <id>', 'change ticket id (or CAIRN_CHANGE_ID)')
    .option('--pipeline <url>', 'the CI run (default: from the CI variables)')
    .option('--id <id>', 'the deployment id (default: D-<yyyymmdd>-<random>)')
    .addHelpText(
      'after',
      '\nExit codes: 0 recorded, every item captured and every requirement met; 1 recorded, but an item failed\n' +
        'to snapshot or a requirement failed (--json explains each), or the change ticket was refused (nothing\n' +
        'recorded); 2 unknown environment or bad usage.\n' +
        'Example: cairn deploy start --env prod --release 2.1.0 --change CHG0030001',
    )
    .action(
      action(async (ctx, opts: StartOptions) => {
        const meta = runMetadata(opts, { name: '', tier: '' }, new Date(), ctx.env);
        const input = {
          environment: opts.env,
          ...(meta.release ? { release: meta.release } : {}),
          ...(meta.commit ? { commit: meta.commit } : {}),
          ...(meta.change ? { change: meta.change } : {}),
          ...((opts.pipeline ?? meta.pipeline) ? { pipeline: opts.pipeline ?? meta.pipeline ?? '' } : {}),
          ...(opts.id ? { id: opts.id } : {}),
        };
        const remote = ctx.remote();
        const view = remote
          ? await remote.call<DeploymentView>('POST', '/api/v1/deployments', { body: input })
          : await local(ctx, (session, policy, progress) => startDeployment(session, policy, input, progress));
        ctx.addAuditDetails({ deployment: view.deployment.id, ticket: view.deployment.ticket });
        return answer(ctx, view);
      }),
    );

  deploy
    .command('finish <id>')
    .description(
      'finish a started deployment: take the post-deploy bundle; the deployment succeeded (run again to retake only the items that failed)',
    )
    .addHelpText(
      'after',
      '\nExit codes: 0 finished; 1 finished but an item failed to snapshot, or no such deployment, or not started.\nExample: cairn deploy finish D-20261129-K7Q2XM',
    )
    .action(
      action(async (ctx, id: string) => {
        const remote = ctx.remote();
        const view = remote
          ? await remote.call<DeploymentView>('POST', `/api/v1/deployments/${segment(id)}/finish`, { body: {} })
          : await local(ctx, (session, policy, progress) => finishDeployment(session, policy, id, {}, progress));
        return answer(ctx, view, (v) => v.post.some((e) => e.status === 'failed'));
      }),
    );

  deploy
    .command('fail <id>')
    .description('mark a deployment failed; where the environment has autoRollback, roll its pre-deploy bundle back')
    .option('--reason <text>', 'why it failed (recorded)')
    .addHelpText(
      'after',
      '\nExit codes: 0 recorded (and rolled back when the policy asks); 1 the rollback failed, or no such deployment.\nExample: cairn deploy fail D-20261129-K7Q2XM --reason "smoke tests failed"',
    )
    .action(
      action(async (ctx, id: string, opts: { reason?: string }) => {
        const body = opts.reason ? { reason: opts.reason } : {};
        const remote = ctx.remote();
        const result = remote
          ? await remote.call<FailedDeploymentView>('POST', `/api/v1/deployments/${segment(id)}/fail`, { body })
          : await local(ctx, (session, policy) =>
              failAndRollBack(session, policy, id, body, () =>
                ctx.out.note(`the environment rolls back automatically: restoring the pre-deploy bundle of ${id}`),
              ),
            );
        ctx.out.result(result, () => renderFailed(result));
        const rollbackFailed = result.rollbackError !== undefined || result.rollback?.status === 'failed';
        return rollbackFailed ? ExitCode.failed : ExitCode.ok;
      }),
    );

  deploy
    .command('list')
    .description('list deployments, newest first')
    .option('--env <environment>', 'only this environment')
    .option('--release <version>', 'only this release')
    .addOption(new Option('--status <status>', 'only in this status').choices(STATUSES))
    .option('--limit <n>', 'at most this many (default 100)')
    .addHelpText('after', '\nExample: cairn deploy list --env prod --status failed --json')
    .action(
      action(async (ctx, opts: ListOptions) => {
        const limit = opts.limit === undefined ? undefined : Number(opts.limit);
        if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 10_000)) {
          throw new CairnError('CAIRN_E_USAGE', `--limit ${opts.limit} is not a whole number from 1 to 10000`);
        }
        const filter = { environment: opts.env, release: opts.release, status: opts.status, limit };
        const remote = ctx.remote();
        const deployments = remote
          ? (await remote.call<{ deployments: DeploymentRecord[] }>('GET', '/api/v1/deployments', { query: filter }))
              .deployments
          : await local(ctx, (session) => listDeployments(session, filter));
        ctx.out.result({ deployments }, () => renderList(deployments));
        return ExitCode.ok;
      }),
    );

  deploy
    .command('show <id>')
    .description('a deployment, its pre- and post-deploy bundles, its change ticket and requirements')
    .addHelpText(
      'after',
      '\nExit codes: 0 shown; 1 no such deployment.\nExample: cairn deploy show D-20261129-K7Q2XM --json',
    )
    .action(
      action(async (ctx, id: string) => {
        const remote = ctx.remote();
        const view = remote
          ? await remote.call<DeploymentView>('GET', `/api/v1/deployments/${segment(id)}`)
          : await local(ctx, (session) => showDeployment(session, id));
        ctx.out.result(view, () => renderView(view));
        return ExitCode.ok;
      }),
    );
}

type Session = Awaited<ReturnType<Context['session']>>;
type Policy = Awaited<ReturnType<Context['policy']>>['policy'];

/** Runs against the repository and catalog here, with the snapshot command's progress line. */
async function local<T>(
  ctx: Context,
  run: (session: Session, policy: Policy, progress: ReturnType<Context['out']['progress']>) => Promise<T>,
): Promise<T> {
  const { policy } = await ctx.policy();
  const session = await ctx.session();
  const progress = ctx.out.progress();
  try {
    return await run(session, policy, progress);
  } finally {
    progress.done();
    await session.close();
  }
}

function answer(ctx: Context, view: DeploymentView, failed: (v: DeploymentView) => boolean = viewFailed): number {
  ctx.out.result(view, () => renderView(view));
  return failed(view) ? ExitCode.failed : ExitCode.ok;
}
