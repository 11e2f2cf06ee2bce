import { extname } from 'node:path';
import { diffArrays } from 'diff';
import { parseAllDocuments } from 'yaml';
import { CairnError } from '../errors/index.js';
import type { ContentFormat, DriftRules } from '../policy/index.js';

/**
 * Pure comparison of two versions of one file for `cairn drift`: whether they differ outside the
 * item's ignore rules, and which keys or lines did. JSON/YAML are compared as data (ignored dotted
 * paths removed, keys in any order); anything else line by line (lines matching ignoreLines dropped).
 * Details name keys, never their values; lines are shown only when the item's secrets mode is `allow`.
 */

/** Details listed per file; the rest is counted. */
export const DETAIL_LIMIT = 20;

export interface CompiledRules {
  readonly ignore: ReadonlyArray<readonly string[]>;
  readonly ignoreLines: readonly RegExp[];
  readonly any: boolean;
}

export function compileRules(rules: DriftRules | undefined, item: string): CompiledRules {
  const ignore = (rules?.ignore ?? []).map((p) => p.split('.').filter((s) => s !== ''));
  const ignoreLines = (rules?.ignoreLines ?? []).map((re) => {
    try {
      return new RegExp(re);
    } catch (err) {
      throw new CairnError(
        'CAIRN_E_POLICY_INVALID',
        `item ${item}: drift.ignoreLines ${JSON.stringify(re)} is not a regular expression (${(err as Error).message})`,
        { item, pattern: re },
      );
    }
  });
  return { ignore, ignoreLines, any: ignore.length > 0 || ignoreLines.length > 0 };
}

/** How a file is compared: by its declared format (content sources), else by its extension. */
export function formatOf(path: string, declared?: ContentFormat): ContentFormat {
  if (declared) return declared;
  const ext = extname(path).toLowerCase();
  if (ext === '.json') return 'json';
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  return 'text';
}

export interface ContentComparison {
  /** False when the two differ only in ignored keys or lines. */
  readonly changed: boolean;
  readonly detail: string[];
}

export function compareContent(
  path: string,
  before: Buffer,
  after: Buffer,
  rules: CompiledRules,
  opts: { format?: ContentFormat; showValues: boolean },
): ContentComparison {
  const format = formatOf(path, opts.format);
  const a = dropLines(before.toString('utf8'), rules.ignoreLines);
  const b = dropLines(after.toString('utf8'), rules.ignoreLines);
  if (format !== 'text') {
    const da = parseDocs(a, format);
    const db = parseDocs(b, format);
    if (da && db) {
      const ca = da.map((d) => withoutIgnored(d, rules.ignore));
      const cb = db.map((d) => withoutIgnored(d, rules.ignore));
      const detail: string[] = [];
      const n = Math.max(ca.length, cb.length);
      for (let i = 0; i < n; i++) {
        const prefix = n > 1 ? `doc ${i + 1}: ` : '';
        keyChanges(ca[i], cb[i], [], (line) => detail.push(prefix + line));
      }
      return { changed: detail.length > 0, detail: limited(detail) };
    }
  }
  const la = numbered(before.toString('utf8'), rules.ignoreLines);
  const lb = numbered(after.toString('utf8'), rules.ignoreLines);
  const detail = lineChanges(la, lb, opts.showValues);
  return { changed: detail.length > 0, detail: limited(detail) };
}

function dropLines(text: string, patterns: readonly RegExp[]): string {
  if (patterns.length === 0) return text;
  return text
    .split('\n')
    .filter((line) => !patterns.some((re) => re.test(line)))
    .join('\n');
}

/** The lines that count, with their line numbers in the file. */
function numbered(text: string, patterns: readonly RegExp[]): Array<{ n: number; text: string }> {
  return text
    .split('\n')
    .map((line, i) => ({ n: i + 1, text: line }))
    .filter((l) => !patterns.some((re) => re.test(l.text)));
}

