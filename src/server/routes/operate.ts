import type { FastifyInstance } from 'fastify';
import type { Trigger } from '../../catalog/index.js';
import { CairnError } from '../../errors/index.js';
import { TRIGGERS } from '../../services/index.js';
import type { SnapshotCreateInput } from '../backend.js';
import type { ServerContext } from '../context.js';
import { callerOf } from '../request-audit.js';
import { allowedRestoreTarget } from '../restore-target.js';
import { addRoute } from '../route-kit.js';
import { arr, bool, obj, snapshotId, str } from '../schemas/common.js';
import { checkReportSchema, createdSnapshotsSchema, restoreResultSchema } from '../schemas/results.js';

interface CreateBody {
  items?: string[];
  env?: string;
  trigger?: Trigger;
  release?: string;
  commit?: string;
  change?: string;
  deployment?: string;
  force?: boolean;
}

interface RestoreBody {
  snapshot?: string;
  release?: string;
  commit?: string;
  item?: string;
  target: string;
  include?: string[];
  overwrite?: boolean;
  dryRun?: boolean;
}

/** Taking snapshots, restoring them and checking the repository. */
export function registerOperateRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { backend } = ctx.deps;

  addRoute<{ Body: CreateBody }, Awaited<ReturnType<typeof backend.createSnapshots>>>(app, ctx, {
    method: 'POST',
    url: '/api/v1/snapshots',
    permission: 'snapshots.create',
    action: 'snapshots.create',
    kind: 'write',
    summary:
      'Take one snapshot per item (all, or those named); unchanged items are recorded as verified (`cairn snapshot`)',
    tags: ['snapshots'],
    schema: {
      body: obj({
        items: arr(str(), 1000),
        env: str(),
        trigger: { type: 'string', enum: TRIGGERS },
        release: str(),
        commit: str(128),
        change: str(),
        deployment: str(),
        force: bool,
      }),
      response: createdSnapshotsSchema,
    },
    target: (req) => (req.body.items?.length ? req.body.items.join(',') : (req.body.env ?? 'all items')),
    changeId: (req) => req.body.change,
    handle: async (req) => {
      const b = req.body;
      const input: SnapshotCreateInput = {
        ...(b.items ? { items: b.items } : {}),
        ...(b.env ? { environment: b.env } : {}),
        trigger: b.trigger ?? 'manual',
        ...(b.release ? { release: b.release } : {}),
        ...(b.commit ? { commit: b.commit } : {}),
        ...(b.change ? { change: b.change } : {}),
        ...(b.deployment ? { deployment: b.deployment } : {}),
        force: b.force ?? false,
      };
      const result = await backend.createSnapshots(input, callerOf(req));
      ctx.metrics.observeSnapshots(result.snapshots);
      return result;
    },
    outcome: (r) => ({
      details: {
        statuses: r.snapshots.map((s) => `${s.item}:${s.status}`),
        ...(r.replication ? { replicated: r.replication.ok } : {}),
      },
    }),
  });

  addRoute<{ Body: RestoreBody }, Awaited<ReturnType<typeof backend.restore>>>(app, ctx, {
    method: 'POST',
    url: '/api/v1/restore',
    permission: 'restore.run',
    action: 'restore.run',
    kind: 'write',
    summary:
      "Restore a snapshot (by id, or release/commit with item) into a server-side folder under a restore root or the item's restore.directory (`cairn restore`)",
    tags: ['snapshots'],
    schema: {
      body: obj(
        {
          snapshot: snapshotId,
          release: str(),
          commit: str(128),
          item: str(),
          target: str(4096, { minLength: 1 }),
          include: arr(str(4096), 1000),
          overwrite: bool,
          dryRun: bool,
        },
        ['target'],
      ),
      response: restoreResultSchema,
    },
    target: (req) => req.body.snapshot ?? req.body.release ?? req.body.commit ?? null,
    handle: async (req) => {
      const b = req.body;
      if (b.snapshot && (b.release || b.commit))
        throw new CairnError('CAIRN_E_USAGE', 'give either snapshot or release/commit, not both', {
          field: 'body.snapshot',
        });
      if (!b.snapshot && !b.release && !b.commit)
        throw new CairnError('CAIRN_E_USAGE', 'name the snapshot: snapshot, or release or commit (with item)', {
          field: 'body.snapshot',
        });
      const resolved = await backend.resolveRestore({
        ...(b.snapshot ? { id: b.snapshot } : {}),
        ...(b.release ? { release: b.release } : {}),
        ...(b.commit ? { commit: b.commit } : {}),
        ...(b.item ? { item: b.item } : {}),
      });
      req.cairnAudit.target = `${resolved.snapshot} -> ${b.target}`;
      const target = await allowedRestoreTarget(b.target, ctx.options.restoreRoots, resolved.restoreDirectory);
      return backend.restore(
        {
          snapshot: resolved.snapshot,
          target,
          include: b.include ?? [],
          overwrite: b.overwrite ?? false,
          dryRun: b.dryRun ?? false,
        },
        callerOf(req),
      );
    },
    outcome: (r) => ({ details: { files: r.files, failed: r.failed.length, dryRun: r.dryRun } }),
  });

  addRoute<{ Body: { readData?: boolean; readDataSubset?: number } }, unknown>(app, ctx, {
    method: 'POST',
    url: '/api/v1/check',
    permission: 'check.run',
    action: 'check.run',
    kind: 'write',
    summary:
      'Verify the repository; every byte with readData, or a random readDataSubset percent of packs (`cairn check`)',
    tags: ['repository'],
    schema: {
      body: obj({ readData: bool, readDataSubset: { type: 'number', exclusiveMinimum: 0, maximum: 100 } }),
      response: checkReportSchema,
    },
    handle: async (req) =>
      backend.check({
        readData: req.body.readData ?? false,
        ...(req.body.readDataSubset !== undefined ? { readDataSubsetPct: req.body.readDataSubset } : {}),
      }),
  });
}
