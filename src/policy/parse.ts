/**
 * cairn.yaml text → Policy, or a CairnError listing every problem as `file:line:col: field: message`.
 * Three passes, all run so that one `policy check` shows everything: YAML syntax (stop there if broken:
 * positions after a syntax error are guesses), the zod schema (shapes, durations, cron, unknown keys),
 * then cross-references (check.ts). Warnings never block loading; they are returned.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { CairnError, errnoCode } from '../errors/index.js';
import { buildPolicy } from './build.js';
import { checkReferences } from './check.js';
import { formatPath, PositionIndex } from './positions.js';
import { knownKeys, policySchema } from './schema-zod.js';
import { didYouMean } from './suggest.js';
import type { Policy, PolicyIssue } from './types.js';

export interface PolicyOptions {
  /** "Today" for exception expiry; defaults to the current time. */
  readonly now?: Date;
  /**
   * An expired exception fails `policy check` (an error), but must not stop backups from running:
   * commands that act on the policy load it with 'warning'.
   */
  readonly expiredExceptions?: 'error' | 'warning';
}

export interface LoadedPolicy {
  readonly policy: Policy;
  readonly issues: PolicyIssue[];
}

export async function loadPolicy(file: string, opts: PolicyOptions = {}): Promise<LoadedPolicy> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      const path = resolve(file);
      throw new CairnError(
        'CAIRN_E_POLICY_NOT_FOUND',
        `no policy file at ${path}: create cairn.yaml there, or name another with --config FILE`,
        { path, hint: '--config FILE' },
        { cause: err },
      );
    }
    if (code === 'EISDIR') {
      throw new CairnError('CAIRN_E_POLICY_INVALID', `${file} is a folder, not a policy file; pass --config FILE`, {
        path: resolve(file),
      });
    }
    throw err;
  }
  return parsePolicy(text, file, opts);
}

export function parsePolicy(text: string, file: string, opts: PolicyOptions = {}): LoadedPolicy {
  const now = opts.now ?? new Date();
  const lineCounter = new LineCounter();
  // `merge: true`: `<<: *defaults` is how people share settings between tiers, even though YAML 1.2 dropped it.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true });
  const positions = new PositionIndex(doc, lineCounter);
  const issues: PolicyIssue[] = [];

  const yamlIssue = (severity: PolicyIssue['severity'], err: { pos: [number, number]; message: string }) => {
    const { line, column } = positions.offset(err.pos[0]);
    issues.push({ severity, file, line, column, field: '', message: `YAML: ${firstLine(err.message)}` });
  };
  // Only the first syntax error: the ones after it are mostly echoes of it (an unclosed `[` makes every
  // following line "not allowed here"), and positions after it are guesses.
  const [firstError] = doc.errors;
  if (firstError) {
    const more = doc.errors.length - 1;
    const suffix = more > 0 ? ` (${more} more YAML error${more === 1 ? '' : 's'} may follow from this one)` : '';
    yamlIssue('error', { pos: firstError.pos, message: firstLine(firstError.message) + suffix });
    throw invalid(file, issues);
  }
  for (const warning of doc.warnings) yamlIssue('warning', warning);

  const data: unknown = doc.toJS({ maxAliasCount: 1000 });
  if (data === null || data === undefined) {
    issues.push({
      severity: 'error',
      file,
      line: 1,
      column: 1,
      field: '',
      message: 'the policy file is empty; it needs at least `version: 1`',
    });
    throw invalid(file, issues);
  }

  const result = policySchema.safeParse(withoutExtensions(data), { error: friendlyMessage });
  if (!result.success) issues.push(...schemaIssues(result.error.issues, data, file, positions));
  issues.push(...checkReferences(data, { file, positions, now, expiredExceptions: opts.expiredExceptions ?? 'error' }));
  issues.sort((a, b) => a.line - b.line || a.column - b.column);

  if (!result.success || issues.some((i) => i.severity === 'error')) throw invalid(file, issues);
  const absolute = resolve(file);
  const policy = buildPolicy(result.data, { file: absolute, dir: dirname(absolute), positions, now });
  return { policy, issues };
}

