import { basename } from 'node:path';
import type { SnapshotRecord, TicketState } from '../catalog/index.js';
import { CairnError, isCairnError } from '../errors/index.js';
import { type Item, type LockMode, type Policy, retainUntil } from '../policy/index.js';
import type { Repository, SnapshotObject, TreeEntry, VerificationObject } from '../repo/index.js';
import type { SourceEntry, Unreadable } from '../sources/index.js';
import { snapshotRecord, verificationRecord } from './catalog-sync.js';
import { checkChangeTicket } from './change-tickets/index.js';
import type { HashJob } from './file-hashing.js';
import { FilePipeline } from './file-pipeline.js';
import { collectItemEntries } from './item-entries.js';
import { noProgress, type ProgressSink } from './progress.js';
import { protectPacks } from './protect-packs.js';
import { type RunOptions, runMetadata } from './run-metadata.js';
import type { Session } from './session.js';
import { type BuiltEntry, contentHash, saveTrees } from './snapshot-tree.js';
import { flattenTree } from './tree-walk.js';
import { NeededPacks, tierLockMode } from './worm.js';

export interface SnapshotRequest {
  readonly items?: readonly string[];
  readonly environment?: string;
  readonly run: RunOptions;
  /** Write a new snapshot even when nothing changed. */
  readonly force?: boolean;
  readonly now?: Date;
  /** A change ticket the caller already checked (a deployment's): it covers this run, and is kept with each snapshot. */
  readonly ticket?: TicketState;
  /**
   * Set by `cairn serve`'s scheduler only: a scheduled backup is not a change, so the snapshot ticket rule
   * does not apply. Not reachable from the CLI (`--trigger scheduled` does not exempt a run).
   */
  readonly scheduledBackup?: boolean;
  /** Checked before each item: once aborted, no further item is snapshotted (the abort reason is thrown). */
  readonly signal?: AbortSignal;
}

export type ItemStatus = 'created' | 'unchanged' | 'partial' | 'failed';

export interface ItemResult {
  readonly item: string;
  readonly status: ItemStatus;
  /** The snapshot that holds the state: new, or the parent verified unchanged. */
  readonly id: string | null;
  readonly parent: string | null;
  readonly verification?: string;
  readonly files: number;
  readonly bytes: number;
  readonly readFiles: number;
  readonly readBytes: number;
  readonly addedBytes: number;
  readonly unreadable: readonly Unreadable[];
  readonly retainUntil: string | null;
  readonly durationMs: number;
  readonly error?: { readonly code: string; readonly message: string; readonly details?: unknown };
  /** The change ticket the policy required for this run (changeTickets.requireFor), as checked before it. */
  readonly ticket?: TicketState;
}

export function selectItems(policy: Policy, names: readonly string[] | undefined, environment?: string): Item[] {
  const known = new Map(policy.items.map((i) => [i.name, i]));
  for (const n of names ?? []) {
    if (!known.has(n)) {
      throw new CairnError(
        'CAIRN_E_USAGE',
        `no item named ${n} in ${policy.file}; items: ${[...known.keys()].join(', ')}`,
      );
    }
  }
  const chosen = policy.items.filter(
    (i) => (!names?.length || names.includes(i.name)) && (!environment || i.environment === environment),
  );
  if (chosen.length === 0) {
    throw new CairnError(
      'CAIRN_E_USAGE',
      `no items match${environment ? ` environment ${environment}` : ''} in ${policy.file}`,
    );
  }
  return chosen;
}

