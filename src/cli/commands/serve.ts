import type { Command } from 'commander';
// The defaults alone, not the server's index: `serve` loads the server when it runs (see server/defaults.ts).
import { DEFAULT_HOST, DEFAULT_PORT } from '../../server/defaults.js';
import type { RunningServer } from '../../server/index.js';
import type { ServerRuntime } from '../../server/wire/index.js';
import type { Context } from '../context.js';
import { refuseRemote } from '../remote-mode.js';
import { action, collect } from '../run.js';
import { VERSION } from '../version.js';
import { type ServeOptions, serveSettings, startupFacts, startupText } from './serve-settings.js';

/**
 * `cairn serve`: the HTTP API over this repository, its catalog and policy, until SIGTERM or SIGINT.
 * It opens its own long-lived runtime (not the per-command session, which a command holds for
 * seconds) and records its start and stop in the audit log as the local OS identity. The log, JSON
 * lines, goes to stderr; stdout carries only the start-up message (a JSON document with --json).
 */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the HTTP API (/api/v1), health probes, /metrics, SIEM forwarding and anomaly alerts')
    .option('--host <addr>', `address to listen on (default ${DEFAULT_HOST}: this machine only)`)
    .option('--port <n>', `port to listen on; 0 picks a free one (default ${DEFAULT_PORT})`)
    .option('--tls-cert <file>', 'PEM certificate chain: serve HTTPS (with --tls-key)')
    .option('--tls-key <file>', 'PEM private key of --tls-cert')
    .option('--restore-root <dir>', 'a server-side folder restores may write into (repeatable)', collect)
    .option('--metrics-anonymous', 'serve /metrics without a token')
    .option('--body-limit <bytes>', 'largest request body accepted (default 1 MiB)')
    .option('--trust-proxy', 'take client addresses from X-Forwarded-For (behind a reverse proxy)')
    .option('--no-scheduler', "serve only: do not run the policy's schedules (another replica runs them)")
    .option('--no-canary', 'do not run the canary here (policy canary:; another replica runs it)')
    .addHelpText(
      'after',
      '\nThe repository, secret, policy and catalog are those of every other command (--repo, --config,\n' +
        'CAIRN_CATALOG_URL, …). The first admin token is made locally, against the same repository:\n' +
        '  cairn token create --name admin --role admin --expires 30d\n' +
        'The policy is read again when it changes; its audit, business-hours and alert settings only at start.\n' +
        'Schedules (tier/item schedule, environments.driftSchedule) run here unless --no-scheduler; replicas\n' +
        'sharing a PostgreSQL catalog run each slot once (docs/SCHEDULES.md). The canary (policy canary:)\n' +
        'snapshots, restores and verifies the cairn-canary item every canary.every unless --no-canary\n' +
        '(docs/MONITORING.md).\n',
    )
    .action(action((ctx, opts: ServeOptions) => serve(ctx, opts)));
}

async function serve(ctx: Context, opts: ServeOptions): Promise<number> {
  refuseRemote(ctx, 'serve');
  const settings = serveSettings(opts);
  let report = (what: string, err: unknown) => {
    process.stderr.write(`cairn serve: ${what}: ${err instanceof Error ? err.message : String(err)}\n`);
  };
  // Loaded here, not at start-up: the server's modules (Fastify, prom-client, …) would otherwise be
  // evaluated by every command.
  const { createServerRuntime, DETECTOR_SINK } = await import('../../server/wire/index.js');
  const { startServer } = await import('../../server/index.js');
  const runtime = await createServerRuntime({
    session: await ctx.sessionOptions(),
    policyFile: ctx.configFile,
    version: VERSION,
    onError: (what, err) => report(what, err),
    scheduler: opts.scheduler !== false,
    canary: opts.canary !== false,
  });
  let running: RunningServer;
  try {
    running = await startServer(runtime.deps, {
      ...settings,
      version: VERSION,
      handleSignals: false,
      logger: { stream: process.stderr },
    });
    await lifecycleEvent(ctx, runtime, 'server.start', running.address, { restoreRoots: settings.restoreRoots });
  } catch (err) {
    await runtime.close();
    throw err;
  }
  const log = running.app.log;
  report = (what, err) => log.warn({ err }, what);
  const facts = startupFacts(running.address, runtime, settings, DETECTOR_SINK);
  ctx.out.result(facts, () => startupText(facts));

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  log.info({ signal }, 'closing: no new connections, finishing requests in flight');
  try {
    await running.close();
    await lifecycleEvent(ctx, runtime, 'server.stop', running.address, { signal });
  } finally {
    await runtime.close();
  }
  return 0;
}

/** `server.start` / `server.stop` in the audit log, by whoever runs the server (fail closed at start). */
function lifecycleEvent(
  ctx: Context,
  runtime: ServerRuntime,
  action: string,
  address: string,
  details: Record<string, unknown>,
): Promise<unknown> {
  return runtime.context.log.record({
    identity: ctx.identity.subject,
    roles: [...ctx.identity.roles],
    ip: null,
    userAgent: 'cairn-cli',
    action,
    target: address,
    result: 'ok',
    details: { via: 'cli', pid: process.pid, ...details },
  });
}
