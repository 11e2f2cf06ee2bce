import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { deliveryIdOf, signGeneric, verifyGeneric, verifyGithub, verifyGitlab } from './verify.js';

const SECRET = 'It’s a Secret to Everybody';
const body = Buffer.from('{"zen":"Hello, World!","spaces" : [1, 2]}'); // not re-serialised JSON
const ghSig = (b: Buffer | string, s = SECRET) => `sha256=${createHmac('sha256', s).update(b).digest('hex')}`;

describe('GitHub signatures (X-Hub-Signature-256)', () => {
  it("accepts GitHub's documented example", () => {
    // docs.github.com "Validating webhook deliveries": secret "It's a Secret to Everybody", payload "Hello, World!".
    const sig = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
    assert.deepEqual(
      verifyGithub({ 'x-hub-signature-256': sig }, Buffer.from('Hello, World!'), "It's a Secret to Everybody"),
      {
        ok: true,
      },
    );
  });

  it('accepts the HMAC of the raw body, upper- or lower-case hex', () => {
    assert.equal(verifyGithub({ 'x-hub-signature-256': ghSig(body) }, body, SECRET).ok, true);
    assert.equal(
      verifyGithub({ 'x-hub-signature-256': ghSig(body).toUpperCase().replace('SHA256', 'sha256') }, body, SECRET).ok,
      true,
    );
  });

  it('refuses a missing, malformed or wrong signature, another secret and a tampered body', () => {
    const reason = (h: Record<string, string>, b = body, s = SECRET) => {
      const v = verifyGithub(h, b, s);
      return v.ok ? 'ok' : v.reason;
    };
    assert.equal(reason({}), 'missing-signature');
    assert.equal(reason({ 'x-hub-signature-256': 'sha1=abc' }), 'malformed-signature');
    assert.equal(reason({ 'x-hub-signature-256': `sha256=${'0'.repeat(63)}` }), 'malformed-signature');
    assert.equal(reason({ 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` }), 'bad-signature');
    assert.equal(reason({ 'x-hub-signature-256': ghSig(body, 'another secret') }), 'bad-signature');
    const tampered = Buffer.from(body.toString().replace('World', 'world'));
    assert.equal(reason({ 'x-hub-signature-256': ghSig(body) }, tampered), 'bad-signature');
    // The same JSON serialised differently is other bytes: refused.
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(body.toString())));
    assert.equal(reason({ 'x-hub-signature-256': ghSig(body) }, reserialised), 'bad-signature');
  });

  it('never puts the secret or the expected signature in its message', () => {
    const v = verifyGithub({ 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` }, body, SECRET);
    assert.equal(v.ok, false);
    assert.ok(!v.ok && !v.message.includes(SECRET) && !v.message.includes(ghSig(body).slice(7)));
  });
});

describe('GitLab tokens (X-Gitlab-Token)', () => {
  it('accepts the token and refuses a missing, wrong, longer or shorter one', () => {
    assert.equal(verifyGitlab({ 'x-gitlab-token': 'tok-123' }, 'tok-123').ok, true);
    for (const [h, reason] of [
      [{}, 'missing-signature'],
      [{ 'x-gitlab-token': 'tok-124' }, 'bad-signature'],
      [{ 'x-gitlab-token': 'tok-1234' }, 'bad-signature'],
      [{ 'x-gitlab-token': 'tok-12' }, 'bad-signature'],
      [{ 'x-gitlab-token': ['tok-123', 'tok-123'] }, 'missing-signature'],
    ] as Array<[Record<string, string | string[]>, string]>) {
      const v = verifyGitlab(h, 'tok-123');
      assert.equal(v.ok ? 'ok' : v.reason, reason, JSON.stringify(h));
    }
  });
});

describe('generic signatures (X-Cairn-Timestamp, X-Cairn-Signature)', () => {
  const now = new Date('2026-11-29T10:00:00Z');
  const ts = String(now.getTime() / 1000);
  const window = 300_000;
  const signed = (t: string, b: Buffer = body, delivery = 'build-77') => ({
    'x-cairn-timestamp': t,
    'x-cairn-delivery': delivery,
    'x-cairn-signature': signGeneric(SECRET, t, delivery, b),
  });
  const reason = (h: Record<string, string>, b = body) => {
    const v = verifyGeneric(h, b, SECRET, window, now);
    return v.ok ? 'ok' : v.reason;
  };

  it('accepts HMAC-SHA256 over "<timestamp>.<delivery id>.<body>" as the docs compute it', () => {
    const expected = createHmac('sha256', SECRET).update(`${ts}.build-77.${body.toString()}`).digest('hex');
    assert.equal(signGeneric(SECRET, ts, 'build-77', body), `v1=${expected}`);
    assert.equal(reason(signed(ts)), 'ok');
    assert.equal(reason(signed(String(Number(ts) - 299))), 'ok');
    assert.equal(reason(signed(String(Number(ts) + 299))), 'ok');
  });

  it('refuses a delivery older than the replay window, or too far in the future', () => {
    assert.equal(reason(signed(String(Number(ts) - 301))), 'replayed');
    assert.equal(reason(signed(String(Number(ts) + 301))), 'from-the-future');
    const v = verifyGeneric(signed(String(Number(ts) - 3600)), body, SECRET, window, now);
    assert.ok(!v.ok && /3600s old, outside the 300s window/.test(v.message), JSON.stringify(v));
  });

  it('refuses missing headers, a wrong or malformed signature, a moved timestamp and a tampered body', () => {
    assert.equal(reason({ 'x-cairn-signature': signGeneric(SECRET, ts, '', body) }), 'missing-timestamp');
    assert.equal(reason({ 'x-cairn-timestamp': 'yesterday', 'x-cairn-signature': 'v1=00' }), 'missing-timestamp');
    assert.equal(reason({ 'x-cairn-timestamp': ts }), 'missing-signature');
    assert.equal(
      reason({ 'x-cairn-timestamp': ts, 'x-cairn-signature': ghSig(body).replace('sha256', 'v2') }),
      'malformed-signature',
    );
    assert.equal(reason({ ...signed(ts), 'x-cairn-timestamp': String(Number(ts) + 1) }), 'bad-signature');
    assert.equal(reason(signed(ts), Buffer.from(`${body.toString()} `)), 'bad-signature');
    assert.equal(
      reason({ 'x-cairn-timestamp': ts, 'x-cairn-signature': signGeneric('other', ts, '', body) }),
      'bad-signature',
    );
  });

  it('signs the delivery id: a captured delivery replayed under a new id is refused', () => {
    assert.equal(reason(signed(ts)), 'ok');
    assert.equal(reason({ ...signed(ts), 'x-cairn-delivery': 'build-78' }), 'bad-signature');
    const { 'x-cairn-delivery': _dropped, ...withoutId } = signed(ts);
    assert.equal(reason(withoutId), 'bad-signature');
    // The old scheme ("<timestamp>.<body>") no longer verifies.
    const old = createHmac('sha256', SECRET).update(`${ts}.${body.toString()}`).digest('hex');
    assert.equal(reason({ ...signed(ts), 'x-cairn-signature': `v1=${old}` }), 'bad-signature');
  });
});

describe('delivery ids', () => {
  it('reads each provider’s header and refuses odd ones', () => {
    assert.equal(
      deliveryIdOf('github', { 'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958' }),
      '72d3162e-cc78-11e3-81ab-4c9367dc0958',
    );
    assert.equal(deliveryIdOf('gitlab', { 'x-gitlab-event-uuid': 'u-1' }), 'u-1');
    assert.equal(deliveryIdOf('gitlab', { 'idempotency-key': 'k-1' }), 'k-1');
    assert.equal(deliveryIdOf('generic', { 'x-cairn-delivery': 'build-77' }), 'build-77');
    assert.equal(deliveryIdOf('generic', { 'x-github-delivery': 'x' }), undefined);
    assert.equal(deliveryIdOf('github', { 'x-github-delivery': 'a b' }), undefined);
  });
});
