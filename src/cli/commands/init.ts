import { existsSync, rmSync } from 'node:fs';
import type { Command } from 'commander';
import { initRepository } from '../../services/index.js';
import { refuseRemote } from '../remote-mode.js';
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
        refuseRemote(ctx, 'init');
        const keyFile = ctx.keyFile;
        const newKeyFile = keyFile !== undefined && !existsSync(keyFile);
        const secret = await ctx.secret({ creating: true });
        let r: Awaited<ReturnType<typeof initRepository>>;
        try {
          r = await initRepository({ repository: ctx.repository, secret });
        } catch (err) {
          // A key file made for a repository that was not created opens nothing: leave nothing behind.
          if (newKeyFile) rmSync(keyFile, { force: true });
          throw err;
        }
        await ctx.session(); // the audit log's first event: who created the repository
        if (newKeyFile) {
          ctx.out.note(
            `created key file ${keyFile}: keep a copy somewhere safe; without it the repository cannot be opened`,
          );
        }
        ctx.out.result(
          { repository: r.location, id: r.id, key: r.keyId },
          () => `created repository ${r.id.slice(0, 12)} at ${r.location}`,
        );
        return 0;
      }),
    );
}
