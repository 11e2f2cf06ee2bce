import type { Catalog, DrillRecord } from '../../catalog/index.js';
import { formatDuration, type Policy } from '../../policy/index.js';

function against(ms: number | null, sla: number | null): string {
  if (ms === null) return 'not measured';
  return `${formatDuration(ms)}${sla === null ? ' (no SLA)' : ` against ${formatDuration(sla)}: ${ms <= sla ? 'met' : 'BREACHED'}`}`;
}

/**
 * The "Last drill" section of an item's runbook: the newest drill of any plan that restores the item
 * (its id, status, RTO/RPO against the SLAs) and the item's open gaps. Lines, without the heading.
 */
export async function lastDrillLines(catalog: Catalog, policy: Policy, item: string): Promise<string[]> {
  const plans = policy.drills.filter((p) => p.items.includes(item)).map((p) => p.name);
  if (plans.length === 0) return [`No drill plan restores ${item}: add one under \`drills:\` in ${policy.file}.`];
  let last: DrillRecord | undefined;
  for (const plan of plans) {
    const [d] = await catalog.drills.list({ plan, limit: 1 });
    if (d && (!last || d.startedAt > last.startedAt || (d.startedAt === last.startedAt && d.id > last.id))) last = d;
  }
  const lines: string[] = [];
  if (!last) lines.push(`No drill recorded yet (plans: ${plans.join(', ')}; run \`cairn drill run ${plans[0]}\`).`);
  else {
    lines.push(
      `- Drill: \`${last.id}\` of plan ${last.plan}, started ${last.startedAt}`,
      `- Status: ${last.status}${last.status === 'awaiting-signoff' ? ` (needs ${last.signoffRequired.join(', ')})` : ''}`,
      `- RTO: ${against(last.rtoMs, last.rtoSlaMs)}`,
      `- RPO: ${against(last.rpoMs, last.rpoSlaMs)}`,
    );
  }
  const gaps = await catalog.drills.gaps({ item, open: true });
  if (gaps.length === 0) lines.push('- Open gaps: none');
  else {
    lines.push(`- Open gaps (${gaps.length}):`);
    for (const g of gaps) lines.push(`  - ${g.category} \`${g.key}\`: ${g.message} (since ${g.openedAt})`);
  }
  return lines;
}
