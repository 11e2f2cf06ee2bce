import type { Command } from 'commander';
import { initRepository } from '../../services/index.js';
import { action } from '../run.js';

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('create a new repository (encrypted with a passphrase or a key file)')
    .addHelpText(
      'after',
      '\nThe repository is --repo / CAIRN_REPOSITORY (default ./.cairn). With --key-file FILE and no such\n' +
        'file, a new random key file is written there (mode 0600): keep a copy, it is the only way in.',
    )
    .action(
      action(async (ctx) => {
        const secret = await ctx.secret({ creating: true });
        const r = await initRepository({ repository: ctx.repository, secret });
        ctx.out.result(
          { repository: r.location, id: r.id, key: r.keyId },
          () => `created repository ${r.id.slice(0, 12)} at ${r.location}`,
        );
        return 0;
      }),
    );
}
