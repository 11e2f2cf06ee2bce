import { existsSync, rmSync } from 'node:fs';
import type { Command } from 'commander';
import { CairnError } from '../../errors/index.js';
import { initRepository } from '../../services/index.js';
import { type BucketReport, isS3Location, prepareS3Bucket } from '../../storage/index.js';
import { refuseRemote } from '../remote-mode.js';
import { action } from '../run.js';

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('create a new repository (encrypted with a passphrase, a key file or a key provider)')
    .option('--kdf <name>', 'passphrase key derivation: scrypt (default) or argon2id (64 MiB, about 0.3 s)')
    .option('--create-bucket', 'S3: create the bucket, with versioning and Object Lock, when it does not exist')
    .addHelpText(
      'after',
      '\nThe repository is --repo / CAIRN_REPOSITORY (default ./.cairn). With --key-file FILE and no such\n' +
        'file, a new random key file is written there (mode 0600): keep a copy, it is the only way in.\n' +
        'On s3://bucket/prefix the bucket must have versioning and Object Lock (and no default retention\n' +
        'rule); init checks that before writing anything. Endpoint, region and keys: see docs/S3.md.',
    )
    .action(
      action(async (ctx, opts: { createBucket?: boolean }) => {
        refuseRemote(ctx, 'init');
        let bucket: BucketReport | undefined;
        if (isS3Location(ctx.repository)) {
          bucket = await prepareS3Bucket(ctx.repository, { create: opts.createBucket === true });
        } else if (opts.createBucket) {
          throw new CairnError('CAIRN_E_USAGE', '--create-bucket applies to s3://bucket/prefix repositories only');
        }
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
        if (bucket?.created) ctx.out.note(`created bucket ${bucket.bucket} with versioning and Object Lock`);
        ctx.out.result(
          {
            repository: r.location,
            id: r.id,
            key: r.keyId,
            ...(bucket ? { bucket: { name: bucket.bucket, created: bucket.created } } : {}),
          },
          () => `created repository ${r.id.slice(0, 12)} at ${r.location}`,
        );
        return 0;
      }),
    );
}
