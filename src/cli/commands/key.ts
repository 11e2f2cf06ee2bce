import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CairnError, errnoCode } from '../../errors/index.js';
import { type KeyInfo, keyFileSecret, newKeyFileContent, type Secret } from '../../repo/index.js';
import type { ApprovalView } from '../../server/index.js';
import { addRepositoryKey, listRepositoryKeys, removeRepositoryKey } from '../../services/index.js';
import type { Context } from '../context.js';
import { table } from '../output.js';
import { promptSecret } from '../prompt.js';
import { segment } from '../remote-mode.js';
import { action } from '../run.js';
import { renderPending } from './approval-view.js';

interface AddOptions {
  newPasswordFile?: string;
  newKeyFile?: string;
  label?: string;
}

export function registerKey(program: Command): void {
  const key = program.command('key').description('manage the wrappers of the master key (passphrases, key files)');
  key
    .command('add')
    .description('add a passphrase or key file that also opens the repository')
    .option('--new-password-file <file>', 'the new passphrase, read from a file (or CAIRN_NEW_PASSWORD, or a prompt)')
    .option('--new-key-file <file>', 'a key file to add; created with random content when it does not exist')
    .option('--label <text>', 'a note shown by `key list` (whose key, where it is kept)')
    .action(
      action(async (ctx, opts: AddOptions) => {
        const remote = ctx.remote();
        if (remote) {
          const secret = opts.newKeyFile ? undefined : await newSecret(ctx, opts);
          if (secret?.kind !== 'password')
            throw new CairnError(
              'CAIRN_E_USAGE',
              'a server adds passphrases only (a key file would have to travel to it): use --new-password-file or CAIRN_NEW_PASSWORD',
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
          ctx.out.result(info, () => `added key ${info.id} (${info.kind})`);
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
    ['', 'ID', 'KIND', 'CREATED', 'USER@HOST', 'LABEL'],
    keys.map((k) => [k.current ? '*' : '', k.id, k.kind, k.created, `${k.user}@${k.host}`, k.label ?? '']),
  );
}

async function newSecret(ctx: Context, opts: AddOptions): Promise<Secret> {
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
    return { kind: 'password', value };
  }
  if (ctx.env.CAIRN_NEW_PASSWORD) return { kind: 'password', value: ctx.env.CAIRN_NEW_PASSWORD };
  if (process.stdin.isTTY) {
    const value = await promptSecret('new passphrase: ');
    if ((await promptSecret('again: ')) !== value || !value)
      throw new CairnError('CAIRN_E_USAGE', 'the passphrases differ or are empty');
    return { kind: 'password', value };
  }
  throw new CairnError(
    'CAIRN_E_USAGE',
    'give the new key: --new-password-file FILE, --new-key-file FILE or CAIRN_NEW_PASSWORD',
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
