import type { EntryType } from '../repo/index.js';

/**
 * One entry of an item's configuration, as a source sees it. File sources give an absolute path
 * to read (and the metadata that lets a snapshot skip unchanged files); sources that produce
 * content (command output, HTTP, database settings: later issues) give the bytes.
 */
export interface SourceEntry {
  readonly path: string; // relative, '/'-separated, no '.' or '..' components
  readonly type: EntryType;
  readonly mode: number;
  readonly mtime: number;
  readonly ctime: number;
  readonly ino: number;
  readonly size: number;
  readonly abs?: string;
  readonly content?: Buffer;
  readonly target?: string;
}

export interface Unreadable {
  readonly path: string;
  readonly reason: string;
}

export interface SourceResult {
  readonly entries: SourceEntry[];
  readonly unreadable: Unreadable[];
}

/** What a source run may be given besides the policy: cancellation, the environment it reads, where caches live. */
export interface CollectOptions {
  readonly signal?: AbortSignal;
  /** Environment variables (default process.env): command env pass-through, HTTP header values, postgres urlEnv. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Folder for the bare clones of `git: { url }` sources (default $CAIRN_HOME/git-cache). */
  readonly gitCache?: string;
}
