/**
 * Finds secret-shaped values in configuration files (C1.5), and redacts them for `secrets: redact`.
 *
 * It runs on every changed file of every snapshot (up to ~700 MB), so the expensive part, regular
 * expressions, never sees most of the input: each marker substring is located with Buffer.indexOf (native,
 * GB/s for needles whose first byte is rare, which is why `IVATE KEY` and `J` are used rather than
 * `PRIVATE KEY` and `eyJ`), a few byte comparisons reject most hits, and only the line around a surviving
 * hit is decoded and matched. Values that are references or placeholders (`${VAR}`, `<changeme>`,
 * `REDACTED`, `ENC[…]`, `vault:…`) are not secrets and are not reported.
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
}

const ALNUM_UPPER = byteClass('A-Z0-9');
const WORD = byteClass('A-Za-z0-9_');

function marker(needle: string, accept: (buf: Buffer, at: number) => boolean = () => true): Marker {
  return { needle: Buffer.from(needle, 'latin1'), accept };
}

/** `<keyword><completion>["']?[ \t]*[:=]`: the keyword ends the key and an assignment follows. */
function assignment(needle: string, completions: readonly string[]): Marker {
  const tails = completions.map((c) => Buffer.from(c, 'latin1'));
  return marker(needle, (buf, at) => {
    let p = at + needle.length;
    const tail = tails.find((t) => p + t.length <= buf.length && buf.compare(t, 0, t.length, p, p + t.length) === 0);
    if (!tail) return false;
    p += tail.length;
    if (buf[p] === 0x22 || buf[p] === 0x27) p++;
    while (buf[p] === 0x20 || buf[p] === 0x09) p++;
    return buf[p] === 0x3a || buf[p] === 0x3d;
  });
}

const precededBy = (text: string) => {
  const bytes = Buffer.from(text, 'latin1');
  return (buf: Buffer, at: number) =>
    at >= bytes.length && buf.compare(bytes, 0, bytes.length, at - bytes.length, at) === 0;
};

const MARKERS: readonly Marker[] = [
  marker('AKIA', awsKeyIdAt),
  marker('ASIA', awsKeyIdAt),
  marker('hp_', githubAt),
  marker('ho_', githubAt),
  marker('hs_', githubAt),
  marker('hu_', githubAt),
  marker('hr_', githubAt),
  marker('b_pat_', precededBy('githu')),
  marker('glpat-'),
  marker('xox', (buf, at) => 'abposr'.includes(String.fromCharCode(buf[at + 3] ?? 0)) && buf[at + 4] === 0x2d),
  marker('k_live_', (buf, at) => buf[at - 1] === 0x73 || buf[at - 1] === 0x72),
  marker('AIza'),
  marker(
    'J',
    (buf, at) => buf[at - 1] === 0x79 && buf[at - 2] === 0x65 && (buf[at - 3] === undefined || !WORD[buf[at - 3]!]),
  ),
  marker('vices/T', precededBy('hooks.slack.com/ser')),
  marker('@', urlCredentialsAt),
  assignment('sw', ['ord', 'd']),
  assignment('SW', ['ORD', 'D']),
  assignment('cret', ['']),
  assignment('CRET', ['']),
  assignment('oken', ['']),
  assignment('OKEN', ['']),
  assignment('hrase', ['']),
  assignment('HRASE', ['']),
  assignment('key', ['']),
  assignment('Key', ['']),
  assignment('KEY', ['']),
];

function awsKeyIdAt(buf: Buffer, at: number): boolean {
  if (at > 0 && ALNUM_UPPER[buf[at - 1]!]) return false;
  for (let i = at + 4; i < at + 20; i++) if (!ALNUM_UPPER[buf[i] ?? 0]) return false;
  return true;
}

function githubAt(buf: Buffer, at: number): boolean {
  return buf[at - 1] === 0x67 && (at < 2 || !WORD[buf[at - 2]!]);
}

/** `scheme://user:pass@`: from the `@`, walk back over the userinfo to `//`, requiring a `:` on the way. */
function urlCredentialsAt(buf: Buffer, at: number): boolean {
  let colon = false;
  for (let i = at - 1; i > 1 && i > at - 256; i--) {
    const c = buf[i]!;
    if (c === 0x2f) return colon && buf[i - 1] === 0x2f && buf[i - 2] === 0x3a;
    if (c === 0x3a) colon = true;
    else if (c <= 0x20 || c === 0x22 || c === 0x27 || c === 0x3c || c === 0x3e || c === 0x40) return false;
  }
  return false;
}

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

const ASSIGNMENT_RE =
  /(?<![A-Za-z0-9_])(?<key>[A-Za-z0-9_.-]*?(?:password|passwd|passphrase|secret|token|(?:api|secret|access|private|signing|encryption|master|auth)[_-]?key))["']?[ \t]*[:=][ \t]*(?<v>"(?:[^"\\\r\n]|\\.)*"|'[^'\r\n]*'|[^\s"'][^\r\n]*)/dgi;

