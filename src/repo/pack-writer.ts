import type { PutOptions, Storage } from '../storage/index.js';
import type { SealedBlobs } from './blob-sealing.js';
import { seal, sha256Hex } from './crypto.js';
import {
  type BlobType,
  PACK_HEADER_AAD,
  type PackRecord,
  packKey,
  type SegmentBlob,
  type SegmentRecord,
} from './pack-format.js';
import type { SealedSegment } from './segment-sealer.js';

export interface PackWriterOptions {
  readonly storage: Storage;
  readonly encryptionKey: Buffer;
  readonly segmentSize: number;
  readonly packSize: number;
  /** Compress-and-seal of one segment, possibly on another thread. */
  readonly sealer: (raw: Buffer) => Promise<SealedSegment>;
  readonly retainUntil?: Date | undefined;
  /** The lock mode of retainUntil (the tier's: compliance or governance). */
  readonly mode?: LockMode | undefined;
  /** How many segments may be sealing at once (one per core is enough). */
  readonly parallel?: number;
}

export type LockMode = NonNullable<PutOptions['mode']>;

/**
 * The WORM options of a put: none when the date has passed already (a retention class of 0d), since
 * S3 refuses a retain-until in the past and such a lock would protect nothing anyway.
 */
export function lockOptions(retainUntil: Date | undefined, mode: LockMode | undefined, now = Date.now()): PutOptions {
  if (!retainUntil || retainUntil.getTime() <= now) return {};
  return { retainUntil, mode: mode ?? 'governance' };
}

interface OpenSegment {
  parts: Buffer[];
  size: number;
  blobs: SegmentBlob[];
}

/**
 * Groups blobs into segments (data and trees apart, so reading trees never decompresses data)
 * and segments into packs; writes each pack once it reaches its target size. A blob is findable
 * through the index only after flush() has written its pack and returned its record.
 */
export class PackWriter {
  private readonly open: Record<BlobType, OpenSegment> = { data: emptySegment(), tree: emptySegment() };
  private readonly pendingIds = new Set<string>();
  private packParts: Buffer[] = [];
  private packSegments: SegmentRecord[] = [];
  private packBytes = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly written: PackRecord[] = [];
  private failure: unknown;
  storedBytes = 0;

  constructor(private readonly options: PackWriterOptions) {}

  has(id: string): boolean {
    return this.pendingIds.has(id);
  }

  /** Queues a blob, taking ownership of its bytes (they may be handed to another thread); resolves once there is room. */
  async add(id: string, type: BlobType, data: Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    this.pendingIds.add(id);
    const { segmentSize } = this.options;
    if (data.length >= segmentSize / 2) {
      // A large chunk is a segment of its own: no point copying it into a shared buffer.
      await this.sealAndAppend({ parts: [data], size: data.length, blobs: [[id, type, 0, data.length]] });
      return;
    }
    const seg = this.open[type];
    seg.blobs.push([id, type, seg.size, data.length]);
    seg.parts.push(data);
    seg.size += data.length;
    if (seg.size >= segmentSize) {
      this.open[type] = emptySegment();
      await this.sealAndAppend(seg);
    }
  }

  /** Marks blobs as on their way (sealed elsewhere): from now on the repository counts them as present. */
  reserve(ids: Iterable<string>): void {
    for (const id of ids) this.pendingIds.add(id);
  }

  /** Appends a segment sealed elsewhere (a snapshot worker); its blobs must have been reserved. */
  async appendSealed(seg: SealedBlobs): Promise<void> {
    if (this.failure) throw this.failure;
    await this.append({ parts: [], size: seg.raw, blobs: [...seg.blobs] }, seg);
  }

  private async sealAndAppend(seg: OpenSegment): Promise<void> {
    const limit = this.options.parallel ?? 2;
    while (this.inFlight.size >= limit) await Promise.race(this.inFlight);
    if (this.failure) throw this.failure;
    const raw = seg.parts.length === 1 ? seg.parts[0]! : Buffer.concat(seg.parts, seg.size);
    const job = this.options
      .sealer(raw)
      .then((sealed) => this.append(seg, sealed))
      .catch((err: unknown) => {
        this.failure ??= err;
      })
      .finally(() => this.inFlight.delete(job));
    this.inFlight.add(job);
  }

  private async append(seg: OpenSegment, sealed: SealedSegment): Promise<void> {
    this.packSegments.push({
      off: this.packBytes,
      len: sealed.sealed.length,
      raw: seg.size,
      z: sealed.z,
      blobs: seg.blobs,
    });
    this.packParts.push(sealed.sealed);
    this.packBytes += sealed.sealed.length;
    if (this.packBytes >= this.options.packSize) await this.writePack();
  }

  private async writePack(): Promise<void> {
    if (this.packSegments.length === 0) return;
    const segments = this.packSegments;
    const parts = this.packParts;
    this.packSegments = [];
    this.packParts = [];
    this.packBytes = 0;
    const header = seal(this.options.encryptionKey, Buffer.from(JSON.stringify(segments)), PACK_HEADER_AAD);
    const trailer = Buffer.alloc(4);
    trailer.writeUInt32LE(header.length, 0);
    const bytes = Buffer.concat([...parts, header, trailer]);
    const id = sha256Hex(bytes);
    await this.options.storage.put(packKey(id), bytes, {
      ...lockOptions(this.options.retainUntil, this.options.mode),
      contentAddressed: true,
    });
    this.storedBytes += bytes.length;
    this.written.push({ id, size: bytes.length, segments });
  }

  /** Seals the open segments, writes the last pack, and hands back every pack written since last time. */
  async flush(): Promise<PackRecord[]> {
    for (const type of ['data', 'tree'] as const) {
      const seg = this.open[type];
      if (seg.size > 0) {
        this.open[type] = emptySegment();
        await this.sealAndAppend(seg);
      }
    }
    while (this.inFlight.size > 0) await Promise.race(this.inFlight);
    if (this.failure) throw this.failure;
    await this.writePack();
    const done = this.written.splice(0);
    for (const pack of done) for (const seg of pack.segments) for (const [id] of seg.blobs) this.pendingIds.delete(id);
    return done;
  }
}

function emptySegment(): OpenSegment {
  return { parts: [], size: 0, blobs: [] };
}
