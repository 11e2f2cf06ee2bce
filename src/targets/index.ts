/**
 * targets/ — where `restore --to-target` and rollbacks put an item's configuration back, when that
 * is not a folder: a command's standard input (`kubectl apply -f -`) or an HTTP PUT/POST (a feature-flag
 * service's import). A target receives the bytes of one file and answers ok or CAIRN_E_TARGET; it knows
 * nothing of repositories, catalogs or snapshots (services/restore-target.ts picks the file). Directory
 * targets are restored by services/restore.ts and only described here.
 */

import type { RestoreTarget } from '../policy/index.js';
import { redactUrl } from '../sources/index.js';
import { deliverToCommand } from './command-target.js';
import { deliverToHttp } from './http-target.js';
import type { DeliverableTarget, DeliverOptions, Delivery, Payload } from './types.js';

export type { CommandTarget, DeliverableTarget, DeliverOptions, Delivery, HttpTarget, Payload } from './types.js';

const MAX_RUN = 60;

/** Sends the payload to the target; resolves with what the target answered, or throws CAIRN_E_TARGET. */
export function deliverToTarget(
  target: DeliverableTarget,
  payload: Payload,
  opts: DeliverOptions = {},
): Promise<Delivery> {
  const label = describeTarget(target);
  return target.kind === 'command'
    ? deliverToCommand(target, payload, label, opts)
    : deliverToHttp(target, payload, label, opts);
}

/** "directory /srv/app", "command `kubectl apply -f -`", "http PUT https://flags/import" (credentials redacted). */
export function describeTarget(target: RestoreTarget): string {
  switch (target.kind) {
    case 'directory':
      return `directory ${target.path}`;
    case 'command': {
      const run = target.run.replace(/\s+/g, ' ').trim();
      return `command \`${run.length > MAX_RUN ? `${run.slice(0, MAX_RUN)}…` : run}\``;
    }
    case 'http':
      return `http ${target.method} ${redactUrl(target.url)}`;
  }
}
