/**
 * Finds secret-shaped values in configuration files (C1.5), and redacts them for `secrets: redact`.
 *
 * It runs on every changed file of every snapshot (up to ~700 MB), so regular expressions never see most
 * of the input. Each marker substring is located with Buffer.indexOf (native, GB/s for short needles whose
 * first byte is rare: hence `IVATE` rather than `PRIVATE KEY`, `J` rather than `eyJ`, `ken` rather than
 * `token`); a few byte comparisons reject most hits; `key: value` assignments are then read in place, and
 * for token formats only the line around the hit is decoded and matched. Values that are references or
 * placeholders (`${VAR}`, `<changeme>`, `REDACTED`, `ENC[…]`, `vault:…`) are not secrets and are not reported.
 * Not covered: values in YAML block scalars (`password: |` on the next line) and XML elements.
 */

export type SecretKind =
  | 'private-key'
  | 'aws-access-key-id'
  | 'aws-secret-access-key'
  | 'github-token'
  | 'gitlab-token'
  | 'slack-token'
  | 'slack-webhook'
  | 'stripe-live-key'
  | 'google-api-key'
  | 'jwt'
  | 'url-credentials'
  | 'password'
  | 'secret'
  | 'token'
  | 'api-key';

export interface SecretFinding {
  readonly kind: SecretKind;
  readonly line: number; // 1-based
  readonly column: number; // 1-based, in bytes
  /** Byte offset and length of the secret value itself (what redaction replaces). */
  readonly offset: number;
  readonly length: number;
  /** The line around the value, with every value on it replaced by `[REDACTED:<kind>]`. */
  readonly excerpt: string;
}

/** A NUL byte in the first 8 KiB means binary content: not scanned (same heuristic as git and grep). */
const BINARY_PROBE = 8192;
/** Very long lines (minified JSON) are matched only this far either side of a hit. */
const REGION_RADIUS = 2048;
const PEM_MAX = 64 * 1024;
const EXCERPT_RADIUS = 60;

interface Region {
  start: number;
  end: number;
}

interface Marker {
  readonly needle: Buffer;
  /** Cheap byte checks at the hit (`at` is where the needle starts); true → decode and match the line. */
  readonly accept: (buf: Buffer, at: number) => boolean;
  /** Which detectors to run on the line: bit i is DETECTORS[i], ASSIGNMENTS the generic rule. */
  readonly detectors: number;
}

const ALNUM_UPPER = byteClass('A-Z0-9');
const WORD = byteClass('A-Za-z0-9_');
const SLACK_TYPE = byteClass('abposr');
const GITHUB_TYPE = byteClass('pousr');

function marker(
  needle: string,
  kind: SecretKind | 'assignment',
  accept: (buf: Buffer, at: number) => boolean = () => true,
): Marker {
  return { needle: Buffer.from(needle, 'latin1'), accept, detectors: detectorBit(kind) };
}

/**
 * `<keyword>["']?[ \t]*[:=][ \t]*<value>`: the needle ends the key's last word, an assignment follows, and its
 * value starts on this line with something other than a reference (`${…}`, `{{ … }}`, `<…>`, `!tag`).
 * `before` lists what must precede the needle (compared lowercased): `pass` before `word`.
 * Needles are the rarest-leading tails of the words (`ken`, not `token`), which is what makes indexOf fast.
 */
function assignment(needle: string, before: readonly string[], skipSeparator = false): Marker {
  return marker(needle, 'assignment', (buf, at) => {
    // Cheapest test first: most hits (`secretName`, `secretKeyRef`) are followed by more of a word.
    let p = at + needle.length;
    if (buf[p] === 0x22 || buf[p] === 0x27) p++;
    while (buf[p] === 0x20 || buf[p] === 0x09) p++;
    if ((buf[p] !== 0x3a && buf[p] !== 0x3d) || !endsWithWord(buf, at, before, skipSeparator)) return false;
    p++;
    while (buf[p] === 0x20 || buf[p] === 0x09) p++;
    if (buf[p] === 0x22 || buf[p] === 0x27) p++;
    const c = buf[p];
    return c !== undefined && c !== 0x0a && c !== 0x0d && !REFERENCE_START[c];
  });
}

