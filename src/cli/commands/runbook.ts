import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { type Runbooks, writeRunbooks } from '../../services/index.js';
import { action } from '../run.js';

interface RunbookOptions {
  env: string;
  out?: string;
}

export function registerRunbook(program: Command): void {
  program
    .command('runbook')
    .description('write a Markdown runbook per item of an environment: backups, restore and rollback commands, RPO/RTO')
    .requiredOption('--env <environment>', 'the environment whose items get runbooks')
    .option('--out <dir>', 'where the files go (default: ./runbooks/<environment>)')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  cairn runbook --env prod\n' +
        '  cairn runbook --env prod --out docs/runbooks --json\n' +
        '\nOne file per item (<item>.md: owner, tier with RPO/RTO, sources, where the backups are — repository,\n' +
        'replica, lock —, the latest snapshots, the exact restore and rollback commands, bundleWith and\n' +
        'requires, drift rules, last drill) and README.md as the index. The same catalog writes the same bytes,\n' +
        'so the files can be committed and diffed. Exit 2 for an unknown environment.\n' +
        'With CAIRN_SERVER the server renders them (needs runbooks.read) and they are written here.',
    )
    .action(
      action(async (ctx, opts: RunbookOptions) => {
        const outDir = resolve(opts.out ?? join('runbooks', opts.env));
        const remote = ctx.remote();
        let written: { environment: string; outDir: string; files: string[] };
        if (remote) {
          const books = await remote.call<Runbooks>('GET', '/api/v1/runbooks', { query: { env: opts.env } });
          await mkdir(outDir, { recursive: true });
          const files: string[] = [];
          for (const f of books.files) {
            // The server names the files; only a plain name is written, inside outDir.
            if (!/^[A-Za-z0-9._-]+\.md$/.test(f.name) || f.name.startsWith('.')) continue;
            await writeFile(join(outDir, f.name), f.content);
            files.push(join(outDir, f.name));
          }
          written = { environment: books.environment, outDir, files };
        } else {
          const { policy } = await ctx.policy();
          const session = await ctx.session();
          written = await writeRunbooks(session, policy, { environment: opts.env, outDir });
        }
        ctx.out.result(
          written,
          () => `wrote ${written.files.length} runbooks for ${written.environment} into ${written.outDir}`,
        );
        return 0;
      }),
    );
}
