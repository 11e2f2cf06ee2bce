import type { JWTPayload } from 'jose';
import type { Role } from '../policy/index.js';
import { isRole } from './permissions.js';

/**
 * A claim by dot path (`realm_access.roles`). A claim whose own name contains dots, as namespaced
 * claims do (`https://acme.example/roles`), is found by its whole name first.
 */
export function claimAt(payload: JWTPayload, path: string): unknown {
  if (Object.hasOwn(payload, path)) return payload[path];
  let value: unknown = payload;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** A claim's values as strings: an array of strings, or one string (space-separated, as `scope` is). */
export function claimValues(value: unknown): string[] | undefined {
  if (typeof value === 'string') return value.split(/\s+/).filter((part) => part !== '');
  if (Array.isArray(value)) return value.filter((part): part is string => typeof part === 'string');
  return undefined;
}

/** Roles for claim values: through `roleMap` when given, else values that are role names. */
export function rolesFor(values: readonly string[], roleMap: Readonly<Record<string, readonly Role[]>> | undefined) {
  const roles = new Set<Role>();
  for (const value of values) {
    if (roleMap === undefined) {
      if (isRole(value)) roles.add(value);
    } else if (Object.hasOwn(roleMap, value)) {
      for (const role of roleMap[value] ?? []) roles.add(role);
    }
  }
  return [...roles];
}
