import type { Command } from 'commander';
import { sanitizeDetails } from '../audit/index.js';
import { Context } from './context.js';

/** A command's body: returns its exit code; errors propagate to main, which prints them. */
export type Body<A extends unknown[]> = (ctx: Context, ...args: A) => Promise<number>;

let exitCode = 0;

export function lastExitCode(): number {
  return exitCode;
}

/** Audit action names of CLI commands, the same names the server records for the same use case. */
const ACTIONS: Readonly<Record<string, string>> = {
  init: 'repository.init',
  snapshot: 'snapshots.create',
  snapshots: 'snapshots.search',
  show: 'snapshots.show',
  ls: 'snapshots.ls',
  diff: 'snapshots.diff',
  restore: 'restore.run',
  check: 'check.run',
  forget: 'forget',
  prune: 'prune',
  'key add': 'keys.add',
  'key list': 'keys.list',
  'key remove': 'keys.remove',
  'key rotate': 'keys.rotate',
  replicate: 'replication.run',
  repair: 'repair.run',
  'hold add': 'holds.add',
  'hold remove': 'holds.remove',
  'hold list': 'holds.list',
  stats: 'stats.show',
  schedules: 'schedules.list',
  'catalog rebuild': 'catalog.rebuild',
  'policy check': 'policy.check',
  'token create': 'tokens.create',
  'token list': 'tokens.list',
  'token revoke': 'tokens.revoke',
  'access request': 'access.request',
  'access list': 'access.list',
  'access approve': 'access.approve',
  'access deny': 'access.deny',
  'access revoke': 'access.revoke',
  'access cancel': 'access.cancel',
  'approvals list': 'approvals.list',
  'approvals show': 'approvals.show',
  'approvals grant': 'approvals.grant',
  'approvals deny': 'approvals.deny',
  'approvals cancel': 'approvals.cancel',
  'mfa enroll': 'mfa.enroll',
  'mfa confirm': 'mfa.confirm',
  'mfa reset': 'mfa.reset',
  'audit log': 'audit.log',
  'audit verify': 'audit.verify',
  'audit export': 'audit.export',
  drift: 'drift.run',
  gate: 'gate.evaluate',
  'deploy start': 'deployments.start',
  'deploy finish': 'deployments.finish',
  'deploy fail': 'deployments.fail',
  'deploy list': 'deployments.list',
  'deploy show': 'deployments.show',
  rollback: 'rollback.run',
  runbook: 'runbooks.read',
  coverage: 'coverage.read',
  'alerts list': 'alerts.list',
  'alerts show': 'alerts.show',
  'alerts ack': 'alerts.ack',
  'alerts resolve': 'alerts.resolve',
  'drill run': 'drills.run',
  'drill list': 'drills.list',
  'drill show': 'drills.show',
  'drill signoff': 'drills.signoff',
  gaps: 'gaps.list',
};

/**
 * Wires a body to commander: the last two arguments commander passes are the options and the command.
 * The command's outcome is recorded in the audit log when it opened the repository (Context.finish).
 */
export function action<A extends unknown[]>(body: Body<A>) {
  return async (...args: unknown[]): Promise<void> => {
    const cmd = args[args.length - 1] as Command;
    const ctx = Context.of(cmd);
    const positional = args
      .slice(0, -2)
      .flat()
      .filter((a): a is string => typeof a === 'string');
    const opts = cmd.opts<Record<string, unknown>>();
    const path = commandPath(cmd);
    ctx.setCommand({
      action: ACTIONS[path] ?? path.replaceAll(' ', '.'),
      target: positional.length > 0 ? positional.join(' ') : null,
      changeId: typeof opts.change === 'string' ? opts.change : null,
      details: sanitizeDetails(opts),
    });
    try {
      exitCode = await body(ctx, ...(args.slice(0, -1) as A));
    } catch (err) {
      await ctx.finish({ error: err }).catch(() => {});
      throw err;
    }
    await ctx.finish({ exitCode });
  };
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
