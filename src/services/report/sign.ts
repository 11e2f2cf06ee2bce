import { createHash, type KeyObject, sign, verify } from 'node:crypto';
import { canonicalJson, publicKeyText, type SigningKeyPair } from '../../audit/index.js';
import type { MonthlyReport, ReportSignature, SignedReport } from './types.js';

export function bodySha256(r: MonthlyReport): string {
  return createHash('sha256').update(canonicalJson(r)).digest('hex');
}

export function keyFingerprint(key: KeyObject): string {
  return createHash('sha256')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

/** Ed25519 over the body's canonical JSON, with the repository's audit key (the one checkpoints are signed with). */
export function signReport(r: MonthlyReport, key: SigningKeyPair): SignedReport {
  const body = Buffer.from(canonicalJson(r)); // once: tens of MB at 100,000 snapshots
  const signature: ReportSignature = {
    algorithm: 'ed25519',
    publicKey: publicKeyText(key.publicKey),
    keyFingerprint: keyFingerprint(key.publicKey),
    bodySha256: createHash('sha256').update(body).digest('hex'),
    value: sign(null, body, key.privateKey).toString('base64'),
  };
  return { report: r, signature };
}

/** Whether the signature holds for this body under the pinned key; says why not. */
export function checkSignature(s: SignedReport, pinned: KeyObject | undefined): { valid: boolean; message: string } {
  if (!pinned) return { valid: false, message: 'the repository has no pinned audit key (audit/public-key)' };
  if (s.signature?.algorithm !== 'ed25519') return { valid: false, message: 'the report is not signed with Ed25519' };
  if (s.signature.publicKey !== publicKeyText(pinned)) {
    return {
      valid: false,
      message: `signed by key ${s.signature.keyFingerprint?.slice(0, 16)}…, not the repository's pinned audit key`,
    };
  }
  let ok = false;
  const body = Buffer.from(canonicalJson(s.report));
  try {
    ok = verify(null, body, pinned, Buffer.from(s.signature.value, 'base64'));
  } catch {
    ok = false;
  }
  if (!ok) return { valid: false, message: 'the signature does not match the report: it was changed after signing' };
  if (s.signature.bodySha256 !== createHash('sha256').update(body).digest('hex'))
    return { valid: false, message: 'the body hash does not match the body' };
  return { valid: true, message: `signed by the repository's audit key ${s.signature.keyFingerprint.slice(0, 16)}…` };
}
