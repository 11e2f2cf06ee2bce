import { CairnError } from '../errors/index.js';
import type { Item, Policy } from '../policy/index.js';
import { selectItems } from './snapshot.js';

/**
 * An environment is declared under `environments:` or named by an item; anything else is a usage error
 * listing the known ones. One rule for deploy, gate, drift and runbooks.
 */
export function environmentsOf(policy: Policy): string[] {
  const known = new Set([
    ...Object.keys(policy.environments),
    ...policy.items.flatMap((i) => (i.environment ? [i.environment] : [])),
  ]);
  return [...known].sort();
}

/** A usage error unless the environment is one of environmentsOf(policy). */
export function knownEnvironment(policy: Policy, environment: string): void {
  const list = environmentsOf(policy);
  if (list.includes(environment)) return;
  throw new CairnError(
    'CAIRN_E_USAGE',
    `no environment ${environment} in ${policy.file}; environments: ${list.join(', ') || '(none)'}`,
    { environment, environments: list },
  );
}

/** The items of a known environment (those named, when names are given; an unknown name is a usage error). */
export function environmentItems(policy: Policy, environment: string, names?: readonly string[]): Item[] {
  knownEnvironment(policy, environment);
  return selectItems(policy, names, environment);
}
