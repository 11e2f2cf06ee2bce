import type { FastifyInstance } from 'fastify';
import type { SnapshotFilter } from '../../catalog/index.js';
import { type SearchOptions, searchFilter, TRIGGERS } from '../../services/index.js';
import type { ServerContext } from '../context.js';
import { addRoute } from '../route-kit.js';
import { arr, bool, isoTime, obj, snapshotId, str } from '../schemas/common.js';
import { diffSchema, listingSchema, snapshotsSchema, snapshotWithVerificationsSchema } from '../schemas/results.js';

type SearchQuery = SearchOptions;

/** Reading the catalog and snapshots: `cairn snapshots`, `show`, `ls`, `diff`. */
export function registerSnapshotReadRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { backend } = ctx.deps;

  addRoute<{ Querystring: SearchQuery }, unknown>(app, ctx, {
    method: 'GET',
    url: '/api/v1/snapshots',
    permission: 'snapshots.read',
    action: 'snapshots.search',
    kind: 'read',
    summary: 'Search the catalog, newest first (the filters of `cairn snapshots`)',
    tags: ['snapshots'],
    schema: {
      querystring: obj({
        item: arr(str(), 100),
        env: str(),
        tier: str(),
        release: str(),
        commit: str(128),
        change: str(),
        deployment: str(),
        trigger: { type: 'string', enum: TRIGGERS },
        actor: str(),
        since: isoTime,
        until: isoTime,
        limit: { type: 'integer', minimum: 1, maximum: 100_000 },
      }),
      response: snapshotsSchema,
    },
    handle: async (req) => backend.searchSnapshots(toFilter(req.query)),
  });

  addRoute<{ Params: { id: string } }, unknown>(app, ctx, {
    method: 'GET',
    url: '/api/v1/snapshots/:id',
    permission: 'snapshots.read',
    action: 'snapshots.show',
    kind: 'read',
    summary: "A snapshot's metadata and the verifications that found it unchanged (`cairn show`)",
    tags: ['snapshots'],
    schema: { params: obj({ id: snapshotId }, ['id']), response: snapshotWithVerificationsSchema },
    target: (req) => req.params.id,
    handle: async (req) => backend.showSnapshot(req.params.id),
  });

  addRoute<{ Params: { id: string }; Querystring: { path?: string } }, unknown>(app, ctx, {
    method: 'GET',
    url: '/api/v1/snapshots/:id/files',
    permission: 'snapshots.read',
    action: 'snapshots.ls',
    kind: 'read',
    summary: 'The files of a snapshot, or those at and below `path` (`cairn ls`)',
    tags: ['snapshots'],
    schema: {
      params: obj({ id: snapshotId }, ['id']),
      querystring: obj({ path: str(4096) }),
      response: listingSchema,
    },
    target: (req) => req.params.id,
    handle: async (req) => backend.listFiles(req.params.id, req.query.path),
  });

  addRoute<{ Querystring: { from: string; to: string; patch?: boolean } }, unknown>(app, ctx, {
    method: 'GET',
    url: '/api/v1/diff',
    permission: 'snapshots.read',
    action: 'snapshots.diff',
    kind: 'read',
    summary: 'What changed between two snapshots, by content; `patch=true` adds unified diffs (`cairn diff`)',
    tags: ['snapshots'],
    schema: {
      querystring: obj({ from: snapshotId, to: snapshotId, patch: bool }, ['from', 'to']),
      response: diffSchema,
    },
    target: (req) => `${req.query.from}..${req.query.to}`,
    handle: async (req) => backend.diff(req.query.from, req.query.to, { patch: req.query.patch ?? false }),
  });
}

function toFilter(q: SearchQuery): SnapshotFilter {
  return searchFilter(q, (field) => `querystring.${field}`);
}
