import type { Catalog, GapRecord } from '../../catalog/index.js';
import type { Policy, PolicyIssue } from '../../policy/index.js';

/** The gaps drills found: the open ones (closedAt null), or every one with `all`; by item. */
export function listGaps(catalog: Catalog, f: { item?: string; all?: boolean } = {}): Promise<GapRecord[]> {
  return catalog.drills.gaps({
    ...(f.item !== undefined ? { item: f.item } : {}),
    ...(f.all ? {} : { open: true }),
  });
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
