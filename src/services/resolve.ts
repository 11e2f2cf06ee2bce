import type { Catalog, SnapshotRecord } from '../catalog/index.js';
import { CairnError } from '../errors/index.js';

export interface SnapshotSelector {
  readonly id?: string;
  readonly release?: string;
  readonly commit?: string;
  readonly item?: string;
}

/**
 * A snapshot by id (or unique prefix), or by release / commit (C4.1). Release and commit resolve
 * deterministically: per item, the newest snapshot taken or verified under that release, ties by id;
 * several items match only when --item narrows them to one.
 */
export async function resolveSnapshot(catalog: Catalog, sel: SnapshotSelector): Promise<SnapshotRecord> {
  if (sel.id) {
    const found = await catalog.getSnapshot(sel.id);
    if (!found) throw new CairnError('CAIRN_E_NOT_FOUND', `no snapshot ${sel.id}; list them with \`cairn snapshots\``);
    if (sel.item && found.item !== sel.item) {
      throw new CairnError('CAIRN_E_USAGE', `snapshot ${sel.id} belongs to item ${found.item}, not ${sel.item}`);
    }
    return found;
  }
  if (!sel.release && !sel.commit) {
    throw new CairnError('CAIRN_E_USAGE', 'name a snapshot: an id, or --release VER / --commit SHA (with --item NAME)');
  }
  const hits = await catalog.findSnapshots({
    ...(sel.release ? { release: sel.release } : {}),
    ...(sel.commit ? { commit: sel.commit } : {}),
    ...(sel.item ? { item: [sel.item] } : {}),
  });
  const what = sel.release ? `release ${sel.release}` : `commit ${sel.commit}`;
  if (hits.length === 0) {
    throw new CairnError('CAIRN_E_NOT_FOUND', `no snapshot of ${what}${sel.item ? ` for item ${sel.item}` : ''}`);
  }
  const items = [...new Set(hits.map((h) => h.item))];
  if (items.length > 1) {
    throw new CairnError(
      'CAIRN_E_AMBIGUOUS',
      `${what} has snapshots of ${items.length} items (${items.join(', ')}); add --item NAME`,
    );
  }
  // The newest state recorded under that release: latest by the time it was taken or verified.
  const own = (h: (typeof hits)[number]) =>
    sel.release ? h.release === sel.release : (h.commit ?? '').startsWith(sel.commit ?? '');
  const stamp = (h: (typeof hits)[number]) =>
    [own(h) ? h.time : '', ...h.verifications.map((v) => v.time)].sort().at(-1)!;
  return [...hits].sort((a, b) => (stamp(b) > stamp(a) ? 1 : stamp(b) < stamp(a) ? -1 : a.id < b.id ? -1 : 1))[0]!;
}
