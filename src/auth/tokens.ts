import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { TokenRecord } from '../catalog/index.js';
import { CairnError } from '../errors/index.js';
import type { Role } from '../policy/index.js';
import { type AccessContext, isPast, laterIso, nowIso } from './context.js';
import { checkDuties } from './duties.js';
import { baseIdentity, type Identity, requirePermission } from './identity.js';
import { isRole } from './permissions.js';
import { unauthenticated } from './unauthenticated.js';

/**
 * API tokens: `cairn_<id>_<secret>`, shown once. Only the SHA-256 of the whole string is kept: the
 * secret part is 32 random bytes, far beyond guessing, so a slow hash would add latency to every
 * request and no safety. The id part lets the server find the row without scanning.
 */

export interface NewToken {
  readonly name: string;
  readonly roles: readonly Role[];
  readonly expiresInMs: number;
  readonly createdBy: Identity;
}

export type TokenState = 'active' | 'expired' | 'revoked';

/** A token as listed: never the hash, never the secret. */
export interface TokenInfo extends Omit<TokenRecord, 'hash' | 'roles'> {
  readonly roles: readonly Role[];
  readonly subject: string;
  readonly state: TokenState;
}

export interface CreatedToken {
  /** The secret: shown to its creator once, stored nowhere. */
  readonly token: string;
  readonly info: TokenInfo;
}

const tokenPattern = /^cairn_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
const namePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** lastUsedAt is a hint for people, not an audit record: one write a minute per token is plenty. */
const touchEveryMs = 60_000;

export async function createToken(ctx: AccessContext, input: NewToken): Promise<CreatedToken> {
  requirePermission(input.createdBy, 'tokens.manage', 'create API tokens');
  if (typeof input.name !== 'string' || !namePattern.test(input.name)) {
    throw new CairnError(
      'CAIRN_E_USAGE',
      `token name ${JSON.stringify(input.name)} is not allowed: use 1–64 letters, digits, dots, dashes or underscores`,
      { name: input.name },
    );
  }
  const roles = [...new Set(input.roles)];
  const unknown = roles.filter((role) => !isRole(role));
  if (roles.length === 0 || unknown.length > 0) {
    throw new CairnError(
      'CAIRN_E_USAGE',
      `a token needs one or more roles from viewer, operator, restorer, approver, auditor, admin` +
        (unknown.length > 0 ? `; ${unknown.map((r) => JSON.stringify(r)).join(', ')} is not one` : ''),
      { roles: input.roles },
    );
  }
  if (!Number.isSafeInteger(input.expiresInMs) || input.expiresInMs <= 0) {
    throw new CairnError('CAIRN_E_USAGE', 'a token needs an expiry in the future, e.g. --expires 30d', {
      expiresInMs: input.expiresInMs,
    });
  }
  checkDuties(roles, ctx.policy.separationOfDuties, `token ${input.name}`, 'create one token per duty instead');
  const clash = (await ctx.store.listTokens()).find((t) => t.name === input.name && stateOf(ctx, t) === 'active');
  if (clash !== undefined) {
    throw new CairnError(
      'CAIRN_E_EXISTS',
      `an active token named ${input.name} exists (${clash.id}): revoke it first or choose another name`,
      { name: input.name, tokenId: clash.id },
    );
  }

  const id = randomBytes(8).toString('hex');
  const token = `cairn_${id}_${randomBytes(32).toString('base64url')}`;
  const record: TokenRecord = {
    id,
    name: input.name,
    roles,
    hash: sha256(token).toString('hex'),
    createdBy: input.createdBy.subject,
    createdAt: nowIso(ctx),
    expiresAt: laterIso(ctx, input.expiresInMs),
    revokedAt: null,
    revokedBy: null,
    lastUsedAt: null,
  };
  await ctx.store.insertToken(record);
  return { token, info: tokenInfo(ctx, record) };
}

/** The token's identity (base roles only), or CAIRN_E_UNAUTHENTICATED with details.reason. */
export async function authenticateToken(ctx: AccessContext, token: string): Promise<Identity> {
  const match = typeof token === 'string' ? tokenPattern.exec(token) : null;
  if (match === null) throw unauthenticated('token', 'malformed');
  const id = match[1]!;
  const record = await ctx.store.getToken(id);
  // Ids are not secret (they are listed); the secret part is compared in constant time.
  const presented = sha256(token);
  const stored = Buffer.from(record?.hash ?? '00'.repeat(32), 'hex');
  if (record === undefined || stored.length !== presented.length || !timingSafeEqual(stored, presented)) {
    throw unauthenticated('token', 'unknown', { tokenId: id });
  }
  const state = stateOf(ctx, record);
  if (state !== 'active') throw unauthenticated('token', state, { tokenId: id, subject: `token:${record.name}` });
  if (record.lastUsedAt === null || Date.parse(record.lastUsedAt) + touchEveryMs <= ctx.now().getTime()) {
    await ctx.store.touchToken(id, nowIso(ctx));
  }
  return baseIdentity(`token:${record.name}`, record.roles.filter(isRole), 'token', {
    tokenId: id,
    expiresAt: record.expiresAt,
  });
}

export async function listTokens(ctx: AccessContext): Promise<TokenInfo[]> {
  return (await ctx.store.listTokens()).map((record) => tokenInfo(ctx, record));
}

/** Revokes at once; revoking a revoked token changes nothing and is not an error. */
export async function revokeToken(ctx: AccessContext, id: string, by: Identity): Promise<TokenInfo> {
  requirePermission(by, 'tokens.manage', 'revoke API tokens');
  await ctx.store.revokeToken(id, by.subject, nowIso(ctx));
  const record = await ctx.store.getToken(id);
  if (record === undefined) {
    throw new CairnError('CAIRN_E_NOT_FOUND', `no token ${JSON.stringify(id)}: see \`cairn token list\``, { id });
  }
  return tokenInfo(ctx, record);
}

function tokenInfo(ctx: AccessContext, record: TokenRecord): TokenInfo {
  const { hash: _hash, roles, ...rest } = record;
  return { ...rest, roles: roles.filter(isRole), subject: `token:${record.name}`, state: stateOf(ctx, record) };
}

function stateOf(ctx: AccessContext, record: TokenRecord): TokenState {
  if (record.revokedAt !== null) return 'revoked';
  return isPast(ctx, record.expiresAt) ? 'expired' : 'active';
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
