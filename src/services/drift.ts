import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { DriftCheckRecord, SnapshotRecord } from '../catalog/index.js';
import { type CairnError, isCairnError } from '../errors/index.js';
import { type ContentFormat, findSecrets, type Item, type Policy, redactSecrets } from '../policy/index.js';
import type { TreeEntry } from '../repo/index.js';
import type { SourceEntry } from '../sources/index.js';
import { type CompiledRules, compareContent, compileRules } from './drift-compare.js';
import { environmentItems, knownEnvironment } from './environments.js';
import { collectItemEntries } from './item-entries.js';
import type { Session } from './session.js';
import { type FlatEntry, flattenTree } from './tree-walk.js';

/**
 * `cairn drift`: an item's live sources against a snapshot. Files whose size, times and inode are
 * those the snapshot recorded are equal without being read, exactly as a snapshot decides a file is
 * unchanged; others are hashed, and a modified one is compared with the snapshot's copy under the
 * item's ignore rules (drift-compare.ts), so volatile keys and lines do not count as drift.
 */

export interface DriftChange {
  readonly path: string;
  readonly kind: 'added' | 'removed' | 'modified';
  /** Changed keys or lines (values only when the item's secrets mode is `allow`). */
  readonly detail?: string[];
}

export interface ItemDrift {
  readonly item: string;
  readonly snapshot: string | null;
  readonly drifted: boolean;
  readonly changes: DriftChange[];
  /** Files that differ from the snapshot only in ignored keys or lines. */
  readonly ignored: number;
  /** Live files read (those whose metadata changed, and content sources). */
  readonly readFiles: number;
  readonly error?: { readonly code: string; readonly message: string };
}

export interface DriftReport {
  readonly environment: string;
  readonly checkedAt: string;
  /** Some item drifted, or could not be checked. */
  readonly drifted: boolean;
  readonly items: ItemDrift[];
}

export interface CompareOptions {
  /** The snapshot's entries, when the caller has already walked its tree. */
  readonly flat?: readonly FlatEntry[];
}

/** Files larger than this are compared by hash only: no keys or lines are listed. */
const DETAIL_MAX_BYTES = 4 * 1024 * 1024;

export async function compareLive(
  session: Session,
  policy: Policy,
  item: Item,
  snapshot: SnapshotRecord,
  opts: CompareOptions = {},
): Promise<ItemDrift> {
  const base = { item: item.name, snapshot: snapshot.id };
  try {
    const rules = compileRules(item.drift, item.name);
    const live = await collectItemEntries(policy, item);
    await session.repo.loadIndex();
    const flat = opts.flat ?? (await flattenTree(session.repo, snapshot.tree));
    const stored = new Map<string, TreeEntry>();
    for (const { path, entry } of flat) if (entry.type !== 'dir') stored.set(path, entry);
    const unreadable = new Map(live.unreadable.map((u) => [u.path, u.reason]));
    const changes: DriftChange[] = [];
    let ignored = 0;
    let readFiles = 0;
    const seen = new Set<string>();
    for (const e of live.entries) {
      if (e.type === 'dir') continue;
      seen.add(e.path);
      const p = stored.get(e.path);
      if (!p) {
        changes.push({ path: e.path, kind: 'added' });
        continue;
      }
      if (p.type !== e.type) {
        changes.push({ path: e.path, kind: 'modified', detail: [`was a ${p.type}, now a ${e.type}`] });
        continue;
      }
      if (e.type === 'symlink') {
        if ((p.target ?? '') !== (e.target ?? ''))
          changes.push({ path: e.path, kind: 'modified', detail: ['link target'] });
        continue;
      }
      const modeNote = p.mode !== e.mode ? [`mode ${octal(p.mode)} → ${octal(e.mode)}`] : [];
      if (!e.content && sameMetadata(p, e)) {
        if (modeNote.length > 0) changes.push({ path: e.path, kind: 'modified', detail: modeNote });
        continue;
      }
      readFiles++;
      const data = livePolicyBytes(item, e.path, await liveBytes(e));
      if (data === undefined) {
        changes.push({ path: e.path, kind: 'modified', detail: ['cannot be read now'] });
        continue;
      }
      if (createHash('sha256').update(data).digest('hex') === p.sha256) {
        if (modeNote.length > 0) changes.push({ path: e.path, kind: 'modified', detail: modeNote });
        continue;
      }
      const verdict = await compareWithStored(session, item, e.path, p, data, rules, live.formats.get(e.path));
      if (!verdict.changed && modeNote.length === 0) ignored++;
      else changes.push({ path: e.path, kind: 'modified', detail: [...modeNote, ...verdict.detail] });
    }
    for (const [path, reason] of unreadable) {
      if (stored.has(path) && !seen.has(path)) {
        seen.add(path);
        changes.push({ path, kind: 'modified', detail: [`cannot be read now: ${reason}`] });
      }
    }
    for (const path of stored.keys()) if (!seen.has(path)) changes.push({ path, kind: 'removed' });
    changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return { ...base, drifted: changes.length > 0, changes, ignored, readFiles };
  } catch (err) {
    if (!isCairnError(err)) throw err;
    return { ...base, drifted: false, changes: [], ignored: 0, readFiles: 0, error: errorOf(err) };
  }
}

