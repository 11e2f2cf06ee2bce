import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CairnError, errnoCode } from '../../errors/index.js';
import { type KeyInfo, keyFileSecret, keyProviderFromSpec, newKeyFileContent, type Secret } from '../../repo/index.js';
import type { ApprovalView } from '../../server/index.js';
import {
  addRepositoryKey,
  listRepositoryKeys,
  removeRepositoryKey,
  rotateRepositoryKey,
} from '../../services/index.js';
import { type Context, passphraseKdf } from '../context.js';
import { table } from '../output.js';
import { promptSecret } from '../prompt.js';
import { refuseRemote, segment } from '../remote-mode.js';
import { action } from '../run.js';
import { renderPending } from './approval-view.js';

interface AddOptions {
  newPasswordFile?: string;
  newKeyFile?: string;
  newKeyProvider?: string;
  kdf?: string;
  label?: string;
}

/** The options that name a new secret, shared by `key add` and `key rotate`. */
function newSecretOptions(cmd: Command): Command {
  return cmd
    .option('--new-password-file <file>', 'the new passphrase, read from a file (or CAIRN_NEW_PASSWORD, or a prompt)')
    .option('--kdf <name>', 'for a new passphrase: scrypt (default) or argon2id (64 MiB, about 0.3 s)')
    .option('--new-key-file <file>', 'a key file to add; created with random content when it does not exist')
    .option(
      '--new-key-provider <spec>',
      'a key provider to wrap the key: vault-transit:KEY (VAULT_ADDR, VAULT_TOKEN…) or aws-kms:KEY-ID|ARN|alias/NAME',
    )
    .option('--label <text>', 'a note shown by `key list` (whose key, where it is kept)');
}

export function registerKey(program: Command): void {
  const key = program
    .command('key')
    .description('manage the wrappers of the master key (passphrases, key files, Vault Transit, AWS KMS)');
  newSecretOptions(
    key.command('add').description('add a passphrase, key file or key provider that also opens the repository'),
  ).action(
    action(async (ctx, opts: AddOptions) => {
      const remote = ctx.remote();
      if (remote) {
        const secret = opts.newKeyFile || opts.newKeyProvider ? undefined : await newSecret(ctx, opts);
        if (secret?.kind === 'password' && secret.kdf === 'argon2id')
          throw new CairnError('CAIRN_E_USAGE', 'a server adds scrypt passphrases only: leave out --kdf argon2id');
        if (secret?.kind !== 'password')
          throw new CairnError(
            'CAIRN_E_USAGE',
            'a server adds passphrases only (a key file or provider setting would have to travel to it): use --new-password-file or CAIRN_NEW_PASSWORD',
          );
        const info = await remote.call<KeyInfo>('POST', '/api/v1/keys', {
          body: { password: secret.value, ...(opts.label ? { label: opts.label } : {}) },
        });
        ctx.out.result(info, () => `added key ${info.id} (${info.kind})`);
        return 0;
      }
      const session = await ctx.session();
      const repo = session.repo;
      try {
        const info = await addRepositoryKey(repo, await newSecret(ctx, opts), opts.label);
        ctx.out.result(info, () => `added key ${info.id} (${describe(info)})`);
        return 0;
      } finally {
        await session.close();
      }
    }),
  );
  key
    .command('list')
    .description('list the keys that open the repository')
    .action(
      action(async (ctx) => {
        const remote = ctx.remote();
        if (remote) {
          const { keys } = await remote.call<{ keys: ListedKey[] }>('GET', '/api/v1/keys');
          ctx.out.result({ keys }, () => renderKeys(keys));
          return 0;
        }
        const session = await ctx.session();
        const repo = session.repo;
        try {
          const keys = await listRepositoryKeys(repo);
          ctx.out.result({ keys }, () => renderKeys(keys));
          return 0;
        } finally {
          await session.close();
        }
      }),
    );
  newSecretOptions(
    key
      .command('rotate')
      .description('add a new wrapper, prove it opens the master key, then retire the one that opened the repository'),
  )
    .option('--keep-old', 'keep the wrapper that opened the repository (rotate becomes add-and-verify)')
    .addHelpText(
      'after',
      '\nOpen with the current secret (CAIRN_PASSWORD, --password-file, --key-file or --key-provider) and name the\n' +
        'new one as for `key add`. Only keys/<id> objects change: no pack, index or snapshot is rewritten.\n' +
        'Example: cairn key rotate --password-file old.txt --new-key-provider vault-transit:cairn',
    )
    .action(
      action(async (ctx, opts: AddOptions & { keepOld?: boolean }) => {
        refuseRemote(ctx, 'key rotate');
        const session = await ctx.session();
        try {
          const result = await rotateRepositoryKey(session.repo, await newSecret(ctx, opts), {
            keepOld: opts.keepOld ?? false,
            label: opts.label,
          });
          const { added, retired } = result;
          ctx.out.result(
            { ...result, kept: retired === null ? session.repo.keyId : null },
            () =>
              `added key ${added.id} (${describe(added)}); ${
                retired ? `retired key ${retired}` : `kept key ${session.repo.keyId}`
              }`,
          );
          return 0;
        } finally {
          await session.close();
        }
      }),
    );
  key
    .command('remove <id>')
    .description('remove a key (not the one in use, not the last one)')
    .option('--reason <text>', 'with CAIRN_SERVER: why, for the approvers of the removal')
    .addHelpText(
      'after',
      '\nThrough a server (CAIRN_SERVER) the removal is an approval request: it prints its id and how many\n' +
        'approvals it needs; the server removes the key once approvers have granted it.',
    )
    .action(
      action(async (ctx, id: string, opts: { reason?: string }) => {
        const remote = ctx.remote();
        if (remote) {
          const answer = await remote.call<{ approval: ApprovalView }>('DELETE', `/api/v1/keys/${segment(id)}`, {
            body: opts.reason ? { reason: opts.reason } : {},
          });
          ctx.out.result(answer, () => renderPending(answer.approval));
          return 0;
        }
        const session = await ctx.session();
        const repo = session.repo;
        try {
          await removeRepositoryKey(repo, id);
          ctx.out.result({ removed: id }, () => `removed key ${id}`);
          return 0;
        } finally {
          await session.close();
        }
      }),
    );
}

