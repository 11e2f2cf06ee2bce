import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { type AuditLog, canonicalJson } from '../../audit/index.js';
import { CairnError } from '../../errors/index.js';
import type { Policy } from '../../policy/index.js';
import type { Session } from '../session.js';
import { computeFigures } from './compute.js';
import { factsFromCatalog } from './facts.js';
import { parseMonth } from './month.js';
import type { MonthlyReport, MonthRange } from './types.js';

export interface BuildReportOptions {
  readonly month: string; // YYYY-MM
  readonly now?: Date;
  /** "cairn <version>", written into the report. */
  readonly generator?: string;
}

/**
 * `cairn report --month`: a checkpoint first, so every event of the month is sealed and signed
 * (verify reads them from there), then the figures from the catalog's facts (docs/REPORTS.md).
 * A month without data gives an honest report of zeros; a month that has not begun is refused.
 */
export async function buildMonthlyReport(
  session: Pick<Session, 'repo' | 'catalog'>,
  policy: Policy,
  log: Pick<AuditLog, 'checkpoint' | 'store'>,
  o: BuildReportOptions,
): Promise<MonthlyReport> {
  const range = parseMonth(o.month);
  const now = o.now ?? new Date();
  // `until` is exclusive: one millisecond past now, so an event recorded in the very millisecond the
  // report starts (a forget just before `cairn report`) is in it, as it is in the checkpoint sealed next.
  const until = reportUntil(range, new Date(now.getTime() + 1));
  await sealEverything(log);
  const facts = await factsFromCatalog(session, range, until);
  return {
    kind: 'cairn-monthly-report',
    version: 1,
    month: range.month,
    from: range.start.toISOString(),
    until: until.toISOString(),
    complete: until.getTime() === range.end.getTime(),
    generatedAt: now.toISOString(),
    generator: o.generator ?? 'cairn',
    repository: session.repo.id,
    organisation: policy.organisation ?? null,
    policy: { file: policy.file, sha256: await policySha256(policy) },
    figures: computeFigures(facts, policy),
  };
}

/** A checkpoint unless the last one already vouches for the head: every event so far is then signed. */
async function sealEverything(log: Pick<AuditLog, 'checkpoint' | 'store'>): Promise<void> {
  const [head, last] = await Promise.all([log.store.head(), log.store.lastCheckpoint()]);
  if (last?.seq !== head.seq || last.hash !== head.hash) await log.checkpoint();
}

/** The month's end, or now for the current month; a month that has not begun has nothing to report. */
export function reportUntil(range: MonthRange, now: Date): Date {
  if (now.getTime() <= range.start.getTime()) {
    throw new CairnError(
      'CAIRN_E_USAGE',
      `--month ${range.month} has not begun yet (it is ${now.toISOString().slice(0, 10)})`,
      {
        month: range.month,
      },
    );
  }
  return new Date(Math.min(range.end.getTime(), now.getTime()));
}

/** SHA-256 of the policy file's bytes, or of the parsed policy's canonical JSON when there is no file to read. */
export async function policySha256(policy: Policy): Promise<string> {
  const bytes = await readFile(policy.file).catch(() => Buffer.from(canonicalJson(policy)));
  return createHash('sha256').update(bytes).digest('hex');
}