/**
 * Compares every item of the environment (or the named ones) with its newest complete snapshot and
 * records each result in the catalog. An item never captured counts as drifted.
 */
export async function driftCheck(
  session: Session,
  policy: Policy,
  input: { environment: string; items?: readonly string[]; now?: Date },
): Promise<DriftReport> {
  const items = environmentItems(policy, input.environment, input.items);
  const checkedAt = (input.now ?? new Date()).toISOString();
  const latest = await session.catalog.gate.latestComplete(items.map((i) => i.name));
  const results: ItemDrift[] = [];
  for (const item of items) {
    const snapshot = latest.get(item.name);
    if (!snapshot) {
      results.push({
        item: item.name,
        snapshot: null,
        drifted: true,
        changes: [],
        ignored: 0,
        readFiles: 0,
        error: { code: 'CAIRN_E_NOT_FOUND', message: `item ${item.name} was never captured: no complete snapshot` },
      });
      continue;
    }
    results.push(await compareLive(session, policy, item, snapshot));
  }
  await session.catalog.drift.record(
    results.map((r) => ({
      environment: input.environment,
      item: r.item,
      checkedAt,
      snapshotId: r.snapshot,
      drifted: r.drifted || r.error !== undefined,
      ignored: r.ignored,
      changes: r.changes,
      error: r.error ?? null,
    })),
  );
  return {
    environment: input.environment,
    checkedAt,
    drifted: results.some((r) => r.drifted || r.error !== undefined),
    items: results,
  };
}

/** The latest recorded check of each item of the environment (`GET /api/v1/drift`). */
export async function latestDrift(
  session: Pick<Session, 'catalog'>,
  policy: Policy,
  environment: string,
): Promise<{ environment: string; items: DriftCheckRecord[] }> {
  knownEnvironment(policy, environment);
  return { environment, items: await session.catalog.drift.latestPerItem(environment) };
}

function sameMetadata(p: TreeEntry, e: SourceEntry): boolean {
  return p.size === e.size && p.mtime === e.mtime && p.ctime === e.ctime && p.ino === e.ino && p.sha256 !== undefined;
}

async function liveBytes(e: SourceEntry): Promise<Buffer | undefined> {
  if (e.content) return e.content;
  try {
    return await readFile(e.abs!);
  } catch {
    return undefined;
  }
}

/** The bytes a snapshot would store: with `secrets: redact`, secret-shaped values redacted. */
function livePolicyBytes(item: Item, path: string, data: Buffer | undefined): Buffer | undefined {
  if (data === undefined || item.secrets !== 'redact') return data;
  const findings = findSecrets(data, path);
  return findings.length > 0 ? redactSecrets(data, findings) : data;
}

async function compareWithStored(
  session: Session,
  item: Item,
  path: string,
  p: TreeEntry,
  live: Buffer,
  rules: CompiledRules,
  format: ContentFormat | undefined,
): Promise<{ changed: boolean; detail: string[] }> {
  if ((p.size ?? 0) > DETAIL_MAX_BYTES || live.length > DETAIL_MAX_BYTES) return { changed: true, detail: [] };
  const parts: Buffer[] = [];
  for (const b of p.blobs ?? []) parts.push(await session.repo.loadBlob(b));
  const before = Buffer.concat(parts);
  return compareContent(path, before, live, rules, {
    ...(format ? { format } : {}),
    showValues: item.secrets === 'allow',
  });
}

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

function errorOf(err: CairnError): { code: string; message: string } {
  return { code: err.code, message: err.message };
}
