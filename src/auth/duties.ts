import { CairnError } from '../errors/index.js';
import type { Role } from '../policy/index.js';

/** Pairs of roles one identity may not hold at once, as policy.access.separationOfDuties gives them. */
export type DutyPairs = ReadonlyArray<readonly [Role, Role]>;

export interface DutyConflict {
  readonly pair: readonly [Role, Role];
  /** Its index in access.separationOfDuties, to name the rule. */
  readonly rule: number;
}

/** Every rule that these roles break together. */
export function dutyConflicts(roles: readonly Role[], pairs: DutyPairs): DutyConflict[] {
  const held = new Set(roles);
  const conflicts: DutyConflict[] = [];
  pairs.forEach((pair, rule) => {
    if (pair[0] !== pair[1] && held.has(pair[0]) && held.has(pair[1])) conflicts.push({ pair, rule });
  });
  return conflicts;
}

/**
 * Throws CAIRN_E_DUTY_CONFLICT when the roles break a separation-of-duties rule; the message names
 * the pair and the rule, and ends with `hint` (what to do in the caller's situation).
 */
export function checkDuties(
  roles: readonly Role[],
  pairs: DutyPairs,
  who = 'one identity',
  hint = 'drop one of the two roles',
): void {
  const [first, ...more] = dutyConflicts(roles, pairs);
  if (first === undefined) return;
  const [a, b] = first.pair;
  const others = more.length > 0 ? ` (and ${more.length} more rule${more.length > 1 ? 's' : ''})` : '';
  throw new CairnError(
    'CAIRN_E_DUTY_CONFLICT',
    `${who} would hold both ${a} and ${b}, which the policy's access.separationOfDuties[${first.rule}] ` +
      `forbids one identity to hold together${others}; ${hint}`,
    { pair: [a, b], rule: first.rule, conflicts: [first, ...more].map((c) => ({ pair: c.pair, rule: c.rule })) },
  );
}
