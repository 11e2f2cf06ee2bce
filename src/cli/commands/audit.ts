import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { AUDIT_RESULTS, type AuditExportFormat, type AuditVerifyResult, exportAudit } from '../../audit/index.js';
import type { AuditEventFilter, AuditEventRecord, AuditResult } from '../../catalog/index.js';
import { CairnError, ExitCode } from '../../errors/index.js';
import { parseSearchTime as parseTime, verifyAuditTrail } from '../../services/index.js';
import { table } from '../output.js';
import type { Query } from '../remote.js';
import { action } from '../run.js';
import { VERSION } from '../version.js';
import { parseLimit } from './snapshots.js';

interface FilterOptions {
  since?: string;
  until?: string;
  identity?: string;
  action?: string;
  result?: AuditResult;
  target?: string;
  limit?: string;
}

/**
 * The audit trail (docs/AUDIT.md): search it, verify its chain and signed checkpoints, export it.
 * Locally it reads the repository's catalog; with CAIRN_SERVER, the server's.
 */
export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('the tamper-evident audit log: log, verify, export');
  filters(
    audit
      .command('log')
      .description('audit events, oldest first (who did what, when, from where, with what result)')
      .option('--newest', 'newest first (with --limit: the latest N)'),
  ).action(
    action(async (ctx, opts: FilterOptions & { newest?: boolean }) => {
      const order = opts.newest ? 'newest' : 'seq';
      const remote = ctx.remote();
      const events: readonly AuditEventRecord[] = remote
        ? (
            await remote.call<{ events: AuditEventRecord[] }>('GET', '/api/v1/audit/events', {
              query: { ...remoteFilter(opts), order },
            })
          ).events
        : await (await ctx.governance()).audit.query({ ...localFilter(opts), order });
      ctx.out.result({ events }, () => renderEvents(events));
      return 0;
    }),
  );

  audit
    .command('verify')
    .description('check the hash chain and the signed checkpoints; names the first bad sequence number')
    .addHelpText(
      'after',
      '\nExit codes: 0 the trail verifies; 1 it does not (the first bad seq and the problem are printed:\n' +
        'edited, deleted, inserted, reordered, truncated, head-mismatch, bad-signature, …).',
    )
    .action(
      action(async (ctx) => {
        const remote = ctx.remote();
        const report: AuditVerifyResult = remote
          ? await remote.call('POST', '/api/v1/audit/verify')
          : await verifyAuditTrail(await ctx.session());
        ctx.out.result(report, () => renderVerify(report));
        return report.ok ? ExitCode.ok : ExitCode.failed;
      }),
    );

  filters(
    audit
      .command('export')
      .description('the matching events oldest first, one a line: JSON Lines (canonical, hashes checkable) or CEF')
      .addOption(new Option('--format <format>', 'jsonl or cef').choices(['jsonl', 'cef']).makeOptionMandatory())
      .option('--output <file>', 'write to FILE (atomically: a temporary file, then renamed) instead of stdout'),
  )
    .addHelpText(
      'after',
      '\nWith --json, --output is needed: the JSON document is the summary { format, events, output }.',
    )
    .action(
      action(async (ctx, opts: FilterOptions & { format: AuditExportFormat; output?: string }) => {
        if (ctx.out.json && !opts.output)
          throw new CairnError(
            'CAIRN_E_USAGE',
            'audit export prints lines, not one JSON document: with --json give --output FILE',
          );
        const remote = ctx.remote();
        const lines = remote
          ? remote.lines('/api/v1/audit/export', { format: opts.format, ...remoteFilter(opts) })
          : exportAudit((await ctx.governance()).audit.store, localFilter(opts), opts.format, { version: VERSION });
        if (!opts.output) {
          await writeToStdout(lines);
          return 0;
        }
        const output = resolve(opts.output);
        const events = await writeAtomically(output, lines);
        ctx.out.result(
          { format: opts.format, events, output },
          () => `wrote ${events} events (${opts.format}) to ${output}`,
        );
        return 0;
      }),
    );
}

function filters(cmd: Command): Command {
  return cmd
    .option('--since <time>', 'at or after (ISO 8601 date or time)')
    .option('--until <time>', 'at or before (ISO 8601 date or time; a date includes that whole day, UTC)')
    .option('--identity <subject>', 'by this identity (token:ci-bot, oidc:alice, local:root@host)')
    .option('--action <action>', 'this action (snapshots.create), or a family (snapshots.*)')
    .addOption(new Option('--result <result>', 'with this result').choices(AUDIT_RESULTS))
    .option('--target <target>', 'on this target (a snapshot id, an item, a token id)')
    .option('--limit <n>', 'at most this many');
}

