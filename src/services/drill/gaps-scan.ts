import { createHash, X509Certificate } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { DrillGapFound } from '../../catalog/index.js';
import { restoredEntries } from './restored-files.js';

/** A certificate valid for less than this is a warning of the drill, not yet a gap. */
export const EXPIRY_WARNING_MS = 14 * 24 * 3600_000;
/** Files larger than this are not read for certificates or credentials (configuration is small). */
const SCAN_LIMIT = 4 * 1024 * 1024;

export interface ScanResult {
  readonly gaps: DrillGapFound[];
  readonly warnings: string[];
}

const PEM = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const JWT = /\beyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;
/** KEY=value, KEY: value, export KEY="value"; the key names an expiry. */
const EXPIRY_LINE =
  /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*[=:]\s*["']?([0-9]{4}-[0-9]{2}-[0-9]{2}[0-9T:.+\-Z ]*)["']?\s*$/;

/**
 * What a restored item would break on once back in service: PEM certificates past their notAfter
 * (`expired-certificate`), JWTs whose `exp` is past and dotenv/YAML keys naming an expiry with an
 * ISO date in the past (`expired-credential`). Certificates expiring within 14 days are warnings.
 * Keys never contain a credential: a JWT is named by the SHA-256 prefix of its text.
 */
export async function scanRestored(item: string, dir: string, now: Date): Promise<ScanResult> {
  const gaps: DrillGapFound[] = [];
  const warnings: string[] = [];
  for (const e of await restoredEntries(dir)) {
    if (e.type !== 'file' || (await stat(e.abs)).size > SCAN_LIMIT) continue;
    const bytes = await readFile(e.abs);
    if (bytes.includes(0)) continue; // binary
    const text = bytes.toString('utf8');
    for (const pem of text.match(PEM) ?? []) certificate(item, e.path, pem, now, gaps, warnings);
    for (const token of text.match(JWT) ?? []) jwt(item, e.path, token, now, gaps);
    for (const line of text.split('\n')) expiryKey(item, e.path, line, now, gaps);
  }
  return { gaps, warnings };
}

function certificate(
  item: string,
  path: string,
  pem: string,
  now: Date,
  gaps: DrillGapFound[],
  warnings: string[],
): void {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch {
    return; // not a certificate after all
  }
  const subject = cert.subject.replaceAll('\n', ', ');
  const until = new Date(cert.validTo);
  if (Number.isNaN(until.getTime())) return;
  if (until <= now) {
    gaps.push({
      item,
      category: 'expired-certificate',
      key: `${path}: ${subject}`,
      message: `${path}: certificate ${subject} expired on ${until.toISOString()}`,
    });
  } else if (until.getTime() - now.getTime() < EXPIRY_WARNING_MS) {
    warnings.push(`${item}/${path}: certificate ${subject} expires on ${until.toISOString()}`);
  }
}

function jwt(item: string, path: string, token: string, now: Date, gaps: DrillGapFound[]): void {
  let payload: { exp?: unknown; sub?: unknown };
  try {
    payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
  } catch {
    return;
  }
  if (typeof payload?.exp !== 'number') return;
  const exp = new Date(payload.exp * 1000);
  if (exp > now) return;
  const id = createHash('sha256').update(token).digest('hex').slice(0, 12);
  const sub = typeof payload.sub === 'string' ? ` (sub ${payload.sub.slice(0, 64)})` : '';
  gaps.push({
    item,
    category: 'expired-credential',
    key: `${path}: jwt ${id}`,
    message: `${path}: a JWT${sub} expired on ${exp.toISOString()}`,
  });
}

function expiryKey(item: string, path: string, line: string, now: Date, gaps: DrillGapFound[]): void {
  const m = EXPIRY_LINE.exec(line);
  if (!m || !/EXPIR/i.test(m[1]!)) return;
  const value = m[2]!.trim();
  const when = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(when.getTime()) || when > now) return;
  gaps.push({
    item,
    category: 'expired-credential',
    key: `${path}: ${m[1]}`,
    message: `${path}: ${m[1]} says it expired on ${value}`,
  });
}