/** Whether the bytes just before `at` end with one of `words` (lowercase), optionally skipping one `_`/`-`. */
function endsWithWord(buf: Buffer, at: number, words: readonly string[], skipSeparator: boolean): boolean {
  let end = at;
  if (skipSeparator && (buf[end - 1] === 0x5f || buf[end - 1] === 0x2d)) end--;
  for (const word of words) {
    const start = end - word.length;
    if (start < 0) continue;
    let i = 0;
    while (i < word.length && (buf[start + i]! | 0x20) === word.charCodeAt(i)) i++;
    if (i === word.length) return true;
  }
  return false;
}

/** First characters of values that are references or YAML syntax, never literal secrets: a fast reject. */
const REFERENCE_START = byteClass('$%{<!|>&*~[');

const precededBy = (text: string) => {
  const bytes = Buffer.from(text, 'latin1');
  return (buf: Buffer, at: number) =>
    at >= bytes.length && buf.compare(bytes, 0, bytes.length, at - bytes.length, at) === 0;
};

interface Detector {
  readonly kind: SecretKind;
  /** Global, with indices; the value is group `v` when present, else the whole match. */
  readonly re: RegExp;
  readonly ignore?: (value: string) => boolean;
}

const hasExample = (v: string) => /EXAMPLE/i.test(v);

// Order matters: where two detectors find overlapping values, the earlier (more specific) one is kept.
const DETECTORS: readonly Detector[] = [
  { kind: 'aws-access-key-id', re: /(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])/dg, ignore: hasExample },
  {
    kind: 'github-token',
    re: /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,247})(?![A-Za-z0-9_])/dg,
  },
  { kind: 'gitlab-token', re: /(?<![A-Za-z0-9_-])glpat-[A-Za-z0-9_-]{20,}(?:\.[A-Za-z0-9_-]+)*/dg },
  { kind: 'slack-token', re: /(?<![A-Za-z0-9])xox[abposr]-[A-Za-z0-9-]{10,}/dg },
  {
    kind: 'slack-webhook',
    re: /hooks\.slack\.com\/services\/(?<v>T[A-Za-z0-9_]+\/B[A-Za-z0-9_]+\/[A-Za-z0-9_]+)/dg,
  },
  { kind: 'stripe-live-key', re: /(?<![A-Za-z0-9_])[sr]k_live_[A-Za-z0-9]{16,}/dg },
  { kind: 'google-api-key', re: /(?<![A-Za-z0-9_-])AIza[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])/dg },
  { kind: 'jwt', re: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/dg },
  {
    kind: 'url-credentials',
    re: /(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s:@/'"<>]*:(?<v>[^\s@/'"<>]+)@/dg,
    ignore: (v) => isPlaceholder(decodeURIComponentSafe(v)),
  },
];

const ASSIGNMENTS = 1 << DETECTORS.length;

function detectorBit(kind: SecretKind | 'assignment'): number {
  if (kind === 'assignment') return ASSIGNMENTS;
  const i = DETECTORS.findIndex((d) => d.kind === kind);
  if (i < 0) throw new Error(`internal: no detector for ${kind}`);
  return 1 << i;
}

/** What may come before `key` in a secret's name (`api_key`, `secretKey`, `SIGNING_KEY`). */
const KEY_PREFIXES = ['api', 'secret', 'access', 'private', 'signing', 'encryption', 'master', 'auth'];

