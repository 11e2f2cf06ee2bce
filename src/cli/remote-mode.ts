import { CairnError } from '../errors/index.js';
import type { Context } from './context.js';
import type { RemoteClient } from './remote.js';

/**
 * Which side a command runs on. Most commands run locally or, with CAIRN_SERVER, on the server;
 * access, approvals and MFA concern identities only a server knows; init and catalog rebuild work
 * on the repository's own files.
 */

/** The server for a command that only a server can answer, or CAIRN_E_USAGE saying how to name one. */
export function requireServer(ctx: Context, command: string): RemoteClient {
  const remote = ctx.remote();
  if (remote) return remote;
  throw new CairnError(
    'CAIRN_E_USAGE',
    `\`cairn ${command}\` works on the identities a Cairn server knows: set CAIRN_SERVER=https://… (or --server URL) ` +
      'and CAIRN_TOKEN (or --token-file FILE, CAIRN_TOKEN_FILE) to your API token',
  );
}

/** Refuses a command that works on the repository itself when a server is named. */
export function refuseRemote(ctx: Context, command: string): void {
  if (!(ctx.opts.server ?? ctx.env.CAIRN_SERVER)) return;
  throw new CairnError(
    'CAIRN_E_USAGE',
    `\`cairn ${command}\` works on the repository itself, not through a server: run it where the repository is, ` +
      'without CAIRN_SERVER or --server',
  );
}

/** A path segment of an API route (ids, subjects such as `token:ci`). */
export function segment(value: string): string {
  return encodeURIComponent(value);
}
