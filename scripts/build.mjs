// Bundles the CLI and its worker threads into dist/ with esbuild: one file each, so a command
// starts without resolving hundreds of modules (half the start-up CPU of the unbundled tree).
// Native addons, optional drivers, pdfkit (it reads its font metrics from its package) and the AWS SDK (S3, KMS: loaded only for s3:// repositories and
// aws-kms keys) stay external and load from node_modules only when used.
// The bundle is built beside dist/ and swapped in by rename, so a command started during a build
// never finds dist/ half-written or missing.
import { renameSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const next = `dist.next-${process.pid}`;
const old = `dist.old-${process.pid}`;
rmSync(next, { recursive: true, force: true });
await build({
  entryPoints: {
    cairn: 'src/cli/index.ts',
    'snapshot-worker': 'src/services/snapshot-worker.ts',
    'seal-worker': 'src/repo/seal-worker.ts',
  },
  outdir: next,
  bundle: true,
  platform: 'node',
  format: 'esm',
  // Code loaded with import() (the server, for `serve`; Argon2id) goes into chunks of its own, so a
  // command parses and evaluates only what it uses: start-up is most of a short command's time.
  splitting: true,
  // Beside the entry points: worker threads are found as siblings of the module that starts them
  // (src/repo/thread-pool.ts), and that module may be in a chunk.
  chunkNames: '[name]-[hash]',
  target: 'node20',
  sourcemap: true,
  external: ['better-sqlite3', 'zstd-napi', 'pg', 'pg-native', '@aws-sdk/*', 'pdfkit'],
  // Bundled CommonJS dependencies call require(): give the ESM bundle one.
  banner: { js: "import { createRequire as __cairnRequire } from 'node:module'; const require = __cairnRequire(import.meta.url);" },
  logLevel: 'warning',
});
try {
  renameSync('dist', old);
} catch (err) {
  if (err.code !== 'ENOENT') throw err;
}
renameSync(next, 'dist');
rmSync(old, { recursive: true, force: true });