function checked(opts: FilterOptions): void {
  if (opts.since) parseTime(opts.since, '--since');
  if (opts.until) parseTime(opts.until, '--until');
  if (opts.limit) parseLimit(opts.limit);
  if (opts.action && !/^[a-z0-9.*-]+$/.test(opts.action))
    throw new CairnError(
      'CAIRN_E_USAGE',
      `--action ${opts.action}: actions are dotted lowercase words, e.g. restore.run or auth.*`,
    );
}

function localFilter(opts: FilterOptions): AuditEventFilter {
  checked(opts);
  return {
    ...(opts.since ? { since: parseTime(opts.since, '--since').toISOString() } : {}),
    ...(opts.until ? { until: parseTime(opts.until, '--until', true).toISOString() } : {}),
    ...(opts.identity ? { identity: opts.identity } : {}),
    ...(opts.action ? { action: opts.action } : {}),
    ...(opts.result ? { result: opts.result } : {}),
    ...(opts.target ? { target: opts.target } : {}),
    ...(opts.limit ? { limit: parseLimit(opts.limit) } : {}),
  };
}

/** The same filter as query parameters: the server gives times the CLI's meaning (until inclusive). */
function remoteFilter(opts: FilterOptions): Query {
  checked(opts);
  const { since, until, identity, action, result, target, limit } = opts;
  return { since, until, identity, action, result, target, limit };
}

function renderEvents(events: readonly AuditEventRecord[]): string {
  if (events.length === 0) return 'no events match';
  return table(
    ['SEQ', 'TIME', 'IDENTITY', 'ACTION', 'TARGET', 'RESULT', 'CHANGE', 'FROM'],
    events.map((e) => [
      String(e.seq),
      e.time.replace('T', ' ').slice(0, 23),
      e.identity,
      e.action,
      e.target === null ? '-' : e.target.length > 40 ? `${e.target.slice(0, 39)}…` : e.target,
      e.result,
      e.changeId ?? '-',
      e.ip ?? (e.userAgent === 'cairn-cli' ? 'cli' : '-'),
    ]),
  );
}

function renderVerify(r: AuditVerifyResult): string {
  const checkpoints =
    r.checkpoints === 0
      ? 'no signed checkpoints yet (the events are protected by the chain alone)'
      : `${r.checkpoints} signed checkpoints${r.contentsChecked ? ', their sealed copies compared event by event' : ''}`;
  if (r.ok) return `audit trail verified: ${r.events} events; ${checkpoints}`;
  const bad = r.firstBad!;
  return [
    `audit trail FAILED verification at seq ${bad.seq}: ${bad.problem}: ${bad.message}`,
    `${r.events} events verified before it; ${checkpoints}`,
  ].join('\n');
}

/** Lines to stdout in batches, waiting when the reader is slower; a reader that stops early (`| head`) is no error. */
async function writeToStdout(lines: AsyncIterable<string>): Promise<void> {
  let failed: NodeJS.ErrnoException | undefined;
  const onError = (err: NodeJS.ErrnoException) => {
    failed ??= err;
  };
  process.stdout.on('error', onError);
  try {
    for await (const chunk of batches(lines)) {
      if (failed) break;
      if (!process.stdout.write(chunk)) await once(process.stdout, 'drain').catch(() => {});
    }
  } finally {
    process.stdout.off('error', onError);
  }
  if (failed && failed.code !== 'EPIPE') throw failed;
}

/** Lines to a temporary file beside `file`, flushed, then renamed over it: a reader never sees half an export. */
async function writeAtomically(file: string, lines: AsyncIterable<string>): Promise<number> {
  const tmp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(tmp, 'wx', 0o600);
  } catch (err) {
    throw new CairnError('CAIRN_E_USAGE', `--output ${file} cannot be written: ${(err as Error).message}`);
  }
  let count = 0;
  try {
    for await (const chunk of batches(lines, (n) => (count += n))) await fh.write(chunk);
    await fh.sync();
    await fh.close();
    await rename(tmp, file);
  } catch (err) {
    await fh.close().catch(() => {});
    await rm(tmp, { force: true });
    throw err;
  }
  return count;
}

async function* batches(lines: AsyncIterable<string>, counted: (n: number) => void = () => {}): AsyncGenerator<string> {
  let batch: string[] = [];
  for await (const line of lines) {
    batch.push(line);
    if (batch.length >= 500) {
      counted(batch.length);
      yield `${batch.join('\n')}\n`;
      batch = [];
    }
  }
  if (batch.length > 0) {
    counted(batch.length);
    yield `${batch.join('\n')}\n`;
  }
}
