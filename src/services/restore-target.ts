import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import type { SnapshotRecord } from '../catalog/index.js';
import { CairnError } from '../errors/index.js';
import type { Item, Policy, RestoreTarget, Source } from '../policy/index.js';
import { type Delivery, deliverToTarget, describeTarget } from '../targets/index.js';
import { sourceFolder } from './item-entries.js';
import { type RestoreResult, restoreSnapshot } from './restore.js';
import type { Session } from './session.js';
import { type FlatEntry, flattenTree } from './tree-walk.js';

export interface TargetRestoreResult {
  readonly item: string;
  readonly snapshot: string;
  readonly kind: RestoreTarget['kind'];
  /** describeTarget of the item's restore target. */
  readonly target: string;
  readonly dryRun: boolean;
  /** command/http targets: the snapshot file sent, and its size. */
  readonly file?: string;
  readonly bytes: number;
  /** Files restored (or that would be): 1 for command/http targets. */
  readonly files: number;
  /** What the target answered (command/http, not in a dry run). */
  readonly delivery?: Delivery;
  /** The folder restore's result (directory targets). */
  readonly restore?: RestoreResult;
}

/**
 * Puts a snapshot back where the policy's `restore:` says: a directory is restored in place
 * (overwriting, each file checked before it is renamed into place; files the snapshot lacks are left),
 * a command or HTTP target receives the snapshot's one content file. Throws CAIRN_E_TARGET when
 * the target refuses or any file could not be restored, CAIRN_E_USAGE when the item has no target.
 */
export async function restoreToTarget(
  session: Session,
  policy: Policy,
  item: Item,
  snapshot: SnapshotRecord,
  opts: { dryRun?: boolean; env?: Readonly<Record<string, string | undefined>>; signal?: AbortSignal } = {},
): Promise<TargetRestoreResult> {
  const target = item.restore;
  if (!target) {
    throw new CairnError(
      'CAIRN_E_USAGE',
      `item ${item.name} (${policy.file}:${item.at.line}) has no restore target; add \`restore: { directory: … }\`, ` +
        '`restore: { command: … }` or `restore: { http: { method, url } }` to it',
      { item: item.name, line: item.at.line },
    );
  }
  const label = describeTarget(target);
  const dryRun = opts.dryRun ?? false;
  const base = { item: item.name, snapshot: snapshot.id, kind: target.kind, target: label, dryRun };
  if (target.kind === 'directory') {
    await session.repo.loadIndex();
    const tree = await directoryTree(session, item, snapshot, label);
    const files = (await flattenTree(session.repo, tree)).filter((e) => e.entry.type === 'file');
    await refuseRedacted(session, item, files, label);
    // A subtree is restored as a snapshot of its own: its paths relative to the target folder.
    const restore = await restoreSnapshot(session.repo, tree === snapshot.tree ? snapshot : { ...snapshot, tree }, {
      target: target.path,
      overwrite: true,
      dryRun,
    });
    if (restore.failed.length > 0) {
      const shown = restore.failed.slice(0, 5).map((f) => `${f.path}: ${f.message}`);
      throw new CairnError(
        'CAIRN_E_TARGET',
        `item ${item.name}: restore into ${label} failed for ${restore.failed.length} file(s):\n  ${shown.join('\n  ')}`,
        { item: item.name, target: label, failed: restore.failed },
      );
    }
    return { ...base, bytes: restore.bytes, files: restore.files, restore };
  }
  await session.repo.loadIndex();
  const files = (await flattenTree(session.repo, snapshot.tree)).filter((e) => e.entry.type === 'file');
  const file = pickFile(item, files, label);
  await refuseRedacted(session, item, [file], label);
  if (dryRun) return { ...base, file: file.path, bytes: file.entry.size ?? 0, files: 1 };
  const bytes = await readWhole(session, file);
  const contentType = contentTypeOf(file.path);
  const delivery = await deliverToTarget(
    target,
    { item: item.name, bytes, ...(contentType ? { contentType } : {}) },
    opts,
  );
  return { ...base, file: file.path, bytes: bytes.length, files: 1, delivery };
}

/**
 * What a directory target receives: the whole snapshot of an item with one source; of an item with
 * several, the subtree of the files source whose root is the target folder (stored as `<n>-<folder>/`),
 * so no `0-app/`, `1-dotenv/` folders land in the live folder. Anything else is CAIRN_E_TARGET.
 */
