// Summarises bench/release.sh's steps file: the median pipeline round (pre-deploy + gate + post-deploy)
// for Cairn and restic's two backups, and drift against the metadata walk.
//   node --import tsx bench/release-summary.ts STEPS.tsv
import { readFileSync } from 'node:fs';

interface Row {
  tool: string;
  step: string;
  value: number;
  rss: number;
  status: string;
}

const rows: Row[] = readFileSync(process.argv[2] ?? '', 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((line) => {
    const [tool = '', step = '', value = '', rss = '', status = ''] = line.split('\t');
    return { tool, step, value: Number(value), rss: Number(rss), status };
  });

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0
    ? Number.NaN
    : s.length % 2
      ? s[(s.length - 1) / 2]!
      : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const of = (tool: string, prefix: string) =>
  rows.filter((r) => r.tool === tool && (r.step === prefix || r.step.startsWith(`${prefix}-`)) && r.status === 'ok');
const failed = rows.filter((r) => r.status !== 'ok');

const rounds = new Map<string, number>();
for (const r of rows.filter((x) => x.tool === 'cairn' && /^(pre-deploy|gate|post-deploy)-\d+$/.test(x.step))) {
  const n = r.step.split('-').pop()!;
  rounds.set(n, (rounds.get(n) ?? 0) + (r.status === 'ok' ? r.value : Number.NaN));
}
const serveRounds = new Map<string, number>();
for (const r of rows.filter((x) => x.tool === 'cairn-serve' && /^(pre-deploy|gate|post-deploy)-\d+$/.test(x.step))) {
  const n = r.step.split('-').pop()!;
  serveRounds.set(n, (serveRounds.get(n) ?? 0) + (r.status === 'ok' ? r.value : Number.NaN));
}
const resticRounds = new Map<string, number>();
for (const r of rows.filter((x) => x.tool === 'restic' && /^(pre-deploy|post-deploy)-\d+$/.test(x.step))) {
  const n = r.step.split('-').pop()!;
  resticRounds.set(n, (resticRounds.get(n) ?? 0) + (r.status === 'ok' ? r.value : Number.NaN));
}
const fmt = (s: number) => (Number.isFinite(s) ? `${s.toFixed(2)} s` : 'n/a');
const fact = (tool: string, step: string) => rows.find((r) => r.tool === tool && r.step === step)?.value;

const lines = [
  `| | median | all rounds |`,
  `|---|---|---|`,
  `| Cairn: deploy start (pre-deploy capture) | ${fmt(median(of('cairn', 'pre-deploy').map((r) => r.value)))} | ${of(
    'cairn',
    'pre-deploy',
  )
    .map((r) => r.value)
    .join(', ')} |`,
  `| Cairn: gate | ${fmt(median(of('cairn', 'gate').map((r) => r.value)))} | ${of('cairn', 'gate')
    .map((r) => r.value)
    .join(', ')} |`,
  `| Cairn: deploy finish (post-deploy capture) | ${fmt(median(of('cairn', 'post-deploy').map((r) => r.value)))} | ${of(
    'cairn',
    'post-deploy',
  )
    .map((r) => r.value)
    .join(', ')} |`,
  `| **Cairn: the round (pre + gate + post)** | **${fmt(median([...rounds.values()]))}** | ${[...rounds.values()].map((v) => v.toFixed(2)).join(', ')} |`,
  `| Cairn through cairn serve: deploy start | ${fmt(median(of('cairn-serve', 'pre-deploy').map((r) => r.value)))} | ${of(
    'cairn-serve',
    'pre-deploy',
  )
    .map((r) => r.value)
    .join(', ')} |`,
  `| Cairn through cairn serve: gate | ${fmt(median(of('cairn-serve', 'gate').map((r) => r.value)))} | ${of(
    'cairn-serve',
    'gate',
  )
    .map((r) => r.value)
    .join(', ')} |`,
  `| Cairn through cairn serve: deploy finish | ${fmt(median(of('cairn-serve', 'post-deploy').map((r) => r.value)))} | ${of(
    'cairn-serve',
    'post-deploy',
  )
    .map((r) => r.value)
    .join(', ')} |`,
  `| **Cairn through cairn serve: the round** | **${fmt(median([...serveRounds.values()]))}** | ${[...serveRounds.values()].map((v) => v.toFixed(2)).join(', ')} |`,
  `| a CLI process that does nothing (\`cairn --version\`) | ${fmt(median(of('cairn-serve', 'startup').map((r) => r.value)))} | ${of(
    'cairn-serve',
    'startup',
  )
    .map((r) => r.value)
    .join(', ')} |`,
  `| restic: backup of the same 20 folders, twice (pre + post; no gate) | ${fmt(median([...resticRounds.values()]))} | ${[...resticRounds.values()].map((v) => v.toFixed(2)).join(', ')} |`,
  `| Cairn: drift over the whole corpus | ${fmt(median(of('cairn', 'drift').map((r) => r.value)))} | ${of(
    'cairn',
    'drift',
  )
    .map((r) => r.value)
    .join(', ')} |`,
  `| floor: metadata walk of the whole corpus (find -printf) | ${fmt(median(of('floor', 'walk').map((r) => r.value)))} | ${of(
    'floor',
    'walk',
  )
    .map((r) => r.value)
    .join(', ')} |`,
  '',
  `20 items: ${fact('corpus', 'files-20-items')} files; whole corpus: ${fact('corpus', 'files-whole')} files; load ${fact('machine', 'load-start')} → ${fact('machine', 'load-end')}.`,
  ...(failed.length > 0 ? ['', `FAILED steps: ${failed.map((r) => `${r.tool} ${r.step}`).join(', ')}`] : []),
];
console.log(lines.join('\n'));
if (failed.length > 0) process.exitCode = 1;