/**
 * Top-level keys starting with `x-` are the user's own (a place for YAML anchors, as in docker-compose):
 * not validated, not kept. Every other unknown key is still an error, so typos are caught.
 */
function withoutExtensions(data: unknown): unknown {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return data;
  return Object.fromEntries(Object.entries(data).filter(([key]) => !key.startsWith('x-')));
}

/** One line per error: `file:line:col: field: message`. Warnings travel in details.issues only. */
export function formatIssue(issue: PolicyIssue): string {
  const field = issue.field === '' ? '' : `${issue.field}: `;
  const tag = issue.severity === 'warning' ? 'warning: ' : '';
  return `${issue.file}:${issue.line}:${issue.column}: ${tag}${field}${issue.message}`;
}

function invalid(file: string, issues: PolicyIssue[]): CairnError {
  const errors = issues.filter((i) => i.severity === 'error');
  return new CairnError('CAIRN_E_POLICY_INVALID', errors.map(formatIssue).join('\n'), { file, issues });
}

function schemaIssues(zodIssues: readonly z.core.$ZodIssue[], data: unknown, file: string, positions: PositionIndex) {
  const out: PolicyIssue[] = [];
  const push = (path: PropertyKey[], message: string, key = false) => {
    const { line, column } = positions.locate(path, { key });
    out.push({
      severity: 'error',
      file,
      line,
      column,
      field: formatPath(path),
      message: withSubject(path, data, message),
    });
  };
  // An object with an unknown key also fails its own whole-object checks ("exactly one source kind"): the
  // unknown key is the actual mistake, so those echoes are dropped.
  const withUnknownKeys = new Set(
    zodIssues.filter((i) => i.code === 'unrecognized_keys').map((i) => formatPath(i.path)),
  );
  for (const issue of zodIssues) {
    if (issue.code === 'custom' && withUnknownKeys.has(formatPath(issue.path))) continue;
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeys(issue.path);
      for (const key of issue.keys) {
        const where = issue.path.length === 0 ? 'at the top level' : `in ${formatPath(issue.path)}`;
        push([...issue.path, key], `unknown key "${key}" ${where}${didYouMean(key, known)}`, true);
      }
    } else if (issue.code === 'invalid_key') {
      push(issue.path, issue.issues[0]?.message ?? issue.message, true);
    } else {
      push(issue.path, issue.message);
    }
  }
  return out;
}

/** Messages under items[i] / exceptions[i] name the item, which is what a reader looks for. */
function withSubject(path: readonly PropertyKey[], data: unknown, message: string): string {
  const [section, index] = path;
  if (typeof index !== 'number' || path.length < 3) return message;
  const entry = (data as Record<string, unknown[] | undefined>)[String(section)]?.[index] as
    | Record<string, unknown>
    | undefined;
  if (section === 'items' && typeof entry?.name === 'string') return `item "${entry.name}": ${message}`;
  if (section === 'exceptions' && typeof entry?.item === 'string') return `exception for ${entry.item}: ${message}`;
  return message;
}

/** Per-parse error map: plain words for the common cases zod would otherwise describe in its own terms. */
function friendlyMessage(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code === 'invalid_type') {
    if (issue.input === undefined) return 'is required';
    return `expected ${issue.expected === 'int' ? 'a whole number' : issue.expected}, got ${describe(issue.input)}`;
  }
  if (issue.code === 'too_small' && issue.origin === 'array')
    return `needs at least ${issue.minimum} entr${issue.minimum === 1 ? 'y' : 'ies'}`;
  if (issue.code === 'too_small' && issue.origin === 'string') return 'must not be empty';
  return undefined;
}

function describe(value: unknown): string {
  if (value === null) return 'nothing (null)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `text "${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  return `${typeof value} ${String(value)}`;
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
