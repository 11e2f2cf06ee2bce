import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * How an inbound webhook proves where it comes from (C3.1), checked over the raw body exactly as
 * received. Pure: the secret, the headers, the bytes and the clock go in, a verdict comes out.
 *
 * - GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>`.
 * - GitLab: `X-Gitlab-Token: <token>` (a shared token, no signature).
 * - Generic: `X-Cairn-Timestamp: <unix seconds>`, `X-Cairn-Delivery: <id>` and `X-Cairn-Signature:
 *   v1=<hex HMAC-SHA256(secret, "<timestamp>.<delivery id>.<body>")>`, refused outside the replay window
 *   either way (old or from the future). The delivery id is signed, so a captured request cannot be
 *   replayed under a new id (which would not be recognised as a duplicate).
 */

export type HookProvider = 'github' | 'gitlab' | 'generic';
export const HOOK_PROVIDERS: readonly HookProvider[] = Object.freeze(['github', 'gitlab', 'generic']);

export type HookHeaders = Readonly<Record<string, string | string[] | undefined>>;

export type VerifyFailure =
  | 'missing-signature'
  | 'malformed-signature'
  | 'bad-signature'
  | 'missing-timestamp'
  | 'replayed'
  | 'from-the-future';

export type Verdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: VerifyFailure; readonly message: string };

const OK: Verdict = Object.freeze({ ok: true });

function refuse(reason: VerifyFailure, message: string): Verdict {
  return { ok: false, reason, message };
}

/** One header value; a header sent twice counts as missing (which one would we check?). */
export function header(headers: HookHeaders, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return typeof v === 'string' ? v : undefined;
}

export function hmacHex(secret: string, data: Buffer | string): string {
  return createHmac('sha256', secret).update(data).digest('hex');
}

/** Constant-time equality of two strings (lengths may differ: compared as digests). */
export function sameSecret(a: string, b: string): boolean {
  const da = createHmac('sha256', 'cairn-compare').update(a).digest();
  const db = createHmac('sha256', 'cairn-compare').update(b).digest();
  return timingSafeEqual(da, db);
}

const HEX_SHA256 = /^[0-9a-f]{64}$/i;

function sameHex(expected: string, given: string): boolean {
  return timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(given.toLowerCase(), 'hex'));
}

export function verifyGithub(headers: HookHeaders, body: Buffer, secret: string): Verdict {
  const sig = header(headers, 'x-hub-signature-256');
  if (sig === undefined) return refuse('missing-signature', 'header X-Hub-Signature-256 is missing');
  const hex = /^sha256=(.*)$/.exec(sig)?.[1];
  if (hex === undefined || !HEX_SHA256.test(hex))
    return refuse('malformed-signature', 'header X-Hub-Signature-256 must be sha256=<64 hex digits>');
  if (!sameHex(hmacHex(secret, body), hex))
    return refuse('bad-signature', 'X-Hub-Signature-256 does not match the body: check the secret on both sides');
  return OK;
}

export function verifyGitlab(headers: HookHeaders, token: string): Verdict {
  const given = header(headers, 'x-gitlab-token');
  if (given === undefined) return refuse('missing-signature', 'header X-Gitlab-Token is missing');
  if (!sameSecret(token, given))
    return refuse('bad-signature', 'X-Gitlab-Token is not the configured token: check the secret token of the hook');
  return OK;
}

/** `v1=<hex>` for a generic delivery: what a sender computes (and the docs' openssl recipe). */
export function signGeneric(
  secret: string,
  timestamp: string | number,
  deliveryId: string,
  body: Buffer | string,
): string {
  return `v1=${hmacHex(secret, Buffer.concat([Buffer.from(`${timestamp}.${deliveryId}.`), Buffer.from(body)]))}`;
}

export function verifyGeneric(
  headers: HookHeaders,
  body: Buffer,
  secret: string,
  replayWindowMs: number,
  now: Date,
): Verdict {
  const ts = header(headers, 'x-cairn-timestamp');
  if (ts === undefined) return refuse('missing-timestamp', 'header X-Cairn-Timestamp (unix seconds) is missing');
  if (!/^[0-9]{1,12}$/.test(ts)) return refuse('missing-timestamp', 'header X-Cairn-Timestamp must be unix seconds');
  const sig = header(headers, 'x-cairn-signature');
  if (sig === undefined) return refuse('missing-signature', 'header X-Cairn-Signature is missing');
  const hex = /^v1=(.*)$/.exec(sig)?.[1];
  if (hex === undefined || !HEX_SHA256.test(hex))
    return refuse('malformed-signature', 'header X-Cairn-Signature must be v1=<64 hex digits>');
  // A missing delivery id is signed as the empty string: the signature then fails, or the route asks for the id.
  const deliveryId = header(headers, 'x-cairn-delivery') ?? '';
  if (!sameHex(signGeneric(secret, ts, deliveryId, body).slice(3), hex))
    return refuse(
      'bad-signature',
      'X-Cairn-Signature does not match "<timestamp>.<delivery id>.<body>": check the secret and that X-Cairn-Delivery is signed',
    );
  // Checked after the signature, so an unsigned sender learns nothing about the clock.
  const skewMs = now.getTime() - Number(ts) * 1000;
  const window = `${Math.round(replayWindowMs / 1000)}s`;
  if (skewMs > replayWindowMs)
    return refuse('replayed', `X-Cairn-Timestamp is ${Math.round(skewMs / 1000)}s old, outside the ${window} window`);
  if (-skewMs > replayWindowMs)
    return refuse(
      'from-the-future',
      `X-Cairn-Timestamp is ${Math.round(-skewMs / 1000)}s ahead of this server, outside the ${window} window`,
    );
  return OK;
}

/** The delivery id a provider sends, by which a second delivery of the same event is recognised. */
export function deliveryIdOf(provider: HookProvider, headers: HookHeaders): string | undefined {
  const id =
    provider === 'github'
      ? header(headers, 'x-github-delivery')
      : provider === 'gitlab'
        ? (header(headers, 'x-gitlab-event-uuid') ?? header(headers, 'idempotency-key'))
        : header(headers, 'x-cairn-delivery');
  return id !== undefined && /^[\w.:-]{1,200}$/.test(id) ? id : undefined;
}

/** Which header carries the delivery id, for messages. */
export const DELIVERY_HEADER: Readonly<Record<HookProvider, string>> = Object.freeze({
  github: 'X-GitHub-Delivery',
  gitlab: 'X-Gitlab-Event-UUID (or Idempotency-Key)',
  generic: 'X-Cairn-Delivery',
});
