import { createHash } from 'node:crypto';
import { canonicalJson } from '../../audit/index.js';
import { CairnError } from '../../errors/index.js';
import type { Policy } from '../../policy/index.js';
import { RepositoryCheckpointStore } from '../audit-checkpoints.js';
import type { Session } from '../session.js';
import { policySha256 } from './collect.js';
import { computeFigures } from './compute.js';
import { factsFromRepository } from './facts.js';
import { isTable } from './figure-kit.js';
import { parseMonth } from './month.js';
import { parseReportFile } from './parse-file.js';
import { renderReport } from './render.js';
import { CSV_SIGNATURE_PREFIX } from './render-csv.js';
import { figureBlocks } from './render-html.js';
import { checkSignature } from './sign.js';
import type { Figure, FigureDifference, FigureValue, ReportFormat, ReportVerifyResult, SignedReport } from './types.js';

/**
 * `cairn report verify FILE`: the signature under the repository's pinned audit key, the rendered view
 * against what the signed body renders to, then every figure recomputed from the repository's objects
 * and the signed checkpoints' events (never the catalog's snapshot rows) and compared one by one.
 */
export async function verifyReportFile(
  session: Pick<Session, 'repo' | 'catalog'>,
  policy: Policy,
  bytes: Uint8Array,
  o: { name?: string } = {},
): Promise<ReportVerifyResult> {
  const started = performance.now();
  const { format, signed } = parseReportFile(bytes, o.name);
  const r = signed.report;
  const range = parseMonth(r.month, 'the report month');
  const until = new Date(r.until);
  if (!(until > range.start && until <= range.end)) {
    throw new CairnError('CAIRN_E_USAGE', `the report's until (${r.until}) is not within ${r.month}`);
  }
  const signature = checkSignature(signed, await new RepositoryCheckpointStore(session.repo).publicKey());
  const rendering = await checkRendering(format, signed, bytes);
  const sha = await policySha256(policy);
  const facts = await factsFromRepository(session, range, until);
  const expected = computeFigures(facts, policy);
  const present = new Set(facts.snapshots.map((s) => s.id));
  const differences = compareFigures(expected, r.figures, present);
  return {
    ok: signature.valid && rendering.matches && differences.length === 0,
    file: { format, sha256: createHash('sha256').update(bytes).digest('hex') },
    month: r.month,
    signature: { valid: signature.valid, keyFingerprint: signed.signature.keyFingerprint, message: signature.message },
    rendering,
    policy: { sha256: sha, matches: sha === r.policy.sha256 },
    figures: expected.length,
    differences,
    durationMs: Math.round(performance.now() - started),
  };
}

export function compareFigures(
  expected: readonly Figure[],
  found: readonly Figure[],
  present: ReadonlySet<string>,
): FigureDifference[] {
  const out: FigureDifference[] = [];
  const inFile = new Map(found.map((f) => [f.id, f]));
  for (const e of expected) {
    const f = inFile.get(e.id);
    inFile.delete(e.id);
    if (!f) {
      out.push({ id: e.id, label: e.label, problem: 'missing', expected: summary(e.value), found: '(absent)' });
      continue;
    }
    const gone = f.evidence.snapshots.filter((id) => !present.has(id));
    const note =
      gone.length > 0
        ? `${gone.length} snapshots named in its evidence are no longer in the repository (forgotten since the report was made?)`
        : undefined;
    if (canonicalJson(e.value) !== canonicalJson(f.value)) {
      out.push({ id: e.id, label: e.label, problem: 'value', ...diff(e.value, f.value), ...(note ? { note } : {}) });
    } else if (canonicalJson(e.evidence) !== canonicalJson(f.evidence)) {
      out.push({
        id: e.id,
        label: e.label,
        problem: 'evidence',
        expected: evidenceSummary(e),
        found: evidenceSummary(f),
        ...(note ? { note } : {}),
      });
    }
  }
  for (const f of inFile.values()) {
    out.push({
      id: f.id,
      label: f.label,
      problem: 'unexpected',
      expected: '(no such figure)',
      found: summary(f.value),
    });
  }
  return out;
}

function evidenceSummary(f: Figure): string {
  const e = f.evidence;
  return `${e.snapshots.length} snapshots, ${e.events.length} events, ${e.verifications?.length ?? 0} verifications, ${e.checkpoints?.length ?? 0} checkpoints`;
}

function clip(s: string): string {
  return s.length > 240 ? `${s.slice(0, 240)}…` : s;
}

function summary(v: FigureValue): string {
  return isTable(v) ? `${v.rows.length} rows` : clip(typeof v === 'object' ? canonicalJson(v) : String(v));
}

/** Expected vs found, at the first row that differs for tables. */
function diff(expected: FigureValue, found: FigureValue): { expected: string; found: string } {
  if (isTable(expected) && isTable(found)) {
    const n = Math.max(expected.rows.length, found.rows.length);
    for (let i = 0; i < n; i++) {
      const a = expected.rows[i];
      const b = found.rows[i];
      if (canonicalJson(a ?? null) !== canonicalJson(b ?? null)) {
        const row = (x: unknown) => (x === undefined ? '(no row)' : clip(canonicalJson(x)));
        return {
          expected: `${expected.rows.length} rows; row ${i + 1}: ${row(a)}`,
          found: `${found.rows.length} rows; row ${i + 1}: ${row(b)}`,
        };
      }
    }
  }
  return { expected: summary(expected), found: summary(found) };
}

/** HTML and CSV are re-rendered from the signed body and compared figure by figure; a PDF byte for byte. */
async function checkRendering(
  format: ReportFormat,
  signed: SignedReport,
  bytes: Uint8Array,
): Promise<ReportVerifyResult['rendering']> {
  if (format === 'json') return { checked: false, matches: true, figures: [] };
  const again = Buffer.from(await renderReport(signed, format));
  if (again.equals(Buffer.from(bytes))) return { checked: true, matches: true, figures: [] };
  const changed = new Set<string>();
  if (format === 'html') {
    const want = figureBlocks(again.toString('utf8'));
    const have = figureBlocks(Buffer.from(bytes).toString('utf8'));
    for (const id of new Set([...want.keys(), ...have.keys()])) if (want.get(id) !== have.get(id)) changed.add(id);
  } else if (format === 'csv') {
    const rows = (b: Buffer) =>
      b
        .toString('utf8')
        .split(/\r?\n/)
        .filter((l) => l !== '' && !l.startsWith(CSV_SIGNATURE_PREFIX));
    const want = rows(again);
    const have = rows(Buffer.from(bytes));
    const count = (ls: string[]) => {
      const m = new Map<string, number>();
      for (const l of ls) m.set(l, (m.get(l) ?? 0) + 1);
      return m;
    };
    const w = count(want);
    const h = count(have);
    for (const l of new Set([...want, ...have])) if (w.get(l) !== h.get(l)) changed.add(l.split(',')[0] ?? '');
  }
  if (changed.size === 0) changed.add(format === 'pdf' ? '(pages)' : '(layout)');
  return { checked: true, matches: false, figures: [...changed].sort() };
}