const MARKERS: readonly Marker[] = [
  marker('AKIA', 'aws-access-key-id', awsKeyIdAt),
  marker('ASIA', 'aws-access-key-id', awsKeyIdAt),
  marker('gh', 'github-token', githubAt),
  marker('b_pat_', 'github-token', precededBy('githu')),
  marker('glpat-', 'gitlab-token'),
  marker('xox', 'slack-token', (buf, at) => SLACK_TYPE[buf[at + 3] ?? 0] === 1 && buf[at + 4] === 0x2d),
  marker('k_live_', 'stripe-live-key', (buf, at) => buf[at - 1] === 0x73 || buf[at - 1] === 0x72),
  marker('AIza', 'google-api-key'),
  marker('J', 'jwt', (buf, at) => buf[at - 1] === 0x79 && buf[at - 2] === 0x65 && !WORD[buf[at - 3] ?? 0]),
  marker('vices/T', 'slack-webhook', precededBy('hooks.slack.com/ser')),
  marker('@', 'url-credentials', urlCredentialsAt),
  assignment('word', ['pass']),
  assignment('WORD', ['pass']),
  assignment('wd', ['pass']),
  assignment('WD', ['pass']),
  assignment('hrase', ['passp']),
  assignment('HRASE', ['passp']),
  assignment('cret', ['se']),
  assignment('CRET', ['se']),
  assignment('ken', ['to']),
  assignment('KEN', ['to']),
  assignment('key', KEY_PREFIXES, true),
  assignment('Key', KEY_PREFIXES, true),
  assignment('KEY', KEY_PREFIXES, true),
];

function awsKeyIdAt(buf: Buffer, at: number): boolean {
  if (at > 0 && ALNUM_UPPER[buf[at - 1]!]) return false;
  for (let i = at + 4; i < at + 20; i++) if (!ALNUM_UPPER[buf[i] ?? 0]) return false;
  return true;
}

/** `gh[pousr]_` starting a word (`github_pat_` has its own marker: `gh` does not occur in `github`). */
function githubAt(buf: Buffer, at: number): boolean {
  return !WORD[buf[at - 1] ?? 0] && GITHUB_TYPE[buf[at + 2] ?? 0] === 1 && buf[at + 3] === 0x5f;
}

/**
 * `scheme://user:pass@`: from the `@`, walk back over the userinfo to `//`, requiring a `:` on the way whose
 * password does not start like a reference (`postgres://app:${DB_PASSWORD}@db` is not a leak).
 */
function urlCredentialsAt(buf: Buffer, at: number): boolean {
  let colon = -1;
  for (let i = at - 1; i > 1 && i > at - 256; i--) {
    const c = buf[i]!;
    if (c === 0x2f) {
      return colon !== -1 && buf[i - 1] === 0x2f && buf[i - 2] === 0x3a && !REFERENCE_START[buf[colon + 1]!];
    }
    if (c === 0x3a) colon = i;
    else if (c <= 0x20 || c === 0x22 || c === 0x27 || c === 0x3c || c === 0x3e || c === 0x40) return false;
  }
  return false;
}

