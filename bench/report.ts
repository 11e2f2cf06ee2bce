// Turns bench/run.sh's measurements into results JSON and a table of Cairn/peer ratios against the targets.
//   node --import tsx bench/report.ts --steps steps.tsv --corpus DIR --generated gen.json --one REL --out results.json
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

interface Row {
  value: number | null;
  rssKb: number | null;
  status: string;
  note: string;
}
type Steps = Map<string, Map<string, Row>>;

/** Repeated steps (the floors run three times) keep their fastest run. */
function readSteps(path: string): Steps {
  const steps: Steps = new Map();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line) continue;
    const [tool = '', step = '', value = '', rss = '', status = '', note = ''] = line.split('\t');
    const row: Row = { value: value ? Number(value) : null, rssKb: rss ? Number(rss) : null, status, note };
    const byStep = steps.get(tool) ?? new Map<string, Row>();
    const old = byStep.get(step);
    if (!old || (row.status === 'ok' && (old.status !== 'ok' || (row.value ?? 0) < (old.value ?? 0))))
      byStep.set(step, row);
    steps.set(tool, byStep);
  }
  return steps;
}

function corpusStats(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        files++;
        bytes += statSync(p).size;
      }
    }
  };
  if (existsSync(dir)) walk(dir);
  return { files, bytes };
}

function version(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return (r.stdout || r.stderr || 'missing').split('\n')[0]!.trim();
}

interface Metric {
  label: string;
  step: string;
  unit: 's' | 'MB';
  /** Cairn must be at most `target` × the reference (restic, or the floor named by `ref`). */
  target?: number;
  ref?: { tool: string; step: string };
}

const METRICS: Metric[] = [
  { label: 'initial snapshot', step: 'initial', unit: 's', target: 0.6 },
  { label: 'unchanged snapshot', step: 'unchanged', unit: 's', target: 2, ref: { tool: 'floor', step: 'walk' } },
  { label: 'snapshot after 1 % change', step: 'changed', unit: 's', target: 0.45 },
  { label: 'full restore', step: 'restore-full', unit: 's', target: 0.8 },
  { label: 'single small file restore', step: 'restore-one', unit: 's', target: 0.3 },
  { label: 'repository size, 1st snapshot', step: 'repo-initial-bytes', unit: 'MB', target: 0.7 },
  { label: 'repository size, 3 snapshots', step: 'repo-final-bytes', unit: 'MB' },
  { label: 'local cache/state', step: 'local-state-bytes', unit: 'MB' },
  { label: 'peak RSS (any step)', step: 'peak-rss', unit: 'MB', target: 1 },
];

function measured(steps: Steps, tool: string, step: string, unit: 's' | 'MB'): number | null {
  const byStep = steps.get(tool);
  if (!byStep) return null;
  if (step === 'peak-rss') {
    const rss = [...byStep.values()].filter((r) => r.status === 'ok' && r.rssKb !== null).map((r) => r.rssKb! / 1024);
    return rss.length ? Math.max(...rss) : null;
  }
  const row = byStep.get(step);
  if (row?.status !== 'ok' || row.value === null) return null;
  return unit === 'MB' ? row.value / 1e6 : row.value;
}

function fmt(n: number | null, digits = 2): string {
  return n === null ? '—' : n >= 100 ? n.toFixed(0) : n.toFixed(digits);
}

function main(): void {
  const { values: a } = parseArgs({
    options: {
      steps: { type: 'string' },
      corpus: { type: 'string' },
      generated: { type: 'string' },
      one: { type: 'string' },
      out: { type: 'string' },
    },
  });
  if (!a.steps || !a.corpus || !a.out) throw new Error('usage: report.ts --steps F --corpus DIR --out F');
  const steps = readSteps(a.steps);
  const tools = [...steps.keys()].filter((t) => !['floor', 'corpus', 'machine'].includes(t));
  const generated = a.generated && existsSync(a.generated) ? JSON.parse(readFileSync(a.generated, 'utf8')) : null;

  const comparisons = METRICS.map((m) => {
    const refTool = m.ref?.tool ?? 'restic';
    const refStep = m.ref?.step ?? m.step;
    const cairn = measured(steps, 'cairn', m.step, m.unit);
    const reference = measured(steps, refTool, refStep, m.unit);
    const ratio = cairn !== null && reference ? cairn / reference : null;
    const verdict = m.target === undefined ? 'info' : ratio === null ? 'pending' : ratio <= m.target ? 'PASS' : 'FAIL';
    return {
      metric: m.label,
      unit: m.unit,
      reference: `${refTool} ${refStep}`,
      target: m.target ?? null,
      cairn,
      referenceValue: reference,
      ratio,
      verdict,
    };
  });

  const results = {
    date: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryGB: Math.round(totalmem() / 2 ** 30),
      kernel: release(),
      node: process.version,
      restic: version('restic', ['version']),
      borg: version('borg', ['--version']),
    },
    corpus: { ...corpusStats(a.corpus), singleFile: a.one ?? null, generated },
    steps: Object.fromEntries([...steps].map(([tool, byStep]) => [tool, Object.fromEntries(byStep)])),
    comparisons,
  };
  writeFileSync(a.out, `${JSON.stringify(results, null, 2)}\n`);

  const floor = (step: string) => fmt(measured(steps, 'floor', step, 's'));
  const c = results.corpus;
  console.log(
    `\nCorpus: ${c.files} files, ${(c.bytes / 1e6).toFixed(0)} MB after the 1 % change; ${results.machine.cpus} × ${results.machine.cpuModel}`,
  );
  console.log(
    `Floors (best of 3, warm cache): metadata walk ${floor('walk')} s; read every byte ${floor('read-all')} s ` +
      `(node, one 1 MiB buffer), ${floor('cat-all')} s (find | xargs cat)`,
  );
  const load = (step: string) => steps.get('machine')?.get(step)?.value ?? '?';
  console.log(`Load average (1 min, 2 cores shared): ${load('load-start')} at start, ${load('load-end')} at end\n`);
  const header = ['metric', ...tools, 'cairn ÷ ref', 'target', 'result'];
  const rows = comparisons.map((x) => {
    const m = METRICS.find((y) => y.label === x.metric)!;
    const unit = x.unit === 's' ? ' (s)' : ' (MB)';
    const target = x.target === null ? '' : `≤ ${x.target} × ${m.ref ? 'walk' : 'restic'}`;
    return [
      x.metric + unit,
      ...tools.map((t) => fmt(measured(steps, t, m.step, m.unit))),
      fmt(x.ratio),
      target,
      x.verdict,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  console.log(line(header));
  for (const r of rows) console.log(line(r));
  const failed = [...steps].flatMap(([tool, byStep]) =>
    [...byStep].filter(([, r]) => r.status !== 'ok').map(([step, r]) => `${tool} ${step}: ${r.status} ${r.note}`),
  );
  if (failed.length) console.log(`\nNot measured:\n  ${failed.join('\n  ')}`);
  console.log(`\nResults: ${a.out}`);
}

main();
