import { requiredApprovals } from '../../auth/index.js';
import { CairnError } from '../../errors/index.js';
import {
  forgetSnapshots,
  listRepositoryKeys,
  prune,
  readHolds,
  removeHold,
  removeRepositoryKey,
  resolveSnapshot,
} from '../../services/index.js';
import type { ApprovalAction, ApprovalRequestInput } from '../backend-access.js';
import type { WireContext } from './wire-context.js';

/** A destructive action checked at request time: what is stored, and how many approvals it needs. */
export interface PreparedAction {
  readonly target: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly required: number;
}

/**
 * The destructive actions the server can carry out once approved, and their checks at request time:
 * whatever would make the action fail (an unknown snapshot, one still retained, the key in use, a
 * snapshot without a hold) is refused before anyone is asked to approve. Shortening a retention is
 * not built and is refused at request time too.
 */
export async function prepareAction(ctx: WireContext, input: ApprovalRequestInput): Promise<PreparedAction> {
  const policy = await ctx.policy();
  switch (input.action) {
    case 'snapshot.forget':
    case 'snapshot.delete': {
      const asked = Array.isArray(input.params.ids) ? (input.params.ids as string[]) : [String(input.params.id)];
      // A dry run reads only the catalog: the server's own repository handle will do.
      const preview = await forgetSnapshots(ctx.repo, ctx.catalog, asked, { dryRun: true });
      const ids = [...new Set(preview.decisions.map((d) => d.id))];
      const tiers = await Promise.all(ids.map(async (id) => (await ctx.catalog.getSnapshot(id))?.tier));
      return {
        target: targetOf(ids),
        params: { ids, prune: input.params.prune === true },
        required: requiredApprovals(policy, tiers),
      };
    }
    case 'key.remove': {
      const key = (await listRepositoryKeys(ctx.repo)).find((k) => k.id === input.target);
      if (!key) throw new CairnError('CAIRN_E_NOT_FOUND', `no key ${input.target}; see GET /api/v1/keys`);
      if (key.current)
        throw new CairnError('CAIRN_E_KEY_IN_USE', `key ${key.id} is the one this server opened the repository with`);
      return { target: key.id, params: { id: key.id }, required: requiredApprovals(policy) };
    }
    case 'hold.remove': {
      // Lifting a hold lets the snapshot be forgotten: it needs what deleting the snapshot needs.
      const s = await resolveSnapshot(ctx.catalog, { id: String(input.params.id ?? input.target) });
      if (!(await readHolds(ctx.repo)).has(s.id))
        throw new CairnError(
          'CAIRN_E_NOT_FOUND',
          `snapshot ${s.id.slice(0, 12)} (${s.item}) has no legal hold; see GET /api/v1/holds`,
          { id: s.id },
        );
      return { target: s.id, params: { id: s.id }, required: requiredApprovals(policy, [s.tier]) };
    }
    default:
      throw notBuilt(input.action);
  }
}

/** Carries out an approved action; its answer is stored as the approval's result. */
export async function runAction(ctx: WireContext, action: ApprovalAction, params: unknown): Promise<unknown> {
  const p = (params ?? {}) as { ids?: string[]; id?: string; prune?: boolean };
  switch (action) {
    case 'snapshot.forget':
    case 'snapshot.delete':
      return ctx.withRepository(async (repo) => {
        const result = await forgetSnapshots(repo, ctx.catalog, p.ids ?? [], {});
        return { ...result, ...(p.prune ? { prune: await prune(repo, {}) } : {}) };
      });
    case 'key.remove':
      await removeRepositoryKey(ctx.repo, String(p.id));
      return { removed: p.id };
    case 'hold.remove':
      return ctx.withRepository((repo) => removeHold(repo, String(p.id)));
    default:
      throw notBuilt(action);
  }
}

/** Shortening a retention: a compliance lock cannot be shortened by anyone, a governance one only with a bypass. */
function notBuilt(action: ApprovalAction): CairnError {
  return new CairnError(
    'CAIRN_E_NOT_IMPLEMENTED',
    `${action} is not built: a compliance-mode lock cannot be shortened by anyone, and shortening a ` +
      'governance-mode one needs a lock bypass Cairn does not use; nothing was requested',
    { action },
  );
}

/** Approval targets are at most 500 characters: full ids while they fit, else a count and short ids. */
function targetOf(ids: readonly string[]): string {
  const full = ids.join(',');
  if (full.length <= 500) return full;
  return `${ids.length} snapshots: ${ids.map((id) => id.slice(0, 12)).join(',')}`.slice(0, 500);
}