async function directoryTree(session: Session, item: Item, snapshot: SnapshotRecord, label: string): Promise<string> {
  const target = item.restore as Extract<RestoreTarget, { kind: 'directory' }>;
  if (item.sources.length <= 1) return snapshot.tree;
  const index = item.sources.findIndex((s) => s.kind === 'files' && s.root === target.path);
  const prefix = index < 0 ? '' : sourceFolder(item.sources[index]!, index);
  const dir =
    index < 0
      ? undefined
      : (await flattenTree(session.repo, snapshot.tree, [prefix])).find((e) => e.path === prefix && e.entry.tree);
  if (!dir?.entry.tree) {
    throw new CairnError(
      'CAIRN_E_TARGET',
      `item ${item.name}: ${label} cannot take a snapshot of ${item.sources.length} sources ` +
        `(${item.sources.map((s, i) => sourceFolder(s, i)).join(', ')}): ` +
        (index < 0
          ? `no files source of the item has root ${target.path}; give restore.directory the root of one files source`
          : `the snapshot has no ${prefix}/ folder`),
      { item: item.name, target: label },
    );
  }
  return dir.entry.tree;
}

/** The placeholder redactSecrets (policy/secrets.ts) writes in place of a secret: `[REDACTED:<kind>]`. */
const REDACTED = /\[REDACTED:[a-z0-9-]+\]/;

/**
 * An item with `secrets: redact` is stored with its secrets replaced by placeholders: putting that back
 * would write `[REDACTED:…]` into live configuration. Refused (CAIRN_E_TARGET naming the files) before
 * anything is written.
 */
async function refuseRedacted(session: Session, item: Item, files: readonly FlatEntry[], label: string): Promise<void> {
  if (item.secrets !== 'redact') return;
  const hits: string[] = [];
  for (const f of files) {
    if (REDACTED.test((await readWhole(session, f)).toString('latin1'))) hits.push(f.path);
  }
  if (hits.length === 0) return;
  const shown = hits.slice(0, 10);
  throw new CairnError(
    'CAIRN_E_TARGET',
    `item ${item.name}: refusing to restore into ${label}: ${hits.length} file(s) hold redacted secrets ` +
      `([REDACTED:…] placeholders, the item has secrets: redact): ${shown.join(', ')}${hits.length > 10 ? ', …' : ''}; ` +
      'restore into a folder with --target, put the secrets back by hand, then copy the files',
    { item: item.name, target: label, files: hits },
  );
}

/** The one file a command/http target receives: the only file, or the one the item's single content source names. */
function pickFile(item: Item, files: readonly FlatEntry[], label: string): FlatEntry {
  if (files.length === 1) return files[0]!;
  const named = item.sources.flatMap((s, i) => {
    const name = storedName(s);
    if (name === undefined) return [];
    return [item.sources.length === 1 ? name : `${i}-${s.kind}/${name}`];
  });
  const found = named.length === 1 ? files.find((f) => f.path === named[0]) : undefined;
  if (found) return found;
  const list = files.slice(0, 20).map((f) => f.path);
  throw new CairnError(
    'CAIRN_E_TARGET',
    `item ${item.name}: ${label} takes one file, and the snapshot holds ${files.length}` +
      `${files.length ? ` (${list.join(', ')}${files.length > 20 ? ', …' : ''})` : ''}; ` +
      'give the item a single command, http or dotenv source, or restore into a directory',
    { item: item.name, target: label, files: list },
  );
}

function storedName(source: Source): string | undefined {
  if (source.kind === 'command' || source.kind === 'http') return source.file;
  if (source.kind === 'dotenv') return basename(source.path);
  return undefined;
}

async function readWhole(session: Session, file: FlatEntry): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (const id of file.entry.blobs ?? []) parts.push(await session.repo.loadBlob(id));
  const bytes = Buffer.concat(parts);
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (file.entry.sha256 && sha !== file.entry.sha256) {
    throw new CairnError(
      'CAIRN_E_INTEGRITY',
      `${file.path}: its content does not match its SHA-256; nothing was sent`,
      {
        path: file.path,
      },
    );
  }
  return bytes;
}

function contentTypeOf(path: string): string | undefined {
  if (/\.json$/i.test(path)) return 'application/json';
  if (/\.ya?ml$/i.test(path)) return 'application/yaml';
  if (/\.(txt|env)$/i.test(path) || path.endsWith('.env')) return 'text/plain';
  return undefined;
}
