import { CairnError, isCairnError } from '../errors/index.js';
import type { ObjectInfo, Storage } from '../storage/index.js';
import { assertMatchesAddress, contentAddress, lockOf, retentionOf } from './replica-objects.js';

/**
 * Copies one object between two stores of the same repository, byte for byte: the bytes are checked
 * against their content address before they are sent, and read back from the target and compared
 * after. The copy keeps the source's retention, mode and legal hold. Puts are atomic, so an
 * interrupted copy leaves the object whole or absent, and the next run copies what is absent.
 */
export class ObjectCopier {
  /**
   * Time spent (summed over concurrent copies) reading from the source, writing to the target and
   * reading copies back from the target: verifyMs against the rest is what verifying arrival costs.
   */
  readMs = 0;
  writeMs = 0;
  verifyMs = 0;
  verifiedBytes = 0;

  constructor(
    readonly from: Storage,
    readonly to: Storage,
    readonly now: Date,
  ) {}

  /** Copies `key`; returns its size. `listed` is the source's listing entry, when there is one. */
  async copy(key: string, listed?: ObjectInfo): Promise<number> {
    let started = performance.now();
    const bytes = await this.from.get(key);
    assertMatchesAddress(key, bytes, this.from.location);
    const lock = await lockOf(this.from, key, listed);
    this.readMs += performance.now() - started;
    started = performance.now();
    try {
      await this.to.put(key, bytes, {
        ...retentionOf(lock, this.now),
        contentAddressed: contentAddress(key) !== undefined,
      });
    } catch (err) {
      // Another replication put it meanwhile: the read-back below tells whether it holds these bytes.
      if (!isCairnError(err, 'CAIRN_E_EXISTS')) throw err;
    }
    if (lock?.legalHold) await this.to.setLegalHold(key, true);
    this.writeMs += performance.now() - started;
    await this.verifyArrival(key, bytes);
    return bytes.length;
  }

  async verifyArrival(key: string, bytes: Buffer): Promise<void> {
    const started = performance.now();
    const back = await this.to.get(key);
    this.verifyMs += performance.now() - started;
    this.verifiedBytes += back.length;
    if (!back.equals(bytes)) {
      throw new CairnError(
        'CAIRN_E_INTEGRITY',
        `${key} arrived damaged in ${this.to.location}: the bytes read back differ from those sent; ` +
          `repair it with \`cairn repair --repo ${this.to.location} --from ${this.from.location}\``,
        { object: key, location: this.to.location },
      );
    }
  }
}
