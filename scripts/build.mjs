// Bundles the CLI and its worker threads into dist/ with esbuild: one file each, so a command
// starts without resolving hundreds of modules (half the start-up CPU of the unbundled tree).
// Native addons and optional drivers stay external and load only when used.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: {
    cairn: 'src/cli/index.ts',
    'snapshot-worker': 'src/services/snapshot-worker.ts',
    'seal-worker': 'src/repo/seal-worker.ts',
  },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  external: ['better-sqlite3', 'zstd-napi', 'pg', 'pg-native'],
  // Bundled CommonJS dependencies call require(): give the ESM bundle one.
  banner: { js: "import { createRequire as __cairnRequire } from 'node:module'; const require = __cairnRequire(import.meta.url);" },
  logLevel: 'warning',
});