const AWS_SECRET_RE = /(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g;

interface RawFinding {
  kind: SecretKind;
  offset: number;
  length: number;
}

export function findSecrets(content: Buffer, path: string): SecretFinding[] {
  if (content.length === 0 || content.subarray(0, BINARY_PROBE).includes(0)) return [];
  const found: RawFinding[] = [];
  findPrivateKeys(content, found);
  const syntax = syntaxOf(path);
  for (const m of MARKERS) {
    let at = content.indexOf(m.needle);
    let coveredUntil = -1;
    while (at !== -1) {
      if (m.detectors === ASSIGNMENTS) {
        // The hit is the end of the key: the value is read right there, no line decoding or regex needed.
        if (m.accept(content, at)) assignmentAt(content, at + m.needle.length, syntax, found);
      } else if (at >= coveredUntil && m.accept(content, at)) {
        // Lines hit by several markers are matched once per marker, each with its own detectors only;
        // dedupe() drops the resulting duplicates, which is cheaper than collecting and merging regions.
        const { start, end } = lineAround(content, at);
        matchDetectors(content.toString('latin1', start, end), start, m.detectors, found);
        coveredUntil = end;
      }
      at = content.indexOf(m.needle, at + m.needle.length);
    }
  }
  for (const f of [...found]) if (f.kind === 'aws-access-key-id') findAwsSecretNear(content, f, found);
  return finish(content, dedupe(found));
}

/** PEM (and PGP) private key blocks, BEGIN through END, found by the rare `IVATE` marker. */
function findPrivateKeys(buf: Buffer, found: RawFinding[]): void {
  // `IVATE` rather than `PRIVATE KEY`: a short needle with a rare first byte is what indexOf finds fastest.
  const needle = Buffer.from('IVATE', 'latin1');
  const keyWord = Buffer.from(' KEY', 'latin1');
  const begin = Buffer.from('-----BEGIN ', 'latin1');
  const endMark = Buffer.from('-----END ', 'latin1');
  let at = buf.indexOf(needle);
  let coveredUntil = 0;
  while (at !== -1) {
    // BEGIN must open this very header: `-----BEGIN [RSA |EC |OPENSSH |ENCRYPTED |PGP ]PRIVATE KEY`. The
    // backward search is bounded, so prose that mentions private keys many times stays linear.
    const from = Math.max(0, at - 40);
    const isKey =
      at >= coveredUntil &&
      at >= 2 &&
      buf[at - 2] === 0x50 && // P
      buf[at - 1] === 0x52 && // R
      at + 9 <= buf.length &&
      buf.compare(keyWord, 0, 4, at + 5, at + 9) === 0;
    const rel = isKey ? buf.subarray(from, at).lastIndexOf(begin) : -1;
    const start = rel === -1 ? -1 : from + rel;
    if (start !== -1 && isHeaderWords(buf, start + begin.length, at - 2)) {
      const headerEnd = buf.indexOf('-----', at, 'latin1');
      if (headerEnd !== -1 && headerEnd - at <= 16) {
        const bodyStart = headerEnd + 5;
        const stop = Math.min(buf.length, bodyStart + PEM_MAX);
        const endAt = buf.subarray(bodyStart, stop).indexOf(endMark);
        let end: number;
        if (endAt !== -1) {
          const close = buf.indexOf('-----', bodyStart + endAt + endMark.length, 'latin1');
          end = close === -1 ? bodyStart + endAt + endMark.length : close + 5;
        } else end = base64BlockEnd(buf, bodyStart, stop); // truncated key: redact what key material there is
        if (base64Count(buf, bodyStart, endAt === -1 ? end : bodyStart + endAt) >= 32) {
          found.push({ kind: 'private-key', offset: start, length: end - start });
          coveredUntil = end;
        }
      }
    }
    at = buf.indexOf(needle, at + needle.length);
  }
}

function isHeaderWords(buf: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = buf[i]!;
    if (!(c === 0x20 || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39))) return false;
  }
  return true;
}

function base64Count(buf: Buffer, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if (BASE64[buf[i]!]) n++;
  return n;
}

function base64BlockEnd(buf: Buffer, from: number, stop: number): number {
  let i = from;
  // PEM bodies: base64 lines, optional `Proc-Type: 4,ENCRYPTED` style headers, literal `\n` in JSON strings.
  while (i < stop && (BASE64[buf[i]!] || PEM_EXTRA[buf[i]!])) i++;
  return i;
}

function lineAround(buf: Buffer, at: number): Region {
  let start = at;
  const low = Math.max(0, at - REGION_RADIUS);
  while (start > low && buf[start - 1] !== 0x0a) start--;
  let end = at;
  const high = Math.min(buf.length, at + REGION_RADIUS);
  while (end < high && buf[end] !== 0x0a) end++;
  return { start, end };
}

function matchDetectors(text: string, base: number, mask: number, found: RawFinding[]): void {
  for (let i = 0; i < DETECTORS.length; i++) {
    if (!(mask & (1 << i))) continue;
    const d = DETECTORS[i]!;
    d.re.lastIndex = 0;
    for (let m = d.re.exec(text); m !== null; m = d.re.exec(text)) {
      const span = m.indices?.groups?.v ?? m.indices?.[0];
      if (!span) continue;
      const value = text.slice(span[0], span[1]);
      if (d.ignore?.(value)) continue;
      found.push({ kind: d.kind, offset: base + span[0], length: span[1] - span[0] });
    }
  }
}