/** One snapshot per item, under a shared repository lock. */
export async function takeSnapshots(
  session: Session,
  policy: Policy,
  request: SnapshotRequest,
  progress: ProgressSink = noProgress,
): Promise<ItemResult[]> {
  const items = selectItems(policy, request.items, request.environment);
  await session.catalog.upsertItems(
    items.map((i) => ({
      name: i.name,
      owner: i.owner,
      tier: i.tier,
      environment: i.environment ?? null,
      component: i.component ?? null,
    })),
  );
  // The ticket rule per environment (a run spanning several meets each one's rule). Not checked again when
  // the caller's ticket covers the run (a deployment's captures), nor for the server's scheduled backups,
  // which are not changes (docs/DEPLOYMENTS.md, "Change tickets").
  let checked: TicketState | null = null;
  const byEnv = new Map<string | undefined, Item[]>();
  for (const i of items) byEnv.set(i.environment, [...(byEnv.get(i.environment) ?? []), i]);
  for (const [environment, group] of request.ticket || request.scheduledBackup ? [] : byEnv) {
    const state = await checkChangeTicket(policy, {
      action: 'snapshot',
      tiers: group.map((i) => i.tier),
      environment,
      change: request.run.change ?? process.env.CAIRN_CHANGE_ID ?? null,
      now: request.now ?? new Date(),
    });
    checked ??= state;
  }
  const lock = await session.repo.lock(false, 'snapshot');
  const pipeline = new FilePipeline(session.repo);
  try {
    await session.repo.loadIndex();
    const results: ItemResult[] = [];
    // The ticket checked here, or the one the caller checked for a larger action (a deployment's): kept in
    // every snapshot and verification object, so the evidence is as immutable as the snapshot.
    const ticket = checked ?? request.ticket;
    const run = ticket ? { ...request, ticket } : request;
    for (const item of items) {
      request.signal?.throwIfAborted();
      results.push(await snapshotOne(session, policy, item, run, progress, pipeline));
    }
    return ticket ? results.map((r) => ({ ...r, ticket })) : results;
  } finally {
    await pipeline.close();
    await lock.release();
  }
}

async function snapshotOne(
  session: Session,
  policy: Policy,
  item: Item,
  request: SnapshotRequest,
  progress: ProgressSink,
  pipeline: FilePipeline,
): Promise<ItemResult> {
  const started = Date.now();
  const now = request.now ?? new Date();
  const retain = retainUntil(policy, item.tier, now);
  const base = { item: item.name, parent: null, files: 0, bytes: 0, readFiles: 0, readBytes: 0, addedBytes: 0 };
  try {
    return await new ItemSnapshot(session, policy, item, request, progress, now, retain, pipeline).run(started);
  } catch (err) {
    session.repo.discardPending();
    if (!isCairnError(err)) throw err;
    return {
      ...base,
      status: 'failed',
      id: null,
      unreadable: [],
      retainUntil: retain?.toISOString() ?? null,
      durationMs: Date.now() - started,
      error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) },
    };
  }
}

class ItemSnapshot {
  private readonly repo: Repository;
  private readonly built: BuiltEntry[] = [];
  private readonly refused: string[] = [];
  private readonly unreadable: Unreadable[] = [];
  private readFiles = 0;
  private readBytes = 0;
  private doneBytes = 0;
  private doneFiles = 0;
  private readonly mode: LockMode | undefined;
  /** Every blob the parent needs (its trees and its entries' blobs), when all its trees could be read. */
  private parentBlobs: Set<string> | undefined;

  constructor(
    private readonly session: Session,
    private readonly policy: Policy,
    private readonly item: Item,
    private readonly request: SnapshotRequest,
    private readonly progress: ProgressSink,
    private readonly now: Date,
    private readonly retain: Date | null,
    private readonly pipeline: FilePipeline,
  ) {
    this.repo = session.repo;
    this.mode = tierLockMode(policy, item.tier);
  }