type ListedKey = KeyInfo & { readonly current: boolean };

function renderKeys(keys: readonly ListedKey[]): string {
  return table(
    ['', 'ID', 'KIND', 'KDF/PROVIDER', 'KEY', 'CREATED', 'USER@HOST', 'LABEL'],
    keys.map((k) => [
      k.current ? '*' : '',
      k.id,
      k.kind,
      wrapping(k),
      k.provider ? k.provider.key : '',
      k.created,
      `${k.user}@${k.host}`,
      k.label ?? '',
    ]),
  );
}

/** `scrypt N=32768 r=8 p=1`, `argon2id m=65536 t=3 p=4`, `vault-transit @ https://vault:8200`. */
function wrapping(k: KeyInfo): string {
  if (k.provider) return `${k.provider.name} @ ${k.provider.address}`;
  if (!k.kdf) return '';
  const { name, v: _v, ...params } = k.kdf;
  return [String(name), ...Object.entries(params).map(([p, v]) => `${p}=${String(v)}`)].join(' ');
}

function describe(k: KeyInfo): string {
  return k.provider ? `${k.kind} key ${k.provider.key}` : `${k.kind}, ${String(k.kdf?.name ?? '')}`;
}

async function newSecret(ctx: Context, opts: AddOptions): Promise<Secret> {
  const given = [opts.newPasswordFile, opts.newKeyFile, opts.newKeyProvider].filter((o) => o !== undefined);
  if (given.length > 1) {
    throw new CairnError(
      'CAIRN_E_USAGE',
      'give one new key: --new-password-file, --new-key-file or --new-key-provider',
    );
  }
  const kdf = passphraseKdf(opts.kdf);
  if (kdf && (opts.newKeyFile || opts.newKeyProvider)) {
    throw new CairnError('CAIRN_E_USAGE', '--kdf applies to a new passphrase, not to a key file or a key provider');
  }
  if (opts.newKeyProvider) return { kind: 'provider', provider: keyProviderFromSpec(opts.newKeyProvider, ctx.env) };
  if (opts.newKeyFile) {
    const path = opts.newKeyFile;
    const created = fileOp('--new-key-file', path, () => {
      if (existsSync(path)) return false;
      writeFileSync(path, newKeyFileContent(), { mode: 0o600, flag: 'wx' });
      return true;
    });
    if (created) ctx.out.note(`created key file ${path}`);
    return keyFileSecret(fileOp('--new-key-file', path, () => readFileSync(path)));
  }
  if (opts.newPasswordFile) {
    const path = opts.newPasswordFile;
    const value = fileOp('--new-password-file', path, () => readFileSync(path, 'utf8')).replace(/\r?\n$/, '');
    if (!value) throw new CairnError('CAIRN_E_USAGE', `${opts.newPasswordFile} is empty`);
    return { kind: 'password', value, kdf };
  }
  if (ctx.env.CAIRN_NEW_PASSWORD) return { kind: 'password', value: ctx.env.CAIRN_NEW_PASSWORD, kdf };
  if (process.stdin.isTTY) {
    const value = await promptSecret('new passphrase: ');
    if ((await promptSecret('again: ')) !== value || !value)
      throw new CairnError('CAIRN_E_USAGE', 'the passphrases differ or are empty');
    return { kind: 'password', value, kdf };
  }
  throw new CairnError(
    'CAIRN_E_USAGE',
    'give the new key: --new-password-file FILE, --new-key-file FILE, --new-key-provider SPEC or CAIRN_NEW_PASSWORD',
  );
}

/** A file the user named for the new key: a missing or unreadable one is a usage error, not an internal one. */
function fileOp<T>(flag: string, path: string, op: () => T): T {
  try {
    return op();
  } catch (err) {
    throw new CairnError('CAIRN_E_USAGE', `${flag} ${path} cannot be used (${errnoCode(err) ?? String(err)})`);
  }
}
