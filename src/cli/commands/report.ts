import { createHash, randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { CairnError, ExitCode, errnoCode } from '../../errors/index.js';
import {
  type Figure,
  type GeneratedReport,
  generateReport,
  parseMonth,
  parseReportFile,
  REPORT_FORMATS,
  type ReportFormat,
  type ReportVerifyResult,
  recordReportGenerated,
  verifyReportFile,
} from '../../services/index.js';
import type { Context } from '../context.js';
import type { RemoteClient } from '../remote.js';
import { action } from '../run.js';
import { VERSION } from '../version.js';

interface ReportOptions {
  month?: string;
  format?: ReportFormat;
  out?: string;
}

/** `cairn report`: the auditors' monthly evidence report, signed; `cairn report verify FILE` (docs/REPORTS.md). */
export function registerReport(program: Command): void {
  const report = program
    .command('report')
    .description(
      "the auditors' monthly evidence report (coverage, retention, drills, exceptions, failures and alerts, " +
        'approvals, audit chain), signed with the audit key',
    )
    .option('--month <YYYY-MM>', 'the month (UTC), e.g. 2026-11 (required)')
    .addOption(
      new Option('--format <format>', 'html, pdf, csv or json (default: from --out, else html)').choices(
        REPORT_FORMATS,
      ),
    )
    .option('--out <file>', 'where to write it (default: cairn-report-YYYY-MM.<format>)')
    .addHelpText(
      'after',
      '\nEvery figure carries the ids of the snapshots and audit events it was computed from. The report is signed\n' +
        "(Ed25519, the repository's audit key) and `report.generated` with its SHA-256 is written to the audit log.\n" +
        'With --json the summary { file, format, month, complete, sha256, bodySha256, keyFingerprint, figures } is printed.\n' +
        'With CAIRN_SERVER, the server makes, signs and records it (needs reports.generate: auditor, admin)\n' +
        'and the file is written here.\n' +
        'Exit codes: 0 written; 2 bad --month or --format.',
    )
    .action(action(generate));

  report
    .command('verify <file>')
    .description('check the signature and recompute every figure from the repository and the signed audit checkpoints')
    .addHelpText(
      'after',
      '\nUses the policy given (--config); when it is not the one the report was made with, that is said.\n' +
        'With CAIRN_SERVER, the file is sent to the server, which verifies it with its repository and policy\n' +
        '(needs reports.generate).\n' +
        'Exit codes: 0 the report verifies; 1 a figure differs, the signature or the rendering does not match\n' +
        '(each differing figure is named with expected and found); 2 the file cannot be read or is not a report.',
    )
    .action(action(verify));
}

function formatOf(opts: ReportOptions): ReportFormat {
  if (opts.format) return opts.format;
  const ext = opts.out ? extname(opts.out).slice(1).toLowerCase() : '';
  if (ext === 'htm') return 'html';
  return (REPORT_FORMATS as readonly string[]).includes(ext) ? (ext as ReportFormat) : 'html';
}

async function generate(ctx: Context, opts: ReportOptions): Promise<number> {
  if (!opts.month)
    throw new CairnError('CAIRN_E_USAGE', 'give the month: cairn report --month YYYY-MM (or cairn report verify FILE)');
  const month = parseMonth(opts.month).month;
  const format = formatOf(opts);
  const out = resolve(opts.out ?? `cairn-report-${month}.${format}`);
  const remote = ctx.remote();
  let g: Pick<GeneratedReport, 'signed' | 'bytes' | 'sha256'>;
  if (remote) {
    // The server made, signed and recorded it (report.generated, as the token's identity).
    g = await fromServer(remote, month, format);
    await writeAtomically(out, g.bytes);
  } else {
    const { policy } = await ctx.policy();
    const session = await ctx.session();
    const log = (await ctx.governance()).audit;
    const made = await generateReport(session, policy, log, { month, format, generator: `cairn ${VERSION}` });
    g = made;
    await writeAtomically(out, g.bytes);
    const who = { identity: ctx.identity.subject, roles: [...ctx.identity.roles], ip: null, userAgent: 'cairn-cli' };
    await recordReportGenerated(log, who, { ...made, format, file: out });
    ctx.addAuditDetails({ month, format, sha256: g.sha256 });
  }
  const r = g.signed.report;
  const summary = {
    file: out,
    format,
    month,
    complete: r.complete,
    sha256: g.sha256,
    bodySha256: g.signed.signature.bodySha256,
    keyFingerprint: g.signed.signature.keyFingerprint,
    figures: r.figures.map(figureSummary),
  };
  ctx.out.result(summary, () =>
    [
      `wrote ${out} (${format}, ${g.bytes.length} bytes): the ${month} report${r.complete ? '' : ` so far (until ${r.until})`}, ${r.figures.length} figures`,
      `sha256 ${g.sha256}; signed by audit key ${g.signed.signature.keyFingerprint.slice(0, 16)}…`,
      ...r.figures.filter((f) => !isRows(f.value)).map((f) => `  ${f.id}: ${describe(f.value)}`),
    ].join('\n'),
  );
  return ExitCode.ok;
}

async function verify(ctx: Context, file: string): Promise<number> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new CairnError('CAIRN_E_USAGE', `${file} cannot be read (${errnoCode(err) ?? String(err)})`, { file });
  }
  const remote = ctx.remote();
  let result: ReportVerifyResult;
  if (remote) {
    result = await remote.call<ReportVerifyResult>('POST', '/api/v1/reports/verify', {
      query: { name: file.length <= 1024 ? file : basename(file) },
      raw: { bytes, contentType: 'application/octet-stream' },
    });
  } else {
    const { policy } = await ctx.policy();
    const session = await ctx.session();
    result = await verifyReportFile(session, policy, bytes, { name: file });
  }
  ctx.addAuditDetails({ file: resolve(file), month: result.month, ok: result.ok, sha256: result.file.sha256 });
  ctx.out.result(result, () => renderVerify(file, result));
  return result.ok ? ExitCode.ok : ExitCode.failed;
}