  async run(started: number): Promise<ItemResult> {
    const { repo, item } = this;
    repo.retainUntil = this.retain ?? undefined;
    repo.lockMode = this.mode;
    const entries = await this.collect();
    const parent = await this.session.catalog.latestSnapshot(item.name);
    const previous = parent ? await this.previousFiles(parent) : new Map<string, TreeEntry>();
    const totalFiles = entries.filter((e) => e.type === 'file').length;
    const totalBytes = entries.reduce((n, e) => n + (e.type === 'file' ? e.size : 0), 0);
    // built[i] describes entries[i]; files to read are filled in as their outcomes arrive.
    const built: Array<BuiltEntry | undefined> = new Array(entries.length);
    const toRead: HashJob[] = [];
    entries.forEach((e, index) => {
      if (e.type === 'dir') built[index] = { path: e.path, entry: { type: 'dir', mode: e.mode, mtime: e.mtime } };
      else if (e.type === 'symlink') {
        built[index] = {
          path: e.path,
          entry: { type: 'symlink', mode: e.mode, mtime: e.mtime, target: e.target ?? '' },
        };
      } else {
        const p = previous.get(e.path);
        if (!e.content && p && unchanged(p, e) && (p.blobs ?? []).every((b) => repo.hasBlob(b))) {
          // Same size, times, inode and mode: the parent's entry describes this file exactly, reuse it.
          const entry = p.mode === e.mode ? p : { ...fileMeta(e), sha256: p.sha256!, blobs: p.blobs! };
          built[index] = { path: e.path, entry };
          this.doneFiles++;
          this.doneBytes += e.size;
        } else {
          toRead.push({ index, path: e.path, size: e.size, ...(e.content ? { content: e.content } : { abs: e.abs! }) });
        }
      }
    });
    // Similar files of different environments side by side: the compressor sees them together.
    toRead.sort((a, b) => cmp(basename(a.path), basename(b.path)) || cmp(a.path, b.path));
    const tick = { phase: 'snapshot', item: item.name, totalFiles, totalBytes };
    this.progress({ ...tick, files: this.doneFiles, bytes: this.doneBytes });
    await this.pipeline.run(toRead, item.secrets, (o) => {
      const e = entries[o.index]!;
      if (o.kind === 'ok') {
        this.readFiles++;
        this.readBytes += o.size;
        built[o.index] = { path: e.path, entry: { ...fileMeta(e), size: o.size, sha256: o.sha256, blobs: o.blobs } };
      } else if (o.kind === 'unreadable') this.unreadable.push({ path: e.path, reason: o.reason });
      else this.refused.push(...o.findings);
      this.doneFiles++;
      this.doneBytes += e.size;
      this.progress({ ...tick, files: this.doneFiles, bytes: this.doneBytes });
    });
    for (const b of built) if (b) this.built.push(b);
    if (this.refused.length > 0) {
      const shown = this.refused.slice(0, 20).join('\n  ');
      throw new CairnError(
        'CAIRN_E_SECRET_FOUND',
        `item ${item.name}: secret-shaped values found; nothing was snapshotted for this item ` +
          `(set \`secrets: redact\` or \`secrets: encrypt\` on the item to accept them, or remove them):\n  ${shown}` +
          (this.refused.length > 20 ? `\n  … and ${this.refused.length - 20} more` : ''),
        { item: item.name, findings: this.refused },
      );
    }
    const hash = contentHash(this.built);
    const meta = runMetadata(this.request.run, item, this.now);
    const files = this.built.filter((b) => b.entry.type === 'file').length;
    const bytes = this.built.reduce((n, b) => n + (b.entry.size ?? 0), 0);
    const common = { item: item.name, files, bytes, readFiles: this.readFiles, readBytes: this.readBytes };
    const retainIso = this.retain?.toISOString() ?? null;
    if (
      parent &&
      parent.contentHash === hash &&
      parent.status === 'complete' &&
      this.unreadable.length === 0 &&
      !this.request.force
    ) {
      repo.discardPending();
      if (this.retain) {
        // The verification leans on the parent: its snapshot object is kept as long and as strongly too.
        // The parent's blobs were gathered while its trees were read for change detection; read again only if that failed.
        const needed = new NeededPacks(repo);
        const packs = this.parentBlobs ? needed.ofBlobs(this.parentBlobs) : await needed.ofTree(parent.tree);
        for (const k of needed.ofBlobs(this.fileBlobs())) packs.add(k);
        await protectPacks(repo, packs, this.retain, this.mode, {
          alsoKeys: [`snapshots/${parent.id}`],
          locks: this.session.catalog.locks,
        });
      }
      const seen: VerificationObject = { version: 1, meta, snapshot: parent.id, ...this.ticket() };
      const verification = await repo.saveVerification(seen, retainIso, this.mode);
      await this.session.catalog.putVerification(verificationRecord(verification, seen));
      return {
        ...common,
        status: 'unchanged',
        id: parent.id,
        parent: parent.id,
        verification,
        addedBytes: 0,
        unreadable: [],
        retainUntil: parent.retainUntil,
        durationMs: Date.now() - started,
      };
    }
    const trees = new Set<string>();
    const tree = await saveTrees(repo, this.built, trees);
    const { storedBytes, packs: written } = await repo.flush();
    if (this.retain) {
      // Every tree of the snapshot was just built, and every file's blobs are known: the packs they are
      // in come from the index, without reading the trees back.
      const packs = new NeededPacks(repo).ofBlobs([...trees, ...this.fileBlobs()]);
      await protectPacks(repo, packs, this.retain, this.mode, {
        written: written.map((p) => p.id),
        locks: this.session.catalog.locks,
      });
    }
    const status = this.unreadable.length > 0 ? 'partial' : 'complete';
    const object: SnapshotObject = {
      version: 1,
      meta,
      parent: parent?.id ?? null,
      tree,
      contentHash: hash,
      status,
      files,
      bytes,
      addedBytes: storedBytes,
      retainUntil: retainIso,
      unreadable: this.unreadable.map((u) => u.path),
      ...this.ticket(),
    };
    const id = await repo.saveSnapshot(object, this.mode);
    const record: SnapshotRecord = snapshotRecord(id, object);
    await this.session.catalog.putSnapshot(record);
    return {
      ...common,
      status: status === 'partial' ? 'partial' : 'created',
      id,
      parent: parent?.id ?? null,
      addedBytes: storedBytes,
      unreadable: this.unreadable,
      retainUntil: retainIso,
      durationMs: Date.now() - started,
    };
  }