/** How unquoted values read: YAML/INI/properties (comments, flow maps), .env (to end of line), HCL (expressions). */
type Syntax = 'plain' | 'dotenv' | 'hcl';

function syntaxOf(path: string): Syntax {
  if (/(?:^|\/)\.env(?:\.[^/]*)?$|\.env$/.test(path)) return 'dotenv';
  if (/\.(?:tf|tfvars|hcl)$/.test(path)) return 'hcl';
  return 'plain';
}

const KEY_BYTE = byteClass('A-Za-z0-9_.-');

/**
 * Reads `key ["']? [:=] value` where the key ends at `keyEnd` (the marker already checked the separator)
 * and records the value if it looks like a literal secret.
 */
function assignmentAt(buf: Buffer, keyEnd: number, syntax: Syntax, found: RawFinding[]): void {
  let keyStart = keyEnd;
  while (keyStart > 0 && keyEnd - keyStart < 128 && KEY_BYTE[buf[keyStart - 1]!]) keyStart--;
  let p = keyEnd;
  if (buf[p] === 0x22 || buf[p] === 0x27) p++;
  while (buf[p] === 0x20 || buf[p] === 0x09) p++;
  p++; // the separator
  while (buf[p] === 0x20 || buf[p] === 0x09) p++;
  const limit = Math.min(buf.length, p + 4096);
  let start = p;
  let end: number;
  const quote = buf[p];
  if (quote === 0x22 || quote === 0x27) {
    start = ++p;
    while (p < limit && buf[p] !== quote && buf[p] !== 0x0a) p += buf[p] === 0x5c && quote === 0x22 ? 2 : 1;
    end = Math.min(p, limit);
  } else {
    // In HCL an unquoted value is an expression (var.db_password, random_password.x.result), never a literal.
    if (syntax === 'hcl') return;
    // In YAML flow mappings `{ a: b, c: d }` a `,` or `}` ends the value; not in .env files, where they are
    // ordinary characters. A ` #` starts a comment everywhere.
    let lineStart = keyStart;
    while (lineStart > 0 && keyStart - lineStart < 256 && buf[lineStart - 1] !== 0x0a) lineStart--;
    const inFlow = syntax === 'plain' && buf.subarray(lineStart, keyStart).includes(0x7b);
    while (p < limit) {
      const c = buf[p]!;
      if (c === 0x0a || c === 0x0d) break;
      if (c === 0x23 && (buf[p - 1] === 0x20 || buf[p - 1] === 0x09)) break;
      if (inFlow && (c === 0x2c || c === 0x7d)) break;
      p++;
    }
    end = p;
    while (end > start && TRAILING[buf[end - 1]!]) end--;
  }
  if (end - start < 8 || REFERENCE_START[buf[start]!]) return;
  const value = buf.toString('latin1', start, end);
  const key = buf.toString('latin1', keyStart, keyEnd);
  if (/^existing/i.test(key) || isPlaceholder(value) || !looksRandom(value)) return;
  found.push({ kind: kindOfKey(key), offset: start, length: end - start });
}

function kindOfKey(key: string): SecretKind {
  const k = key.toLowerCase();
  if (k.includes('aws') || /secret[_-]?access[_-]?key$/.test(k)) return 'aws-secret-access-key';
  if (/pass(?:w(?:or)?d|phrase)$/.test(k)) return 'password';
  if (k.endsWith('token')) return 'token';
  if (/api[_-]?key$/.test(k)) return 'api-key';
  return 'secret';
}

