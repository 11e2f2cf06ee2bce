/**
 * `cairn replicate --status` at scale: `node --import tsx bench/replication-status.ts` loads the search
 * benchmark's generated history (bench/lib/catalog/history.ts) into a fresh catalog per size and
 * dialect, then runs replicationStatus in a child process of its own, so that its peak RSS is the
 * status's alone and not the generator's. The replica is a listing-only stand-in that answers
 * list('snapshots/') with every snapshot older than the last BENCH_BEHIND_DAYS days, built from an id
 * file on each call as an S3 listing would be. Prints a table, writes bench/work/replication-status.json.
 *   BENCH_SIZES     snapshot rows per run ("100000 1000000")
 *   BENCH_DIALECTS  "sqlite postgres"; PostgreSQL at CAIRN_TEST_PG_URL, as for the catalog tests
 *   BENCH_BEHIND_DAYS  days of snapshots the replica lacks (7)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CatalogOptions, openCatalog } from '../src/catalog/index.js';
import { catalogTargets } from '../src/catalog/test-support.js';
import type { Repository } from '../src/repo/index.js';
import { replicationStatus } from '../src/services/index.js';
import type { ObjectInfo, Storage } from '../src/storage/index.js';
import { END, generateHistory } from './lib/catalog/history.js';

const log = (line: string) => process.stderr.write(`${line}\n`);

if (process.argv[2] === '--measure') await measure(JSON.parse(process.argv[3]!) as Job);
else await main();

interface Job {
  readonly options: CatalogOptions;
  readonly idFile: string;
}

async function main(): Promise<void> {
  const sizes = (process.env.BENCH_SIZES || '100000 1000000').split(/\s+/).filter(Boolean).map(Number);
  const dialects = (process.env.BENCH_DIALECTS || 'sqlite postgres').split(/\s+/).filter(Boolean);
  const behindMs = Number(process.env.BENCH_BEHIND_DAYS || 7) * 86_400_000;
  const dir = mkdtempSync(join(tmpdir(), 'cairn-replication-status-'));
  const results: Record<string, unknown>[] = [];
  try {
    for (const size of sizes) {
      let history: ReturnType<typeof generateHistory> | undefined = generateHistory(size);
      const idFile = join(dir, `replica-${size}.ids`);
      const cutoff = new Date(END - behindMs).toISOString();
      writeFileSync(
        idFile,
        history.snapshots
          .filter((s) => s.time < cutoff)
          .map((s) => s.id)
          .join('\n'),
      );
      for (const dialect of dialects) {
        const target = catalogTargets.find((t) => t.dialect === dialect);
        if (!target) throw new Error(`BENCH_DIALECTS: no dialect ${dialect}`);
        const { options, remove } = await target.fresh();
        try {
          const catalog = await openCatalog(options);
          try {
            await catalog.replaceAll(history.snapshots, history.verifications);
          } finally {
            await catalog.close();
          }
          const job: Job = { options, idFile };
          const out = execFileSync(
            process.execPath,
            [...process.execArgv, import.meta.filename, '--measure', JSON.stringify(job)],
            {
              encoding: 'utf8',
              stdio: ['ignore', 'pipe', 'inherit'],
            },
          );
          const result = { rows: history.snapshots.length, dialect, ...(JSON.parse(out) as object) };
          results.push(result);
          log(JSON.stringify(result));
        } finally {
          await remove();
        }
      }
      history = undefined;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const file = join(import.meta.dirname, 'work', 'replication-status.json');
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(
    file,
    `${JSON.stringify({ time: new Date().toISOString(), node: process.version, results }, null, 2)}\n`,
  );
  log(`wrote ${file}`);
}

/** In the child: one status, timed, with the process's peak RSS before and after. */
async function measure(job: Job): Promise<void> {
  const catalog = await openCatalog(job.options);
  try {
    const primary = listingOnly('bench:primary', () => []);
    const replica = listingOnly('bench:replica', () =>
      readFileSync(job.idFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((id) => ({ key: `snapshots/${id}`, size: 600 })),
    );
    const rssBefore = process.resourceUsage().maxRSS;
    const started = performance.now();
    const status = await replicationStatus(
      { storage: primary } as Repository,
      catalog,
      undefined,
      replica,
      new Date(END),
    );
    const ms = Math.round(performance.now() - started);
    const peakRssMB = Math.round(process.resourceUsage().maxRSS / 1024);
    process.stdout.write(
      JSON.stringify({
        ms,
        peakRssMB,
        rssBeforeMB: Math.round(rssBefore / 1024),
        items: status.items.length,
        replicaSnapshots: status.items.reduce((n, i) => n + i.replicated, 0),
        behind: status.behind,
      }),
    );
  } finally {
    await catalog.close();
  }
}

/** A storage that holds `config` and answers list('snapshots/'); the status reads nothing else. */
function listingOnly(location: string, snapshots: () => ObjectInfo[]): Storage {
  const no = (): never => {
    throw new Error(`${location}: not part of the benchmark`);
  };
  return {
    location,
    listsRetention: false,
    get: async (key) => (key === 'config' ? Buffer.from('bench config') : no()),
    list: async (prefix) => (prefix === 'snapshots/' ? snapshots() : no()),
    put: no,
    getRange: no,
    stat: no,
    delete: no,
    extendRetention: no,
    setLegalHold: no,
    repair: no,
    close: async () => {},
  };
}
