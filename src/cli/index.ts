/**
 * cli/ — the `cairn` command: parses flags and environment, calls a service, renders the result
 * (JSON with --json), and maps errors to exit codes (0 ok, 1 failed, 2 usage or invalid policy,
 * 3 snapshot written with unreadable files). It holds no logic a server would need.
 */
import { Command, CommanderError } from 'commander';
import { CairnError, ExitCode, isCairnError } from '../errors/index.js';
import { registerAccess } from './commands/access.js';
import { registerAlerts } from './commands/alerts.js';
import { registerApprovals } from './commands/approvals.js';
import { registerAudit } from './commands/audit.js';
import { registerBrowse } from './commands/browse.js';
import { registerCatalog } from './commands/catalog.js';
import { registerCheck } from './commands/check.js';
import { registerCoverage } from './commands/coverage.js';
import { registerDeploy } from './commands/deploy.js';
import { registerDrift } from './commands/drift.js';
import { registerDrill } from './commands/drill.js';
import { registerGaps } from './commands/gaps.js';
import { registerGate } from './commands/gate.js';
import { registerHold } from './commands/hold.js';
import { registerInit } from './commands/init.js';
import { registerKey } from './commands/key.js';
import { registerMfa } from './commands/mfa.js';
import { registerPolicy } from './commands/policy.js';
import { registerRepair } from './commands/repair.js';
import { registerReplicate } from './commands/replicate.js';
import { registerReport } from './commands/report.js';
import { registerRestore } from './commands/restore.js';
import { registerRetention } from './commands/retention.js';
import { registerRollback } from './commands/rollback.js';
import { registerRunbook } from './commands/runbook.js';
import { registerSchedules } from './commands/schedules.js';
import { registerServe } from './commands/serve.js';
import { registerSnapshot } from './commands/snapshot.js';
import { registerSnapshots } from './commands/snapshots.js';
import { registerStats } from './commands/stats.js';
import { registerToken } from './commands/token.js';
import { lastExitCode } from './run.js';
import { VERSION } from './version.js';

export function buildProgram(): Command {
  const program = new Command('cairn')
    .description('encrypted, deduplicated, immutable backups of release configuration')
    .version(VERSION)
    .option('--repo <location>', 'repository (default: $CAIRN_REPOSITORY, else ./.cairn)')
    .option('--config <file>', 'policy file (default: $CAIRN_CONFIG, else ./cairn.yaml)')
    .option('--password-file <file>', 'read the passphrase from a file (or CAIRN_PASSWORD, CAIRN_PASSWORD_FILE)')
    .option('--key-file <file>', 'open the repository with a key file (or CAIRN_KEY_FILE)')
    .option(
      '--key-provider <spec>',
      'open with a key provider: vault-transit:KEY or aws-kms:KEY (or CAIRN_KEY_PROVIDER)',
    )
    .option('--server <url>', 'talk to a cairn server instead of the repository (or CAIRN_SERVER)')
    .option('--token-file <file>', 'bearer token for the server (or CAIRN_TOKEN, CAIRN_TOKEN_FILE)')
    .option('--json', 'print one JSON document on stdout')
    .option('-q, --quiet', 'no progress or notes on stderr')
    .option('--debug', 'print stack traces of errors')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  program.addHelpText(
    'after',
    '\nEnvironment: CAIRN_REPOSITORY, CAIRN_PASSWORD, CAIRN_PASSWORD_FILE, CAIRN_KEY_FILE, CAIRN_CONFIG,\n' +
      'CAIRN_HOME (local state; default $XDG_STATE_HOME/cairn or ~/.local/state/cairn), CAIRN_CATALOG_URL (postgres://…),\n' +
      'CAIRN_SERVER and CAIRN_TOKEN / CAIRN_TOKEN_FILE (run commands through a cairn server), CAIRN_CA_FILE (its CA).\n' +
      'Exit codes: 0 ok, 1 failed, 2 bad usage or invalid policy, 3 snapshot written but some files unreadable.',
  );
  registerInit(program);
  registerKey(program);
  registerSnapshot(program);
  registerSnapshots(program);
  registerDeploy(program);
  registerGate(program);
  registerDrift(program);
  registerStats(program);
  registerSchedules(program);
  registerBrowse(program);
  registerRestore(program);
  registerCheck(program);
  registerReplicate(program);
  registerRepair(program);
  registerRetention(program);
  registerHold(program);
  registerPolicy(program);
  registerCatalog(program);
  registerServe(program);
  registerToken(program);
  registerAccess(program);
  registerApprovals(program);
  registerMfa(program);
  registerAudit(program);
  registerRollback(program);
  registerRunbook(program);
  registerDrill(program);
  registerGaps(program);
  registerReport(program);
  registerCoverage(program);
  registerAlerts(program);
  for (const cmd of program.commands) {
    cmd.exitOverride();
    for (const sub of cmd.commands) sub.exitOverride();
  }
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  const wantsJson = argv.includes('--json');
  const debug = argv.includes('--debug');
  try {
    await program.parseAsync([...argv]);
    return lastExitCode();
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
      // Help asked for is 0; help shown because no (known) subcommand was given is a usage error.
      if (err.code === 'commander.help' && err.exitCode === 0) return 0;
      if (err.code === 'commander.executeSubCommandAsync') return ExitCode.failed;
      // commander has already told people on stderr; machines reading --json get the error document too.
      if (wantsJson) {
        const message =
          err.code === 'commander.help' ? 'a subcommand is needed (see --help)' : err.message.replace(/^error: /, '');
        process.stdout.write(`${JSON.stringify({ error: { code: 'CAIRN_E_USAGE', message } }, null, 2)}\n`);
      }
      return ExitCode.usage;
    }
    const e = isCairnError(err) ? err : internal(err);
    if (wantsJson) process.stdout.write(`${JSON.stringify({ error: e.toJSON() }, null, 2)}\n`);
    process.stderr.write(`cairn: ${e.code}: ${e.message}\n`);
    if (debug && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return e.exitCode;
  }
}

function internal(err: unknown): CairnError {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: string } | null)?.code;
  if (code === 'ENOSPC') return new CairnError('CAIRN_E_STORAGE', `disk full: ${message}`);
  if (code === 'EACCES' || code === 'EPERM') return new CairnError('CAIRN_E_STORAGE', `permission denied: ${message}`);
  return new CairnError('CAIRN_E_CHECK_FAILED', `internal error: ${message} (run with --debug for details)`);
}
