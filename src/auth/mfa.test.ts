import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { type ErrorCode, isCairnError } from '../errors/index.js';
import { AccessControl } from './access-control.js';
import { aesGcmSealer } from './sealer.js';
import { admin, codeAt, enrolled, person, scene, testPolicy } from './test-support.js';

async function refused(promise: Promise<unknown>, code: ErrorCode, reason?: string, pattern?: RegExp) {
  const err = await promise.then(
    () => assert.fail(`expected ${code}`),
    (e: unknown) => e,
  );
  assert.ok(isCairnError(err, code), `expected ${code}, got ${String(err)}`);
  if (reason !== undefined) assert.equal(err.details?.reason, reason, err.message);
  if (pattern) assert.match(err.message, pattern);
  return err;
}

const carol = person('carol@acme.example', 'approver');

describe('MFA enrolment and TOTP codes', () => {
  it('enrols with a base32 secret, an otpauth URI and a terminal QR code', async (t) => {
    const s = await scene(t);
    const enrolment = await s.access.enrollMfa(carol);
    assert.equal(enrolment.subject, 'oidc:carol@acme.example');
    assert.match(enrolment.secret, /^[A-Z2-7]{32}$/);
    assert.equal(
      enrolment.otpauthUri,
      `otpauth://totp/Cairn:oidc%3Acarol%40acme.example?secret=${enrolment.secret}` +
        '&issuer=Cairn&algorithm=SHA1&digits=6&period=30',
    );
    const rows = enrolment.qr.split('\n').filter((line) => line !== '');
    assert.ok(rows.length > 10, 'a QR code of several rows');
    assert.match(enrolment.qr, /[▀▄█]/);
    assert.deepEqual(await s.access.mfaStatus(carol.subject), {
      subject: carol.subject,
      enrolled: true,
      confirmed: false,
      confirmedAt: null,
    });
  });

  it('stores the secret sealed, never in the clear', async (t) => {
    const s = await scene(t);
    const { secret } = await s.access.enrollMfa(carol);
    const stored = await s.catalog.access.getMfaEnrolment(carol.subject);
    const bytes = Buffer.from(stored?.sealedSecret ?? []);
    assert.equal(bytes.includes(secret), false);
    assert.equal(bytes.includes(Buffer.from(secret, 'ascii').toString('base64')), false);
  });

  it('is confirmed by a current code, and only by one', async (t) => {
    const s = await scene(t);
    const { secret } = await s.access.enrollMfa(carol);
    await refused(s.access.confirmMfa(carol, '000000'), 'CAIRN_E_MFA', 'invalid', /not the current TOTP code/);
    await refused(s.access.confirmMfa(carol, 'abcdef'), 'CAIRN_E_MFA', 'invalid');
    await refused(s.access.confirmMfa(carol, await codeAt(secret, s.clock, 2)), 'CAIRN_E_MFA', 'invalid');
    const confirmed = await s.access.confirmMfa(carol, await codeAt(secret, s.clock));
    assert.equal(confirmed.confirmed, true);
    assert.equal(confirmed.confirmedAt, s.clock.now().toISOString());
    await refused(s.access.confirmMfa(carol, await codeAt(secret, s.clock, 1)), 'CAIRN_E_MFA', undefined, /already/);
    await refused(s.access.confirmMfa(person('nobody', 'viewer'), '123456'), 'CAIRN_E_MFA', undefined, /mfa enroll/);
  });

  it('restarts an unconfirmed enrolment, but refuses to replace a confirmed one until an admin resets it', async (t) => {
    const s = await scene(t);
    const first = await s.access.enrollMfa(carol);
    const second = await s.access.enrollMfa(carol);
    assert.notEqual(first.secret, second.secret);
    await refused(s.access.confirmMfa(carol, await codeAt(first.secret, s.clock)), 'CAIRN_E_MFA', 'invalid');
    await s.access.confirmMfa(carol, await codeAt(second.secret, s.clock));
    await refused(s.access.enrollMfa(carol), 'CAIRN_E_EXISTS', undefined, /ask an admin to reset/);
    await refused(s.access.resetMfa(carol.subject, carol), 'CAIRN_E_FORBIDDEN', undefined, /mfa\.reset/);
    assert.equal((await s.access.resetMfa(carol.subject, admin)).enrolled, false);
    await s.access.enrollMfa(carol);
  });

  it('refuses a secret that cannot be opened, or that was sealed for someone else', async (t) => {
    const s = await scene(t);
    const dave = person('dave', 'approver');
    const secret = await enrolled(s, carol);
    await enrolled(s, dave);
    // A database writer copies dave's sealed secret onto carol's row.
    const store = s.catalog.access;
    const daves = await store.getMfaEnrolment(dave.subject);
    await store.deleteMfaEnrolment(carol.subject);
    await store.putMfaEnrolment(carol.subject, daves?.sealedSecret ?? new Uint8Array(), s.clock.now().toISOString());
    await store.confirmMfaEnrolment(carol.subject, s.clock.now().toISOString(), 1);
    const request = await s.access.requestApproval({
      action: 'key.remove',
      target: 'key-1',
      requestedBy: admin,
      required: 1,
    });
    const err = await refused(
      s.access.grantApproval(request.id, { approver: carol, totpCode: await codeAt(secret, s.clock) }),
      'CAIRN_E_MFA',
      'unusable',
    );
    assert.match(err.message, /sealed for someone else/);

    const otherKey = new AccessControl({
      store,
      policy: testPolicy,
      sealer: aesGcmSealer(randomBytes(32)),
      now: s.clock.now,
    });
    await refused(
      otherKey.grantApproval(request.id, { approver: dave, totpCode: '123456' }),
      'CAIRN_E_MFA',
      'unusable',
      /cannot be opened with the server key/,
    );
  });

  it('seals with AES-256-GCM: a changed byte or a short input does not open', async () => {
    const sealer = aesGcmSealer(randomBytes(32));
    const sealed = await sealer.seal(new TextEncoder().encode('secret'));
    assert.equal(new TextDecoder().decode(await sealer.open(sealed)), 'secret');
    const tampered = new Uint8Array(sealed);
    tampered[14] = (tampered[14] ?? 0) ^ 1;
    await assert.rejects(sealer.open(tampered));
    await assert.rejects(sealer.open(new Uint8Array(10)), /too short/);
    assert.throws(() => aesGcmSealer(new Uint8Array(16)), /32 bytes/);
  });
});
