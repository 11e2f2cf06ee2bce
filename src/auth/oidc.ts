import { createRemoteJWKSet, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { CairnError } from '../errors/index.js';
import type { Role } from '../policy/index.js';
import { claimAt, claimValues, rolesFor } from './claims.js';
import { checkDuties, type DutyPairs } from './duties.js';
import { baseIdentity, type Identity } from './identity.js';
import { isRole } from './permissions.js';
import { type AuthFailure, unauthenticated } from './unauthenticated.js';

/** Where OIDC bearer tokens come from and how their claims become a Cairn identity. */
export interface OidcConfig {
  readonly issuer: string;
  readonly audience: string | readonly string[];
  /** https, or http on a loopback address (tests, a local identity provider). */
  readonly jwksUrl: string;
  /** Dot path of the claim holding roles or groups; default `roles`. */
  readonly roleClaim?: string;
  /** Claim value → roles; without it, claim values that are role names are taken as they are. */
  readonly roleMap?: Readonly<Record<string, readonly Role[]>>;
  /** Dot path of the claim naming the person; default `sub` (stable, unlike an e-mail address). */
  readonly subjectClaim?: string;
}

export interface OidcOptions {
  readonly separationOfDuties: DutyPairs;
  readonly now?: () => Date;
  /** The key source; default a remote JWKS at config.jwksUrl, cached and refetched for unknown keys. */
  readonly keys?: JWTVerifyGetKey;
}

const algorithms = ['RS256', 'ES256', 'EdDSA'];
/** Seconds of clock skew allowed between the identity provider and this server. */
const clockToleranceSec = 30;

/** Verifies OIDC bearer tokens (signature, issuer, audience, time, algorithm) and maps their claims. */
export class OidcVerifier {
  readonly config: OidcConfig;
  readonly #keys: JWTVerifyGetKey;
  readonly #duties: DutyPairs;
  readonly #now: () => Date;

  constructor(config: OidcConfig, options: OidcOptions) {
    this.config = Object.freeze({ ...config });
    this.#duties = options.separationOfDuties;
    this.#now = options.now ?? (() => new Date());
    this.#keys = options.keys ?? createRemoteJWKSet(jwksUrl(config.jwksUrl), { timeoutDuration: 5_000 });
  }

  /** The identity (base roles only) of a valid token; CAIRN_E_UNAUTHENTICATED with a reason if not. */
  async verify(jwt: string): Promise<Identity> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(jwt, this.#keys, {
        issuer: this.config.issuer,
        audience: [...(typeof this.config.audience === 'string' ? [this.config.audience] : this.config.audience)],
        algorithms,
        clockTolerance: clockToleranceSec,
        currentDate: this.#now(),
        requiredClaims: ['exp'],
      }));
    } catch (err) {
      throw this.#refusal(err);
    }
    return this.#identity(payload);
  }

  #identity(payload: JWTPayload): Identity {
    const subjectClaim = this.config.subjectClaim ?? 'sub';
    const name = claimAt(payload, subjectClaim);
    if (typeof name !== 'string' || name === '') {
      throw unauthenticated('oidc', 'missing-claim', { claim: subjectClaim, issuer: payload.iss });
    }
    const subject = `oidc:${name}`;
    const roleClaim = this.config.roleClaim ?? 'roles';
    const values = claimValues(claimAt(payload, roleClaim));
    if (values === undefined) {
      throw new CairnError(
        'CAIRN_E_FORBIDDEN',
        `the OIDC token of ${subject} has no claim ${JSON.stringify(roleClaim)} to take roles from: ` +
          `have the identity provider add it, or set oidc.roleClaim to the claim that lists roles or groups`,
        { subject, reason: 'no-role-claim', claim: roleClaim },
      );
    }
    const roles = rolesFor(values, this.config.roleMap).filter(isRole);
    if (roles.length === 0) {
      throw new CairnError(
        'CAIRN_E_FORBIDDEN',
        `the OIDC token of ${subject} gives no Cairn role: its claim ${JSON.stringify(roleClaim)} holds ` +
          `${values.length > 0 ? values.map((v) => JSON.stringify(v)).join(', ') : 'nothing'}; ` +
          (this.config.roleMap
            ? 'add those values to oidc.roleMap'
            : 'list role names there or map them in oidc.roleMap'),
        { subject, reason: 'no-role', claim: roleClaim, values },
      );
    }
    checkDuties(
      roles,
      this.#duties,
      subject,
      'the identity provider gives this person both: remove one of the groups or change oidc.roleMap',
    );
    return baseIdentity(subject, roles, 'oidc', {
      ...(payload.exp === undefined ? {} : { expiresAt: new Date(payload.exp * 1000).toISOString() }),
    });
  }

  #refusal(err: unknown): CairnError {
    const reason = failureOf(err);
    if (reason !== undefined) return unauthenticated('oidc', reason, { detail: (err as Error).message });
    // The key set could not be fetched or read: the identity provider's fault, not the caller's.
    const detail = err instanceof Error ? err.message : String(err);
    return new CairnError(
      'CAIRN_E_SERVER',
      `cannot verify OIDC tokens: the key set at ${this.config.jwksUrl} could not be used (${detail}); ` +
        'check oidc.jwksUrl and that the identity provider is reachable from the server',
      { jwksUrl: this.config.jwksUrl, detail },
      { cause: err },
    );
  }
}

function failureOf(err: unknown): AuthFailure | undefined {
  if (err instanceof errors.JWTExpired) return 'expired';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'iss') return 'wrong-issuer';
    if (err.claim === 'aud') return 'wrong-audience';
    if (err.reason === 'missing') return 'missing-claim';
    if (err.claim === 'nbf' || err.claim === 'iat') return 'not-yet-valid';
    return 'bad-claims';
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'bad-signature';
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) return 'unknown-key';
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported) return 'bad-algorithm';
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return 'malformed';
  return undefined;
}

function jwksUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CairnError('CAIRN_E_USAGE', `oidc.jwksUrl ${JSON.stringify(text)} is not a URL`, { jwksUrl: text });
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new CairnError(
      'CAIRN_E_USAGE',
      `oidc.jwksUrl must use https (http only on a loopback address), not ${JSON.stringify(text)}`,
      { jwksUrl: text },
    );
  }
  return url;
}
