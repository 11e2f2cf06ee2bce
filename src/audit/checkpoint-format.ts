import { type KeyObject, sign, verify } from 'node:crypto';
import { CairnError } from '../errors/index.js';
import { canonicalJson } from './canonical-json.js';

/** What a checkpoint says: signed, so its seq and hash can be checked without the repository key. */
export interface CheckpointBody {
  readonly version: 1;
  readonly seq: number;
  readonly hash: string;
  readonly time: string;
  readonly prevCheckpoint: string | null;
  /** Base64 SPKI DER of the Ed25519 public key that signed it. */
  readonly publicKey: string;
  /** The first event in `events`; seq + 1 when there are none (an idle checkpoint). */
  readonly firstSeq: number;
  /** Base64 of the sealed JSONL (canonical JSON, one event a line) of events firstSeq…seq. */
  readonly events: string;
}

export interface SignedCheckpoint extends CheckpointBody {
  readonly signature: string; // base64 Ed25519 over the body's canonical JSON
}

const namePattern = /^audit\/(\d{12})-(\d{13,})$/;

/** `audit/<seq, 12 digits>-<unix ms>`: sorts by seq, then by time. */
export function checkpointName(seq: number, time: Date): string {
  return `audit/${String(seq).padStart(12, '0')}-${time.getTime()}`;
}

export function isCheckpointName(name: string): boolean {
  return namePattern.test(name);
}

export function seqOfCheckpointName(name: string): number | undefined {
  const match = namePattern.exec(name);
  return match ? Number(match[1]) : undefined;
}

export function publicKeyText(key: KeyObject): string {
  return key.export({ type: 'spki', format: 'der' }).toString('base64');
}

export function signCheckpoint(body: CheckpointBody, privateKey: KeyObject): Uint8Array {
  const signature = sign(null, Buffer.from(canonicalJson(body)), privateKey).toString('base64');
  return Buffer.from(canonicalJson({ ...body, signature }));
}

/** Parses a stored checkpoint; throws CAIRN_E_INTEGRITY when it is not one. */
export function parseCheckpoint(name: string, bytes: Uint8Array): SignedCheckpoint {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    value = undefined;
  }
  const c = value as Partial<SignedCheckpoint> | undefined;
  const ok =
    c?.version === 1 &&
    Number.isSafeInteger(c.seq) &&
    Number.isSafeInteger(c.firstSeq) &&
    typeof c.hash === 'string' &&
    typeof c.time === 'string' &&
    (c.prevCheckpoint === null || typeof c.prevCheckpoint === 'string') &&
    typeof c.publicKey === 'string' &&
    typeof c.events === 'string' &&
    typeof c.signature === 'string';
  if (!ok) throw new CairnError('CAIRN_E_INTEGRITY', `${name} is not an audit checkpoint`, { object: name });
  return c as SignedCheckpoint;
}

/** True when the signature is valid for the body under this (pinned) key, and the body names that key. */
export function signatureValid(checkpoint: SignedCheckpoint, pinned: KeyObject): boolean {
  const { signature, ...body } = checkpoint;
  if (body.publicKey !== publicKeyText(pinned)) return false;
  try {
    return verify(null, Buffer.from(canonicalJson(body)), pinned, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}