function parseDocs(text: string, format: ContentFormat): unknown[] | undefined {
  try {
    if (format === 'json') return [JSON.parse(text)];
    const docs = parseAllDocuments(text);
    if (!Array.isArray(docs)) return undefined;
    if (docs.some((d) => d.errors.length > 0)) return undefined;
    return docs.map((d) => d.toJS());
  } catch {
    return undefined;
  }
}

/** A copy of `doc` without the ignored paths; in a kubectl List, each path also applies to every `items.*`. */
export function withoutIgnored(doc: unknown, ignore: ReadonlyArray<readonly string[]>): unknown {
  if (ignore.length === 0) return doc;
  const copy = structuredClone(doc);
  for (const path of ignore) {
    remove(copy, path);
    if (isObject(copy) && Array.isArray(copy.items)) for (const item of copy.items) remove(item, path);
  }
  return copy;
}

function remove(node: unknown, path: readonly string[]): void {
  if (path.length === 0 || node === null || typeof node !== 'object') return;
  const [head, ...rest] = path as [string, ...string[]];
  const keys = head === '*' ? Object.keys(node) : Object.hasOwn(node, head) ? [head] : [];
  for (const key of keys) {
    if (rest.length === 0) {
      if (Array.isArray(node)) (node as unknown[])[Number(key)] = undefined;
      else delete (node as Record<string, unknown>)[key];
    } else remove((node as Record<string, unknown>)[key], rest);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** `~ a.b` modified, `+ a.c` added, `- a.d` removed: paths only, never values. */
function keyChanges(a: unknown, b: unknown, path: string[], out: (line: string) => void): void {
  const name = path.length > 0 ? path.join('.') : '(document)';
  if (a === undefined && b === undefined) return;
  if (a === undefined || b === undefined) {
    out(`${a === undefined ? '+' : '-'} ${name}`);
    return;
  }
  const bothArrays = Array.isArray(a) && Array.isArray(b);
  if ((isObject(a) && isObject(b)) || bothArrays) {
    const ka = Object.keys(a as object);
    const kb = Object.keys(b as object);
    const keys = [...new Set([...ka, ...kb])];
    if (!bothArrays) keys.sort();
    for (const k of keys) {
      keyChanges((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], [...path, k], out);
    }
    return;
  }
  if (canonical(a) !== canonical(b)) out(`~ ${name}`);
}

/** JSON with object keys sorted: equal data, equal text. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    isObject(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, v[k]]),
        )
      : v,
  );
}

function lineChanges(
  a: ReadonlyArray<{ n: number; text: string }>,
  b: ReadonlyArray<{ n: number; text: string }>,
  showValues: boolean,
): string[] {
  const out: string[] = [];
  let ia = 0;
  let ib = 0;
  for (const part of diffArrays(
    a.map((l) => l.text),
    b.map((l) => l.text),
  )) {
    for (const line of part.value) {
      if (part.added) out.push(`+ ${b[ib]!.n}: ${shown(line, showValues)}`);
      else if (part.removed) out.push(`- ${a[ia]!.n}: ${shown(line, showValues)}`);
      if (!part.added) ia++;
      if (!part.removed) ib++;
    }
  }
  return out;
}

/** A line as it may be printed: whole when values may be shown, else only the key of `KEY=…` / `key: …`. */
function shown(line: string, showValues: boolean): string {
  if (showValues) return line.length > 200 ? `${line.slice(0, 200)}…` : line;
  const key = /^\s*(?:export\s+)?([A-Za-z0-9_.\-"']+)\s*[=:]/.exec(line)?.[1];
  return key ? `${key} (value not shown)` : '(line not shown)';
}

function limited(detail: string[]): string[] {
  if (detail.length <= DETAIL_LIMIT) return detail;
  return [...detail.slice(0, DETAIL_LIMIT), `… and ${detail.length - DETAIL_LIMIT} more`];
}
