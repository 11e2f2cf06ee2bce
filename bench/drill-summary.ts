// Summarises bench/drill.sh's steps file: Cairn's drill (RTO and its parts from the drill record, wall time)
// beside the peer's script (restic restore --verify + the same command + Ajv), and the monthly report at scale.
//   node --import tsx bench/drill-summary.ts STEPS.tsv
import { readFileSync } from 'node:fs';

interface Row {
  tool: string;
  step: string;
  value: string;
  status: string;
  note: string;
}

const rows: Row[] = readFileSync(process.argv[2] ?? '', 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((line) => {
    const [tool = '', step = '', value = '', , status = '', note = ''] = line.split('\t');
    return { tool, step, value, status, note };
  });

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
/** The values of the rounds of a step: `<prefix>-<n>` rows that are ok. */
const rounds = (tool: string, prefix: string) =>
  rows
    .filter(
      (r) => r.tool === tool && new RegExp(`^${prefix}-\\d+$`).test(r.step) && r.status === 'ok' && r.value !== '',
    )
    .map((r) => Number(r.value));
const fmt = (s: number) => (Number.isFinite(s) ? `${s.toFixed(2)} s` : 'n/a');
const line = (label: string, xs: number[]) =>
  `| ${label} | ${fmt(Math.min(...xs))} | ${fmt(median(xs))} | ${xs.map((x) => x.toFixed(2)).join(', ') || 'n/a'} |`;
const fact = (tool: string, step: string) => rows.find((r) => r.tool === tool && r.step === step)?.value;
const failed = rows.filter((r) => r.status === 'fail');

const isolated = rounds('cairn-drill', 'isolated');
const statuses = rows.filter((r) => r.tool === 'cairn-drill' && r.step.startsWith('status-')).map((r) => r.note);
const kinds = [
  ...new Set(rows.filter((r) => r.tool === 'cairn-drill' && r.step.startsWith('validator-')).map((r) => r.step)),
]
  .map((s) => s.replace(/^validator-/, '').replace(/-\d+$/, ''))
  .filter((k, i, a) => a.indexOf(k) === i);

const lines = [
  '| | min | median | all rounds |',
  '|---|---|---|---|',
  line('**Cairn: RTO** (drill record `rtoMs`)', rounds('cairn-drill', 'rto')),
  line('Cairn: restore (`restoreMs`)', rounds('cairn-drill', 'restore')),
  line('Cairn: validation (`validateMs`: validators + expiry scan)', rounds('cairn-drill', 'validate')),
  ...kinds.map((k) =>
    line(`Cairn: ${k} validators (sum of 20 items' \`durationMs\`)`, rounds('cairn-drill', `validator-${k}`)),
  ),
  line('Cairn: wall time of `cairn drill run --json`', rounds('cairn', 'drill')),
  line('**peer: restic restore --verify + the same command + Ajv** (wall time)', rounds('restic', 'drill')),
  '',
  `20 items: ${fact('corpus', 'files-20-items')} files, ${fact('corpus', 'bytes-20-items')} bytes, ` +
    `${fact('corpus', 'json-20-items')} JSON files. Set-up: snapshot of the 20 items ${fact('cairn', 'snapshot')} s, ` +
    `restic backup ${fact('restic', 'snapshot') ?? 'n/a'} s. Load ${fact('machine', 'load-start')} → ${fact('machine', 'load-end')}.`,
  `Sandbox isolated (unshare): ${isolated.length === 0 ? 'n/a' : isolated.every((x) => x === 1) ? 'yes, every drill' : isolated.some((x) => x === 1) ? 'in some drills' : 'no'}. ` +
    `Drill status: ${[...new Set(statuses)].join(' | ') || 'n/a'}.`,
];

const report = rows.filter((r) => r.tool === 'report');
const LABELS: Record<string, string> = {
  scale: 'wall time of bench/report-scale.ts (generation + the three commands)',
  snapshots: 'snapshots in the month',
  events: 'audit events in the month',
  'generate.snapshotsMs': 'generation: snapshot objects + catalog rows',
  'generate.eventsMs': 'generation: audit events through AuditLog (signed checkpoints)',
  'generate.checkpoints': 'generation: signed checkpoints',
  'reportJson.ms': '**`cairn report --format json`**',
  'reportJson.peakRssMb': '`report --format json`: peak RSS (MB)',
  'reportJson.bytes': '`report --format json`: output bytes',
  'reportHtml.ms': '**`cairn report --format html`**',
  'reportHtml.peakRssMb': '`report --format html`: peak RSS (MB)',
  'reportHtml.bytes': '`report --format html`: output bytes',
  'verify.ms': '**`cairn report verify` (the HTML)**',
  'verify.peakRssMb': '`report verify`: peak RSS (MB)',
  'verify.ok': '`report verify`: figures match',
};
if (report.length > 0) {
  lines.push('', '| monthly report at scale | value |', '|---|---|');
  for (const r of report) {
    const seconds = r.note === 's' || r.step === 'scale';
    const value = r.status === 'ok' ? `${r.value}${seconds ? ' s' : ''}` : `${r.status}: ${r.note}`;
    lines.push(`| ${LABELS[r.step] ?? r.step} | ${value} |`);
  }
}
if (failed.length > 0)
  lines.push('', `FAILED steps: ${failed.map((r) => `${r.tool} ${r.step} (${r.note})`).join('; ')}`);
console.log(lines.join('\n'));
if (failed.length > 0) process.exitCode = 1;
