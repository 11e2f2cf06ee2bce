/**
 * Event details never hold secrets: keys that name one are dropped, and so are string values that
 * look like credentials wherever they appear. Passwords in URLs are masked. Deep or long values
 * are cut, because details are meant to be small.
 */

const secretWords = new Set([
  'token',
  'tokens',
  'secret',
  'secrets',
  'password',
  'passwd',
  'passphrase',
  'authorization',
  'totp',
  'otp',
  'cookie',
  'credential',
  'credentials',
  'apikey',
  'privatekey',
  'bearer',
]);
// A key ending in one of these names something about a secret, not the secret (tokenId, secretName).
const harmlessLast = new Set([
  'id',
  'ids',
  'name',
  'label',
  'count',
  'expires',
  'expiry',
  'kind',
  'type',
  'role',
  'roles',
]);
const codeQualifiers = new Set(['totp', 'mfa', 'otp', 'auth', 'verification', 'recovery', 'backup']);

const credentialValue = [
  /\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}/i,
  /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/, // a JWT
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
];

const maxDepth = 6;
const maxString = 1024;
const maxItems = 100;

export function sanitizeDetails(details: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> {
  const clean = details === undefined ? {} : sanitizeValue(details, 0);
  return clean !== null && typeof clean === 'object' && !Array.isArray(clean) ? (clean as Record<string, unknown>) : {};
}

/** True when a details key names a secret (token, clientSecret, totpCode, Authorization…). */
export function isSecretKey(key: string): boolean {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '');
  const joined = words.join('');
  if (joined === 'code' || joined === 'pin') return true;
  const last = words.at(-1) ?? '';
  if (last === 'code' && words.slice(0, -1).some((w) => codeQualifiers.has(w))) return true;
  if (harmlessLast.has(last) && words.length > 1) return false;
  return words.some((w) => secretWords.has(w)) || /apikey|privatekey|secretkey|accesskey/.test(joined);
}

function sanitizeValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return sanitizeString(value);
  if (value === null || typeof value === 'number' || typeof value === 'boolean') {
    return typeof value === 'number' && !Number.isFinite(value) ? null : value;
  }
  if (typeof value !== 'object' || depth >= maxDepth) return undefined;
  if (Array.isArray(value)) {
    return value
      .slice(0, maxItems)
      .map((v) => sanitizeValue(v, depth + 1))
      .filter((v) => v !== undefined);
  }
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>).slice(0, maxItems)) {
    if (isSecretKey(key)) continue;
    const clean = sanitizeValue(v, depth + 1);
    if (clean !== undefined) out[key] = clean;
  }
  return out;
}

function sanitizeString(value: string): string | undefined {
  if (credentialValue.some((re) => re.test(value))) return undefined;
  const masked = value.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*):[^/\s@]*@/gi, '$1:***@');
  return masked.length > maxString ? `${masked.slice(0, maxString)}…` : masked;
}
