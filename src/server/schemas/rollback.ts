import { arr, bool, int, nullable, obj, str } from './common.js';
import { ticketStateSchema } from './release.js';

/** Response schemas of `cairn rollback --json` and the runbooks, field for field. */

const s = { type: 'string' } as const;
const error = obj({ code: s, message: s });
const change = obj({
  path: s,
  kind: { type: 'string', enum: ['added', 'removed', 'modified'] },
  detail: arr(s, 100_000),
});

const rollbackItem = obj({
  item: s,
  snapshot: s,
  from: { type: 'string', enum: ['bundle', 'before-start', 'none'] },
  snapshotTime: nullable(s),
  target: s,
  diff: obj({
    item: s,
    snapshot: nullable(s),
    drifted: bool,
    changes: arr(change, 1_000_000),
    ignored: int,
    readFiles: int,
    error,
  }),
  state: { type: 'string', enum: ['pending', 'restored', 'verified', 'failed', 'unchanged'] },
  verify: { type: 'string', enum: ['live', 'target'] },
  error,
});

export const rollbackResultSchema = obj({
  rollback: s,
  deployment: s,
  environment: s,
  dryRun: bool,
  status: { type: 'string', enum: ['planned', 'completed', 'failed'] },
  resumed: bool,
  ticket: nullable(ticketStateSchema),
  ticketError: error,
  items: arr(rollbackItem, 100_000),
  baseline: obj({ snapshots: arr(s, 100_000), error }),
});

export const rollbackBody = obj({
  dryRun: bool,
  // The same pattern as checkChangeTicket's: no ServiceNow query operators.
  change: str(128, { minLength: 1, pattern: '^[A-Za-z0-9_.:-]{1,128}$' }),
  /** Restore items whose pre-deploy snapshot is missing from the newest one taken before the deployment. */
  allowOlder: bool,
});

export const runbooksSchema = obj({
  environment: s,
  files: arr(obj({ name: s, content: s }), 100_000),
});
