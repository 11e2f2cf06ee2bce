/** Which schedule applies to an item: its own, else its tier's. */
import type { Item, Policy, Schedule } from './types.js';

export function effectiveSchedule(policy: Policy, item: Item): Schedule | undefined {
  return item.schedule ?? policy.tiers[item.tier]?.schedule;
}
