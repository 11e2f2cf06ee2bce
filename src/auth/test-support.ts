import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import { generate } from 'otplib';
import { type Catalog, openCatalog } from '../catalog/index.js';
import type { AccessPolicy, Role } from '../policy/index.js';
import { AccessControl } from './access-control.js';
import { baseIdentity, type Identity } from './identity.js';
import type { OidcVerifier } from './oidc.js';
import { aesGcmSealer } from './sealer.js';

/** What the access tests share: a policy, a clock they move, and a fresh SQLite catalog per test. */

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

export const testPolicy: AccessPolicy = Object.freeze({
  separationOfDuties: [
    ['operator', 'auditor'],
    ['restorer', 'auditor'],
  ] as const,
  jit: { maxDurationMs: 2 * HOUR, approvers: 1 },
  approvals: { expireAfterMs: 24 * HOUR, defaultApprovers: 2 },
  teams: {},
});

export class TestClock {
  #ms: number;
  constructor(iso = '2026-11-02T09:00:10.000Z') {
    this.#ms = Date.parse(iso);
  }
  readonly now = (): Date => new Date(this.#ms);
  advance(ms: number): void {
    this.#ms += ms;
  }
}

export interface Scene {
  readonly access: AccessControl;
  readonly catalog: Catalog;
  readonly clock: TestClock;
}

export async function scene(
  t: TestContext,
  options: { policy?: AccessPolicy; oidc?: OidcVerifier; clock?: TestClock } = {},
): Promise<Scene> {
  const catalog = await openCatalog({ sqlitePath: ':memory:' });
  t.after(() => catalog.close());
  const clock = options.clock ?? new TestClock();
  const access = new AccessControl({
    store: catalog.access,
    policy: options.policy ?? testPolicy,
    sealer: aesGcmSealer(randomBytes(32)),
    now: clock.now,
    ...(options.oidc ? { oidc: options.oidc } : {}),
  });
  return { access, catalog, clock };
}

/** An OIDC-like identity of a person with these roles. */
export function person(name: string, ...roles: Role[]): Identity {
  return baseIdentity(`oidc:${name}`, roles, 'oidc');
}

export const admin = person('root', 'admin');

/** The TOTP code `secret` shows at the clock's time, `steps` steps later (or earlier). */
export function codeAt(secret: string, clock: TestClock, steps = 0): Promise<string> {
  return generate({ secret, epoch: Math.floor(clock.now().getTime() / 1000) + steps * 30 });
}

/** Enrols `who` and confirms with the current code; returns the secret. Moves the clock a step on. */
export async function enrolled(s: Scene, who: Identity): Promise<string> {
  const { secret } = await s.access.enrollMfa(who);
  await s.access.confirmMfa(who, await codeAt(secret, s.clock));
  s.clock.advance(30_000);
  return secret;
}
