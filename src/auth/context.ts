import { randomBytes } from 'node:crypto';
import type { AccessStore } from '../catalog/index.js';
import type { AccessPolicy } from '../policy/index.js';
import type { Sealer } from './sealer.js';

/** What every access operation works with; `now` is injected so that tests control time. */
export interface AccessContext {
  readonly store: AccessStore;
  readonly policy: AccessPolicy;
  readonly sealer: Sealer;
  readonly now: () => Date;
}

export function nowIso(ctx: AccessContext): string {
  return ctx.now().toISOString();
}

export function laterIso(ctx: AccessContext, ms: number): string {
  return new Date(ctx.now().getTime() + ms).toISOString();
}

/** A short random id for something people type: `jit-3f2a9c1b7e4d`. */
export function newId(prefix: string): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}

export function isPast(ctx: AccessContext, iso: string): boolean {
  return Date.parse(iso) <= ctx.now().getTime();
}
