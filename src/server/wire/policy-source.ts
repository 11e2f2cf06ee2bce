import { stat } from 'node:fs/promises';
import { loadPolicy, type Policy } from '../../policy/index.js';

/** What identifies one version of the policy file on disk. */
function versionOf(s: { mtimeMs: number; size: number; ino: number }): string {
  return `${s.mtimeMs}:${s.size}:${s.ino}`;
}

/**
 * The policy a long-running server works with: loaded at start (an invalid file stops the start),
 * then loaded again whenever the file's mtime, size or inode changes, checked on every use (a stat
 * costs microseconds). A new version that does not load keeps the last good one in force and is
 * reported once through `onError`: a typo saved by an editor must not take the server down, and
 * `GET /api/v1/policy/check` shows what is wrong with the file.
 */
export class PolicySource {
  readonly file: string;
  readonly #onError: (err: unknown) => void;
  #policy: Policy;
  #version: string;
  #generation = 0;
  #reloading: Promise<void> | undefined;

  private constructor(file: string, policy: Policy, version: string, onError: (err: unknown) => void) {
    this.file = file;
    this.#policy = policy;
    this.#version = version;
    this.#onError = onError;
  }

  static async open(file: string, onError: (err: unknown) => void = () => {}): Promise<PolicySource> {
    const version = versionOf(await stat(file).catch(() => ({ mtimeMs: 0, size: 0, ino: 0 })));
    const { policy } = await loadPolicy(file, { expiredExceptions: 'warning' });
    return new PolicySource(file, policy, version, onError);
  }

  /** Goes up by one each time a new version of the file is taken into use. */
  get generation(): number {
    return this.#generation;
  }

  /** The policy in force, after taking in a changed file. */
  async current(): Promise<Policy> {
    const now = await stat(this.file).then(versionOf, () => 'missing');
    if (now !== this.#version) {
      this.#reloading ??= this.#reload(now).finally(() => {
        this.#reloading = undefined;
      });
      await this.#reloading;
    }
    return this.#policy;
  }

  async #reload(version: string): Promise<void> {
    try {
      const { policy } = await loadPolicy(this.file, { expiredExceptions: 'warning' });
      this.#policy = policy;
      this.#generation++;
    } catch (err) {
      this.#onError(err);
    } finally {
      this.#version = version;
    }
  }
}
