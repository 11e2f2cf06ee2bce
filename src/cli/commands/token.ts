import type { Command } from 'commander';
import { CairnError } from '../../errors/index.js';
import { parseDuration, ROLES, type Role } from '../../policy/index.js';
import type { CreatedToken, TokenView } from '../../server/index.js';
import { table } from '../output.js';
import { segment } from '../remote-mode.js';
import { action, collect } from '../run.js';

interface CreateOptions {
  name?: string;
  role: string[];
  expires: string;
}

/**
 * API tokens. Without CAIRN_SERVER the command works on the repository's own catalog as the local OS
 * identity (an admin: whoever holds the repository key), which is how the first admin token is made;
 * with it, through the server's /api/v1/tokens as the caller's token.
 */
export function registerToken(program: Command): void {
  const token = program
    .command('token')
    .description('API tokens for the server: create (the secret is shown once), list, revoke');
  token
    .command('create')
    .description('create an API token; its secret is printed once and stored only as a hash')
    .requiredOption('--role <role>', `a role of the token (repeatable): ${ROLES.join(', ')}`, collect)
    .requiredOption('--expires <duration>', 'how long it is valid, e.g. 30d, 12h, 1y (every token expires)')
    .option('--name <name>', 'its name; the identity is token:<name> (default <role>-<yyyymmdd-hhmm>, UTC)')
    .addHelpText(
      'after',
      "\nWithout CAIRN_SERVER the token is created in the repository's catalog by you, the holder of the\n" +
        'repository key (recorded as local:user@host): this is how the first admin token is made.\n' +
        'With --json the secret is in the field `token`; it cannot be shown again.',
    )
    .action(
      action(async (ctx, opts: CreateOptions) => {
        const roles = checkRoles(opts.role);
        const expiresInMs = parseDuration(opts.expires);
        if (expiresInMs === undefined || expiresInMs <= 0)
          throw new CairnError(
            'CAIRN_E_USAGE',
            `--expires ${opts.expires} is not a duration: use an integer and a unit (s, m, h, d, w, y), e.g. 30d`,
          );
        const name = opts.name ?? defaultName(roles, new Date());
        // What the audit log names as acted on, as the server does: the token's identity.
        ctx.setCommand({
          action: 'tokens.create',
          target: `token:${name}`,
          details: { name, roles, expires: opts.expires },
        });
        const remote = ctx.remote();
        const created: CreatedToken = remote
          ? await remote.call('POST', '/api/v1/tokens', { body: { name, roles, expires: opts.expires } })
          : await (await ctx.governance()).access.createToken({ name, roles, expiresInMs, createdBy: ctx.identity });
        ctx.out.result(created, () => {
          const i = created.info;
          return [
            `created token ${i.id} for ${i.subject} (${i.roles.join(', ')}), expires ${i.expiresAt}`,
            created.token,
          ].join('\n');
        });
        if (!ctx.out.json)
          ctx.out.warn('this is the only time the token is shown: store it now (Cairn keeps only its hash)');
        return 0;
      }),
    );
  token
    .command('list')
    .description('list the API tokens (never their secrets), with their state: active, expired, revoked')
    .action(
      action(async (ctx) => {
        const remote = ctx.remote();
        const tokens: readonly TokenView[] = remote
          ? (await remote.call<{ tokens: TokenView[] }>('GET', '/api/v1/tokens')).tokens
          : await (await ctx.governance()).access.listTokens();
        ctx.out.result({ tokens }, () => renderTokens(tokens));
        return 0;
      }),
    );
  token
    .command('revoke <id>')
    .description('revoke an API token at once (its next request is refused)')
    .action(
      action(async (ctx, id: string) => {
        const remote = ctx.remote();
        const revoked: TokenView = remote
          ? await remote.call('DELETE', `/api/v1/tokens/${segment(id)}`)
          : await (await ctx.governance()).access.revokeToken(id, ctx.identity);
        ctx.out.result(revoked, () => `revoked token ${revoked.id} (${revoked.subject}) at ${revoked.revokedAt}`);
        return 0;
      }),
    );
}

function checkRoles(given: readonly string[]): Role[] {
  const unknown = given.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (unknown.length > 0)
    throw new CairnError('CAIRN_E_USAGE', `--role ${unknown.join(', ')}: the roles are ${ROLES.join(', ')}`);
  return [...new Set(given)] as Role[];
}

/** `operator-20261129-1043`: says what it is for and when it was made, unique enough to start with. */
function defaultName(roles: readonly string[], now: Date): string {
  const t = now.toISOString();
  return `${roles.join('-')}-${t.slice(0, 10).replaceAll('-', '')}-${t.slice(11, 16).replace(':', '')}`;
}

function renderTokens(tokens: readonly TokenView[]): string {
  if (tokens.length === 0) return 'no tokens';
  const time = (t: string | null) => (t ? t.replace('T', ' ').slice(0, 16) : '-');
  return table(
    ['ID', 'NAME', 'ROLES', 'STATE', 'CREATED', 'BY', 'EXPIRES', 'LAST USED'],
    tokens.map((t) => [
      t.id,
      t.name,
      t.roles.join(','),
      t.state === 'revoked' ? `revoked ${time(t.revokedAt)}` : t.state,
      time(t.createdAt),
      t.createdBy,
      time(t.expiresAt),
      time(t.lastUsedAt),
    ]),
  );
}