  private ticket(): { ticket?: TicketState } {
    return this.request.ticket ? { ticket: this.request.ticket } : {};
  }

  private *fileBlobs(): Iterable<string> {
    for (const b of this.built) yield* b.entry.blobs ?? [];
  }

  private async collect(): Promise<SourceEntry[]> {
    const { entries, unreadable } = await collectItemEntries(this.policy, this.item);
    this.unreadable.push(...unreadable);
    return entries;
  }

  private async previousFiles(parent: SnapshotRecord): Promise<Map<string, TreeEntry>> {
    const map = new Map<string, TreeEntry>();
    const blobs = new Set<string>([parent.tree]);
    try {
      for (const { path, entry } of await flattenTree(this.repo, parent.tree)) {
        if (entry.tree) blobs.add(entry.tree);
        for (const b of entry.blobs ?? []) blobs.add(b);
        if (entry.type === 'file') map.set(path, entry);
      }
      this.parentBlobs = blobs;
    } catch (err) {
      // A damaged parent only costs speed: every file is read again.
      if (!isCairnError(err, 'CAIRN_E_INTEGRITY')) throw err;
    }
    return map;
  }
}

function fileMeta(e: SourceEntry) {
  return { type: 'file' as const, mode: e.mode, mtime: e.mtime, ctime: e.ctime, ino: e.ino, size: e.size };
}

function unchanged(p: TreeEntry, e: SourceEntry): boolean {
  return p.size === e.size && p.mtime === e.mtime && p.ctime === e.ctime && p.ino === e.ino && p.sha256 !== undefined;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
