import type { Command } from 'commander';
import { rebuildCatalog } from '../../services/index.js';
import { refuseRemote } from '../remote-mode.js';
import { action } from '../run.js';

export function registerCatalog(program: Command): void {
  const catalog = program.command('catalog').description('the local index of snapshots');
  catalog
    .command('rebuild')
    .description('recreate the catalog from the repository alone')
    .action(
      action(async (ctx) => {
        refuseRemote(ctx, 'catalog rebuild');
        const session = await ctx.session();
        try {
          const r = await rebuildCatalog(session.repo, session.catalog);
          ctx.out.result(r, () => `catalog rebuilt: ${r.snapshots} snapshots, ${r.verifications} verifications`);
          return 0;
        } finally {
          await session.close();
        }
      }),
    );
}
