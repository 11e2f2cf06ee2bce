import { CairnError } from '../errors/index.js';
import type { BlobType, PackRecord, SegmentRecord } from './pack-format.js';

export interface BlobLocation {
  readonly pack: string;
  readonly segment: SegmentRecord;
  readonly offset: number; // in the segment's plaintext
  readonly length: number;
  readonly type: BlobType;
}

/** Every blob the repository's index files know of, in memory: blob id -> where it lives. */
export class MasterIndex {
  private readonly blobs = new Map<string, BlobLocation>();
  readonly packs = new Map<string, PackRecord>();
  /** Which index files contributed, so prune can replace exactly those. */
  readonly files = new Set<string>();

  addPack(pack: PackRecord): void {
    this.packs.set(pack.id, pack);
    for (const segment of pack.segments) {
      for (const [id, type, offset, length] of segment.blobs) {
        if (!this.blobs.has(id)) this.blobs.set(id, { pack: pack.id, segment, offset, length, type });
      }
    }
  }

  has(id: string): boolean {
    return this.blobs.has(id);
  }

  get(id: string): BlobLocation {
    const loc = this.blobs.get(id);
    if (!loc) throw new CairnError('CAIRN_E_INTEGRITY', `blob ${id.slice(0, 12)} is not in the index`, { blob: id });
    return loc;
  }

  find(id: string): BlobLocation | undefined {
    return this.blobs.get(id);
  }

  get size(): number {
    return this.blobs.size;
  }
}