/** An AWS secret access key is 40 base64 characters; only looked for near an access key id. */
function findAwsSecretNear(buf: Buffer, id: RawFinding, found: RawFinding[]): void {
  let start = id.offset;
  for (let lines = 0; start > 0 && lines <= 5 && id.offset - start < 2048; start--)
    if (buf[start - 1] === 0x0a) lines++;
  let end = id.offset + id.length;
  for (let lines = 0; end < buf.length && lines <= 5 && end - id.offset < 2048; end++) if (buf[end] === 0x0a) lines++;
  const text = buf.toString('latin1', start, end);
  AWS_SECRET_RE.lastIndex = 0;
  for (let m = AWS_SECRET_RE.exec(text); m !== null; m = AWS_SECRET_RE.exec(text)) {
    const v = m[0];
    if (!/[a-z]/.test(v) || !/[A-Z]/.test(v) || !/[0-9/+]/.test(v) || hasExample(v)) continue;
    found.push({ kind: 'aws-secret-access-key', offset: start + m.index, length: v.length });
  }
}

const PLACEHOLDER_WORDS = new Set([
  'changeme',
  'changeit',
  'secret',
  'password',
  'passwd',
  'pass',
  'pwd',
  'token',
  'none',
  'null',
  'nil',
  'true',
  'false',
  'yes',
  'no',
  'todo',
  'tbd',
  'fixme',
  'n/a',
  'test',
  'empty',
  'required',
  'default',
]);

