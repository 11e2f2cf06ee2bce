/**
 * Catalog search at scale: `node --import tsx bench/catalog-search.ts` loads a generated two-year history
 * (bench/lib/catalog/history.ts) into a fresh catalog opened with openCatalog, on each dialect, and times
 * findSnapshots for the searches in bench/lib/catalog/queries.ts. Prints a table, writes
 * bench/work/catalog-search.json (timings, load times, and the plan of every statement of one search).
 *   BENCH_ROWS      snapshot rows (1000000); about one verification per three snapshots comes on top
 *   BENCH_DIALECTS  "sqlite postgres"          BENCH_PG_URL  postgres://postgres@127.0.0.1:5432/test
 *   BENCH_REPEATS   searches per kind (200), each with another value; BENCH_QUERY_SECONDS caps a kind (20)
 *   BENCH_CHECK     searches per kind whose hits are checked against an in-memory reference (3); a wrong hit
 *                   fails the run
 *   BENCH_EXPLAIN   1 prints the plans too
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type Catalog, openCatalog, type SnapshotFilter } from '../src/catalog/index.js';
import { generateHistory, type History } from './lib/catalog/history.js';
import { type Inspector, type PostgresInspector, postgresInspector, sqliteInspector } from './lib/catalog/inspector.js';
import { queryKinds } from './lib/catalog/queries.js';
import { Reference } from './lib/catalog/reference.js';

const rows = Number(process.env.BENCH_ROWS || 1_000_000);
const dialects = (process.env.BENCH_DIALECTS || 'sqlite postgres').split(/\s+/).filter(Boolean);
const repeats = Number(process.env.BENCH_REPEATS || 200);
const budgetMs = Number(process.env.BENCH_QUERY_SECONDS || 20) * 1000;
const pgUrl = process.env.BENCH_PG_URL || 'postgres://postgres@127.0.0.1:5432/test';
const showPlans = process.env.BENCH_EXPLAIN === '1';
const checks = Number(process.env.BENCH_CHECK ?? 3);
const out = join(import.meta.dirname ?? '.', 'work', 'catalog-search.json');

interface Timing {
  dialect: string;
  query: string;
  samples: number;
  p50: number;
  p99: number;
  max: number;
  meanHits: number;
}

interface Loaded {
  dialect: string;
  target: Target;
  catalog?: Catalog;
  inspector?: Inspector;
}

const log = (line: string) => process.stderr.write(`${line}\n`);
const loadStart = loadavg()[0];

// Everything derived from the history is made before loading, so that the history (1.3 million
// records) can be dropped before the timing: a heap that size makes each full collection long enough
// to show in the p99 of whichever search it interrupts.
let started = performance.now();
let history: History | undefined = generateHistory(rows);
const generateMs = performance.now() - started;
const counts = {
  rows: history.snapshots.length,
  verifications: history.verifications.length,
  deployments: history.deployments,
  releases: history.releases,
};
log(`generated ${JSON.stringify(counts)} in ${(generateMs / 1000).toFixed(1)} s`);
const { warmUp, workload, expected } = searches(history);

const loaded: Loaded[] = [];
const loads: Record<string, unknown>[] = [];
const timings: Timing[] = [];
const plans: Record<string, Record<string, string[]>> = {};
const wrong: string[] = [];
try {
  for (const dialect of dialects) {
    const entry: Loaded = { dialect, target: await freshTarget(dialect) };
    loaded.push(entry);
    const catalog = await openCatalog(entry.target.options);
    entry.catalog = catalog;
    started = performance.now();
    await catalog.replaceAll(history.snapshots, history.verifications);
    const replaceAllMs = performance.now() - started;
    const rssMB = Math.round(process.memoryUsage().rss / 1048576);
    const inspector = entry.target.inspector();
    entry.inspector = inspector;
    started = performance.now();
    await entry.target.maintain?.();
    const maintainMs = entry.target.maintain ? performance.now() - started : undefined;
    const load = { dialect, replaceAllMs, maintainMs, rssMB, ...(await inspector.settings()) };
    loads.push(load);
    log(`loaded ${JSON.stringify(load)}`);
  }
  history = undefined;
  collectGarbage();

  for (const { dialect, catalog, inspector } of loaded) {
    if (!catalog || !inspector) continue;
    for (const filter of warmUp) await catalog.findSnapshots(filter);
    const byQuery: Record<string, string[]> = {};
    plans[dialect] = byQuery;
    for (const { name, filters } of workload) {
      const timing = await time(catalog, filters);
      timings.push({ dialect, query: name, ...timing });
      log(`${dialect.padEnd(8)} ${name.padEnd(30)} p50 ${ms(timing.p50)} p99 ${ms(timing.p99)} (${timing.samples}×)`);
      byQuery[name] = await inspector.plans(filters[0] ?? {});
      if (showPlans) log(byQuery[name].join('\n\n'));
      for (const filter of filters.slice(0, checks)) {
        const got = (await catalog.findSnapshots(filter)).map((hit) => ({
          id: hit.id,
          verifications: hit.verifications.map((v) => v.id),
        }));
        if (JSON.stringify(got) !== JSON.stringify(expected.get(filter))) {
          wrong.push(`${dialect} ${name}: ${JSON.stringify(filter)}`);
        }
      }
    }
  }
} finally {
  for (const { target, catalog, inspector } of loaded) {
    await inspector?.close();
    await catalog?.close();
    await target.remove();
  }
}

printTable();
mkdirSync(join(out, '..'), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify(
    {
      time: new Date().toISOString(),
      machine: { cpus: cpus().length, model: cpus()[0]?.model, memoryGB: Math.round(totalmem() / 2 ** 30) },
      node: process.version,
      load: { start: loadStart, end: loadavg()[0] },
      ...counts,
      generateMs,
      loads,
      checked: { perKind: checks, wrong },
      timings,
      plans,
    },
    null,
    2,
  )}\n`,
);
log(`wrote ${out}`);
if (wrong.length > 0) {
  log(`WRONG HITS (against the in-memory reference) for:\n  ${wrong.join('\n  ')}`);
  process.exitCode = 1;
} else {
  log(`hits checked against the in-memory reference: ${checks} searches per kind and dialect, all right`);
}

/** The searches to time, and the right answers for the first `checks` of each kind. */
function searches(history: History) {
  const kinds = queryKinds(history);
  const warmUp = kinds.flatMap((kind) => kind.filters(5));
  const workload = kinds.map((kind) => ({ name: kind.name, filters: kind.filters(repeats) }));
  const reference = new Reference(history.snapshots, history.verifications);
  const expected = new Map(
    workload.flatMap(({ filters }) => filters.slice(0, checks).map((f) => [f, reference.find(f)])),
  );
  return { warmUp, workload, expected };
}

