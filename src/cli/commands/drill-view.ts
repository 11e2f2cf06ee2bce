import type { DrillRecord, DrillSignoff, GapRecord } from '../../catalog/index.js';
import { formatDuration } from '../../policy/index.js';
import { fmtBytes, table } from '../output.js';

/** How `cairn drill` and `cairn gaps` show drills and gaps to people (--json prints the records). */

const OUTPUT_LINES = 3;

function dur(ms: number | null): string {
  return ms === null ? '-' : formatDuration(ms);
}

function statusWord(r: DrillRecord): string {
  if (r.status === 'awaiting-signoff') return `AWAITING SIGN-OFF by ${r.signoffRequired.join(', ')}`;
  return r.status.toUpperCase();
}

function against(ms: number | null, sla: number | null): string {
  if (ms === null) return '-';
  if (sla === null) return `${dur(ms)} (no SLA in the tier)`;
  return `${dur(ms)} vs SLA ${dur(sla)}: ${ms <= sla ? 'ok' : 'BREACHED'}`;
}

export function renderDrill(r: DrillRecord & { signoffs?: readonly DrillSignoff[] }): string {
  const res = r.result;
  const lines = [
    `drill ${r.id} (plan ${r.plan}${r.kind === 'staging' ? ', staging restore' : ''}): ${statusWord(r)}`,
    `  started ${r.startedAt} by ${r.actor} (${r.trigger})${r.finishedAt ? `, finished ${r.finishedAt}` : ''}`,
  ];
  if (res) {
    const sb = res.sandbox;
    const where = sb.cleaned ? 'deleted' : 'kept';
    lines.push(
      `  sandbox ${sb.path} (${sb.isolated ? 'isolated: no network, read-only outside' : 'NOT isolated'}; ${where})`,
    );
    lines.push('', 'items:');
    for (const i of res.items) {
      const snap = i.snapshotId ? `snapshot ${i.snapshotId.slice(0, 12)} (state ${i.stateAt})` : 'no snapshot';
      const files = `${i.files} file${i.files === 1 ? '' : 's'}`;
      const what = i.ok ? `${files}, ${fmtBytes(i.bytes)} in ${dur(i.restoreMs)}` : `FAILED: ${i.error ?? ''}`;
      lines.push(`  ${i.ok ? 'ok  ' : 'FAIL'} ${i.item}  ${snap}  ${what}`);
    }
    lines.push('', 'validators:');
    if (res.validators.length === 0) lines.push('  (none in the plan)');
    for (const v of res.validators) {
      lines.push(
        `  ${v.ok ? 'ok  ' : 'FAIL'} ${v.item}  ${v.label}  (${dur(v.durationMs)}${v.timedOut ? ', timed out' : ''})`,
      );
      // A passing baseline comparison still says what it found (its last line: "no differences", …).
      if (v.ok && v.kind === 'baseline') lines.push(`         | ${v.output.trim().split('\n').pop()?.slice(0, 200)}`);
      if (!v.ok) {
        const out = v.output.trim().split('\n').filter(Boolean).slice(0, OUTPUT_LINES);
        for (const l of out) lines.push(`         | ${l.slice(0, 200)}`);
      }
    }
    lines.push('', res.gaps.length === 0 ? 'gaps: none' : `gaps (${res.gaps.length}):`);
    for (const g of res.gaps) lines.push(`  ${g.item}  ${g.category}  ${g.message}`);
    const warnings = (res as { warnings?: readonly string[] }).warnings ?? [];
    for (const w of warnings) lines.push(`  warning: ${w}`);
    if (res.error) lines.push('', `stopped: ${res.error}`);
  }
  // RTO is compared with the SLA only when every item was restored (withinSla is null otherwise).
  const notRestored = res?.items.filter((i) => !i.ok).length ?? 0;
  const rto =
    notRestored > 0
      ? `not measured (${notRestored} item${notRestored === 1 ? '' : 's'} not restored)`
      : against(r.rtoMs, r.rtoSlaMs);
  lines.push(
    '',
    `RTO ${rto} (restore ${dur(r.restoreMs)}, validate ${dur(r.validateMs)})`,
    `RPO ${against(r.rpoMs, r.rpoSlaMs)} (worst item)`,
  );
  if (r.signoffs !== undefined && r.signoffRequired.length > 0) {
    const signed = r.signoffs.map((s) => `${s.team} by ${s.subject} at ${s.at}`);
    lines.push(
      `sign-off: ${signed.length > 0 ? signed.join('; ') : 'none yet'} (needs ${r.signoffRequired.join(', ')})`,
    );
  }
  lines.push(`status: ${r.status}`);
  return lines.join('\n');
}

export function renderDrills(drills: readonly DrillRecord[]): string {
  if (drills.length === 0) return 'no drills recorded';
  return table(
    ['ID', 'PLAN', 'KIND', 'STATUS', 'STARTED', 'RTO', 'RPO', 'SLA', 'GAPS'],
    drills.map((d) => [
      d.id,
      d.plan,
      d.kind,
      d.status,
      d.startedAt,
      dur(d.rtoMs),
      dur(d.rpoMs),
      d.withinSla === null ? '-' : d.withinSla ? 'met' : 'BREACHED',
      String(d.result?.gaps.length ?? '-'),
    ]),
  );
}

export function renderGaps(gaps: readonly GapRecord[]): string {
  if (gaps.length === 0) return 'no open gaps';
  return table(
    ['ITEM', 'CATEGORY', 'KEY', 'OPENED', 'LAST DRILL', 'CLOSED'],
    gaps.map((g) => [g.item, g.category, g.key, g.openedAt, g.lastDrill, g.closedAt ?? '-']),
  );
}