const AWS_SECRET_RE = /(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g;

interface RawFinding {
  kind: SecretKind;
  offset: number;
  length: number;
}

export function findSecrets(content: Buffer, path: string): SecretFinding[] {
  if (content.length === 0 || content.subarray(0, BINARY_PROBE).includes(0)) return [];
  const found: RawFinding[] = [];
  const regions: Region[] = [];
  findPrivateKeys(content, found);
  for (const m of MARKERS) {
    let at = content.indexOf(m.needle);
    let coveredUntil = -1;
    while (at !== -1) {
      if (at >= coveredUntil && m.accept(content, at)) {
        const region = lineAround(content, at);
        regions.push(region);
        coveredUntil = region.end;
      }
      at = content.indexOf(m.needle, at + m.needle.length);
    }
  }
  const dotenv = /(?:^|\/)\.env(?:\.[^/]*)?$|\.env$/.test(path);
  for (const region of mergeRegions(regions)) {
    const text = content.toString('latin1', region.start, region.end);
    matchDetectors(text, region.start, found);
    matchAssignments(text, region.start, dotenv, found);
  }
  for (const f of [...found]) if (f.kind === 'aws-access-key-id') findAwsSecretNear(content, f, found);
  return finish(content, dedupe(found));
}

/** PEM (and PGP) private key blocks, BEGIN through END, found by the rare `IVATE KEY` marker. */
function findPrivateKeys(buf: Buffer, found: RawFinding[]): void {
  const needle = Buffer.from('IVATE KEY', 'latin1');
  const begin = Buffer.from('-----BEGIN ', 'latin1');
  const endMark = Buffer.from('-----END ', 'latin1');
  let at = buf.indexOf(needle);
  let coveredUntil = 0;
  while (at !== -1) {
    const start = at >= coveredUntil ? buf.lastIndexOf(begin, at) : -1;
    // BEGIN must open this very header: `-----BEGIN [RSA |EC |OPENSSH |ENCRYPTED |PGP ]PRIVATE KEY`.
    if (start !== -1 && at - start <= 40 && isHeaderWords(buf, start + begin.length, at - 2)) {
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

function mergeRegions(regions: Region[]): Region[] {
  regions.sort((a, b) => a.start - b.start);
  const out: Region[] = [];
  for (const r of regions) {
    const last = out[out.length - 1];
    if (last && r.start <= last.end) last.end = Math.max(last.end, r.end);
    else out.push({ ...r });
  }
  return out;
}

function matchDetectors(text: string, base: number, found: RawFinding[]): void {
  for (const d of DETECTORS) {
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

function matchAssignments(text: string, base: number, dotenv: boolean, found: RawFinding[]): void {
  ASSIGNMENT_RE.lastIndex = 0;
  for (let m = ASSIGNMENT_RE.exec(text); m !== null; m = ASSIGNMENT_RE.exec(text)) {
    const key = m.groups?.key ?? '';
    const span = m.indices?.groups?.v;
    if (!span || /^existing/i.test(key)) continue;
    let [start, end] = span;
    const raw = text.slice(start, end);
    if (raw.startsWith('"') || raw.startsWith("'")) {
      start++;
      end--;
    } else {
      // Unquoted values: drop a trailing ` # comment`; in YAML flow mappings `{ a: b, c: d }`, the rest too
      // (not in .env files, where `{`, `,` and `}` are ordinary characters of a value).
      const lineStart = text.lastIndexOf('\n', m.index) + 1;
      const inFlow = !dotenv && text.slice(lineStart, m.index).includes('{');
      const cut = raw.search(inFlow ? /\s+#|[,}]/ : /\s+#/);
      if (cut !== -1) end = start + cut;
    }
    let value = text.slice(start, end);
    const trimmed = value.replace(/[\s,;]+$/, '');
    end -= value.length - trimmed.length;
    value = trimmed;
    if (isPlaceholder(value) || !looksRandom(value)) continue;
    found.push({ kind: kindOfKey(key), offset: base + start, length: end - start });
  }
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
    for (; pos < f.offset; pos++) {
      if (buf[pos] === 0x0a) {
        line++;
        lineStart = pos + 1;
      }
    }
    out.push({ ...f, line, column: f.offset - lineStart + 1, excerpt: excerpt(buf, found, n) });
  }
  return out;
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
  const re = /([^])-([^])|([^])/g;
  for (let m = re.exec(ranges); m !== null; m = re.exec(ranges)) {
    const from = (m[1] ?? m[3])!.charCodeAt(0);
    const to = (m[2] ?? m[3])!.charCodeAt(0);
    for (let c = from; c <= to; c++) table[c] = 1;
  }
  return table;
}

const BASE64 = byteClass('A-Za-z0-9+/=');
const PEM_EXTRA = byteClass('\r\n\t :,\\-');