/** A full collection now, if V8 lets us ask for one, rather than in the middle of a timed search. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('typeof gc === "function" ? gc : undefined') as (() => void) | undefined;
  gc?.();
}

/** Runs each filter once, in order, until the list or the time budget runs out. */
async function time(catalog: Catalog, filters: readonly SnapshotFilter[]) {
  const took: number[] = [];
  let hits = 0;
  const deadline = performance.now() + budgetMs;
  for (const filter of filters) {
    const begin = performance.now();
    hits += (await catalog.findSnapshots(filter)).length;
    const end = performance.now();
    took.push(end - begin);
    if (end > deadline) break;
  }
  const rank = (values: number[], p: number) =>
    values.sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil(p * values.length) - 1)] ?? Number.NaN;
  return {
    samples: took.length,
    p50: rank(took, 0.5),
    p99: rank(took, 0.99),
    max: rank(took, 1),
    meanHits: hits / took.length,
  };
}

function ms(value: number): string {
  return `${value < 10 ? value.toFixed(2) : value.toFixed(0)} ms`;
}

function printTable(): void {
  const header = ['query', 'hits (mean)', ...dialects.flatMap((d) => [`${d} p50`, `${d} p99`])];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const { name } of workload) {
    const row = timings.filter((t) => t.query === name);
    const hits = row[0]?.meanHits ?? 0;
    const cells = dialects.flatMap((d) => {
      const t = row.find((r) => r.dialect === d);
      return t ? [ms(t.p50), ms(t.p99)] : ['', ''];
    });
    lines.push(`| ${[name, hits.toFixed(1), ...cells].join(' | ')} |`);
  }
  const [start, end] = [loadStart, loadavg()[0]].map((l) => l?.toFixed(1));
  console.log(
    `\nCatalog search, ${counts.rows} snapshots, ${counts.verifications} verifications ` +
      `(load ${start} → ${end}, ${cpus().length} cores)`,
  );
  console.log(lines.join('\n'));
}

interface Target {
  options: { sqlitePath?: string; url?: string; schema?: string };
  inspector(): Inspector;
  maintain?(): Promise<void>;
  remove(): Promise<void>;
}

async function freshTarget(dialect: string): Promise<Target> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'cairn-bench-catalog-'));
    const sqlitePath = join(dir, 'catalog.sqlite');
    return {
      options: { sqlitePath },
      inspector: () => sqliteInspector(sqlitePath),
      remove: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  if (dialect === 'postgres') {
    const schema = `cairn_bench_${randomBytes(6).toString('hex')}`;
    let inspector: PostgresInspector | undefined;
    return {
      options: { url: pgUrl, schema },
      inspector: () => {
        inspector = postgresInspector(pgUrl, schema);
        return inspector;
      },
      maintain: async () => inspector?.vacuumAnalyze(),
      remove: async () => {
        const dropper = postgresInspector(pgUrl, 'public');
        try {
          await dropper.dropSchema(schema);
        } finally {
          await dropper.close();
        }
      },
    };
  }
  throw new Error(`unknown dialect ${dialect}: BENCH_DIALECTS takes sqlite and postgres`);
}
