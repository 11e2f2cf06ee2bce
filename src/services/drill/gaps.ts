import type { Catalog, GapRecord } from '../../catalog/index.js';
import { CairnError } from '../../errors/index.js';
import type { Policy, PolicyIssue } from '../../policy/index.js';

/**
 * The gaps drills found: the open ones (closedAt null), or every one with `all`; by item. With a
 * policy, an `item` that is not in it and never had a gap is a typo: CAIRN_E_USAGE naming close names.
 */
export async function listGaps(
  catalog: Catalog,
  f: { item?: string; all?: boolean } = {},
  policy?: Policy,
): Promise<GapRecord[]> {
  const gaps = await catalog.drills.gaps({
    ...(f.item !== undefined ? { item: f.item } : {}),
    ...(f.all ? {} : { open: true }),
  });
  const item = f.item;
  if (item === undefined || gaps.length > 0 || !policy || policy.items.some((i) => i.name === item)) return gaps;
  if ((await catalog.drills.gaps({ item })).length > 0) return gaps; // gone from the policy, gaps on record
  const names = [...new Set(policy.items.map((i) => i.name))];
  const near = closeNames(item, names);
  const shown =
    near.length > 0 ? `did you mean ${near.join(', ')}?` : `items: ${names.slice(0, 10).join(', ') || '(none)'}`;
  throw new CairnError('CAIRN_E_USAGE', `item "${item}" is not in ${policy.file} and has no drill gaps; ${shown}`, {
    item,
  });
}

/** Names sharing a substring or a 3-character prefix with `word`, case-insensitive; at most 5. */
function closeNames(word: string, names: readonly string[]): string[] {
  const w = word.toLowerCase();
  return names
    .filter((n) => {
      const l = n.toLowerCase();
      return l.includes(w) || w.includes(l) || (w.length >= 3 && l.slice(0, 3) === w.slice(0, 3));
    })
    .slice(0, 5);
}

/**
 * `policy check` warnings (C5.5): one per item of the policy whose last drill found a gap that is
 * still open, at the item's line. Gaps of items no longer in the policy are left to `cairn gaps`.
 */
export async function openGapWarnings(catalog: Catalog, policy: Policy): Promise<PolicyIssue[]> {
  const open = await catalog.drills.gaps({ open: true });
  const byItem = new Map<string, GapRecord[]>();
  for (const g of open) byItem.set(g.item, [...(byItem.get(g.item) ?? []), g]);
  const issues: PolicyIssue[] = [];
  for (const [index, item] of policy.items.entries()) {
    const gaps = byItem.get(item.name);
    if (!gaps || gaps.length === 0) continue;
    const shown = gaps
      .slice(0, 3)
      .map((g) => `${g.category} ${g.key}`)
      .join('; ');
    const more = gaps.length > 3 ? `; … ${gaps.length - 3} more` : '';
    const last = gaps.map((g) => g.lastDrill).sort()[gaps.length - 1];
    issues.push({
      severity: 'warning',
      file: policy.file,
      line: item.at.line,
      column: item.at.column,
      field: `items[${index}]`,
      message: `${item.name} has ${gaps.length} open drill gap${gaps.length === 1 ? '' : 's'} (last found by ${last}): ${shown}${more}; see \`cairn gaps --item ${item.name}\``,
    });
  }
  return issues;
}