/** GET /api/v1/reports/:month: the file's bytes, checked against the hash the server sent, and the signed report in it. */
async function fromServer(
  remote: RemoteClient,
  month: string,
  format: ReportFormat,
): Promise<Pick<GeneratedReport, 'signed' | 'bytes' | 'sha256'>> {
  const { bytes, headers } = await remote.download(`/api/v1/reports/${month}`, { format });
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const announced = headers['x-cairn-report-sha256'];
  if (announced !== sha256) {
    throw new CairnError(
      'CAIRN_E_SERVER',
      `${remote.server} sent a report whose SHA-256 (${sha256}) is not the one it announced (${String(announced)}): nothing written`,
    );
  }
  const { signed } = parseReportFile(bytes, `the report ${remote.server} sent`);
  return { signed, bytes, sha256 };
}

function renderVerify(file: string, r: ReportVerifyResult): string {
  const lines = [
    `${r.signature.valid ? 'signature ok' : 'SIGNATURE BAD'}: ${r.signature.message}`,
    ...(r.rendering.checked
      ? [
          r.rendering.matches
            ? `rendering ok: the ${r.file.format} is what the signed report renders to`
            : `RENDERING CHANGED in ${r.rendering.figures.join(', ')}`,
        ]
      : []),
    r.policy.matches
      ? 'policy: the same file the report was made with'
      : `policy differs: sha256 ${r.policy.sha256.slice(0, 16)}… is not the one the report was made with (figures use the policy given)`,
    ...r.differences.map(
      (d) => `DIFFERS ${d.id} (${d.problem}): expected ${d.expected}; found ${d.found}${d.note ? ` [${d.note}]` : ''}`,
    ),
    r.ok
      ? `ok: ${basename(file)} (${r.month}) — ${r.figures} figures recomputed from the repository and the signed audit checkpoints match, in ${(r.durationMs / 1000).toFixed(1)} s`
      : `${basename(file)} (${r.month}) does NOT verify: ${failures(r).join('; ')} (checked in ${(r.durationMs / 1000).toFixed(1)} s)`,
  ];
  return lines.join('\n');
}

/** What made a verify fail, for its last line: the signature, the rendering, the figures. */
export function failures(r: ReportVerifyResult): string[] {
  const out: string[] = [];
  if (!r.signature.valid) out.push('the signature does not hold');
  if (r.rendering.checked && !r.rendering.matches) {
    const n = r.rendering.figures.length;
    out.push(`the rendering of ${n} figure${n === 1 ? ' was' : 's were'} changed (${r.rendering.figures.join(', ')})`);
  }
  const d = r.differences.length;
  if (d > 0 || out.length === 0)
    out.push(
      `${d} figure${d === 1 ? '' : 's'} differ${d === 1 ? 's' : ''} from the repository's (${r.differences.map((x) => x.id).join(', ')})`,
    );
  return out;
}

function isRows(v: Figure['value']): v is { columns: string[]; rows: unknown[][] } {
  return typeof v === 'object' && v !== null && 'rows' in v && Array.isArray((v as { rows: unknown }).rows);
}

function describe(v: Figure['value']): string {
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function figureSummary(f: Figure): { id: string; label: string; value: unknown } {
  return { id: f.id, label: f.label, value: isRows(f.value) ? { rows: f.value.rows.length } : f.value };
}

async function writeAtomically(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, bytes, { flag: 'wx' });
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new CairnError('CAIRN_E_USAGE', `${path} cannot be written (${errnoCode(err) ?? String(err)})`, {
      file: path,
    });
  }
}