/** A value that stands for a secret rather than being one: a reference, a template, a placeholder. */
export function isPlaceholder(value: string): boolean {
  const v = value.trim();
  if (v === '') return true;
  if (PLACEHOLDER_WORDS.has(v.toLowerCase())) return true;
  if (/^[$%]|\$\{|\{\{|\{%|<%/.test(v)) return true; // ${VAR} $VAR $(cmd) %VAR% {{ tpl }} {% tpl %} <%= erb %>
  if (/^<[^<>]*>$|^\[[^\]]*\]$|^\([^)]*\)$/.test(v)) return true; // <changeme> [REDACTED] (none)
  if (/^(.)\1*$/.test(v) || /^[x*.#_-]+$/i.test(v)) return true; // xxxxxxxx, ********
  if (/^[!|>&*~]/.test(v)) return true; // YAML tag, block scalar, anchor, alias, null
  if (/redacted|change[_-]?me|placeholder|example|dummy|^your[_-]|[_-]here$|^xxx/i.test(v)) return true;
  if (
    /^(?:ENC\[|vault:|ref\+|op:\/\/|sm:\/\/|arn:aws:(?:secretsmanager|ssm|kms):|awssm:|gcpsm:|azkv:|env:|file:)/i.test(
      v,
    )
  ) {
    return true; // sops ciphertext and secret-store references
  }
  if (/^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$/.test(v)) return true; // the name of an environment variable
  if (/^\.?[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)+$/.test(v)) return true; // var.db_password, .Values.token
  if (/^\/[^\s]*\/[^\s]*$/.test(v) && !/[+=]/.test(v)) return true; // a path to a secret file
  return false;
}

/** "Long random value": at least 8 characters, no spaces (prose), and either mixed classes or long. */
function looksRandom(v: string): boolean {
  if (v.length < 8 || /\s/.test(v)) return false;
  let classes = 0;
  if (/[a-z]/.test(v)) classes++;
  if (/[A-Z]/.test(v)) classes++;
  if (/[0-9]/.test(v)) classes++;
  if (/[^A-Za-z0-9]/.test(v)) classes++;
  return classes >= 2 || v.length >= 16;
}

function dedupe(found: RawFinding[]): RawFinding[] {
  // Stable sort by offset keeps detector order (specific before generic) for equal offsets.
  const ordered = found.map((f, i) => ({ f, i })).sort((a, b) => a.f.offset - b.f.offset || a.i - b.i);
  const out: RawFinding[] = [];
  for (const { f } of ordered) {
    const last = out[out.length - 1];
    if (last && f.offset < last.offset + last.length) continue;
    out.push(f);
  }
  return out;
}

function finish(buf: Buffer, found: RawFinding[]): SecretFinding[] {
  const out: SecretFinding[] = [];
  let line = 1;
  let lineStart = 0;
  let pos = 0;
  for (let n = 0; n < found.length; n++) {
    const f = found[n]!;
    line += countNewlines(buf, pos, f.offset);
    // Only the stretch since the previous finding is searched, so the whole pass stays linear.
    const nl = buf.subarray(pos, f.offset).lastIndexOf(0x0a);
    if (nl !== -1) lineStart = pos + nl + 1;
    pos = f.offset;
    out.push({ ...f, line, column: f.offset - lineStart + 1, excerpt: excerpt(buf, found, n) });
  }
  return out;
}

/**
 * Counts `\n` in buf[from, to), four bytes at a time: a finding near the end of a 100 MB file needs every
 * line before it counted, and the word-at-a-time zero-byte trick is ~4x a byte loop.
 */
function countNewlines(buf: Buffer, from: number, to: number): number {
  let n = 0;
  let i = from;
  while (i < to && ((buf.byteOffset + i) & 3) !== 0) if (buf[i++] === 0x0a) n++;
  const words = new Uint32Array(buf.buffer, buf.byteOffset + i, (to - i) >>> 2);
  for (let k = 0; k < words.length; k++) {
    const x = words[k]! ^ 0x0a0a0a0a; // a newline byte becomes 0
    const zero = ~(((x & 0x7f7f7f7f) + 0x7f7f7f7f) | x | 0x7f7f7f7f); // high bit set exactly in zero bytes
    n += Math.imul((zero >>> 7) & 0x01010101, 0x01010101) >>> 24;
  }
  i += words.length * 4;
  while (i < to) if (buf[i++] === 0x0a) n++;
  return n;
}

function excerpt(buf: Buffer, found: readonly RawFinding[], n: number): string {
  const f = found[n]!;
  const { start, end } = lineAround(buf, f.offset);
  const from = Math.max(start, f.offset - EXCERPT_RADIUS);
  const to = Math.min(end, f.offset + Math.min(f.length, EXCERPT_RADIUS) + EXCERPT_RADIUS);
  let first = n;
  while (first > 0 && found[first - 1]!.offset + found[first - 1]!.length > from) first--;
  let out = '';
  let p = from;
  for (let i = first; i < found.length && found[i]!.offset < to; i++) {
    const g = found[i]!;
    if (g.offset > p) out += buf.toString('utf8', p, g.offset);
    out += `[REDACTED:${g.kind}]`;
    p = Math.max(p, g.offset + g.length);
  }
  if (p < to) out += buf.toString('utf8', p, to);
  return (from > start ? '…' : '') + out.replace(/[\r\n]+/g, ' ').trim() + (to < end ? '…' : '');
}

/** A copy of `content` with each finding's value replaced by `[REDACTED:<kind>]` (for `secrets: redact`). */
export function redactSecrets(content: Buffer, findings: readonly SecretFinding[]): Buffer {
  if (findings.length === 0) return content;
  const ordered = [...findings].sort((a, b) => a.offset - b.offset);
  const parts: Buffer[] = [];
  let pos = 0;
  for (const f of ordered) {
    if (f.offset < pos) continue; // overlapping findings: the first already covered it
    parts.push(content.subarray(pos, f.offset), Buffer.from(`[REDACTED:${f.kind}]`, 'latin1'));
    pos = f.offset + f.length;
  }
  parts.push(content.subarray(pos));
  return Buffer.concat(parts);
}

function decodeURIComponentSafe(v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

function byteClass(ranges: string): Uint8Array {
  const table = new Uint8Array(256);
  const re = /([\s\S])-([\s\S])|([\s\S])/g;
  for (let m = re.exec(ranges); m !== null; m = re.exec(ranges)) {
    const from = (m[1] ?? m[3])!.charCodeAt(0);
    const to = (m[2] ?? m[3])!.charCodeAt(0);
    for (let c = from; c <= to; c++) table[c] = 1;
  }
  return table;
}

const BASE64 = byteClass('A-Za-z0-9+/=');
const TRAILING = byteClass(' \t,;');
const PEM_EXTRA = byteClass('\r\n\t :,\\-');
