import { appendFileSync } from 'node:fs';

export type RequestKind = 'GET' | 'PUT' | 'HEAD' | 'LIST' | 'DELETE' | 'other';

const kinds: Readonly<Record<string, RequestKind>> = Object.freeze({
  GetObjectCommand: 'GET',
  PutObjectCommand: 'PUT',
  HeadObjectCommand: 'HEAD',
  HeadBucketCommand: 'HEAD',
  ListObjectsV2Command: 'LIST',
  ListObjectVersionsCommand: 'LIST',
  DeleteObjectCommand: 'DELETE',
});

/**
 * HTTP requests sent to S3, by kind, retries included (each attempt is a request the server sees),
 * and object bytes sent and received. The benchmark reads the line close() appends to
 * CAIRN_S3_REQUEST_LOG.
 */
export class RequestCounter {
  counts: Record<RequestKind, number> = zero();
  bytesUp = 0;
  bytesDown = 0;

  /** Called once per attempt by the client middleware. */
  request(commandName: string | undefined, bodyBytes: number): void {
    this.counts[kinds[commandName ?? ''] ?? 'other'] += 1;
    if (commandName === 'PutObjectCommand') this.bytesUp += bodyBytes;
  }

  received(bytes: number): void {
    this.bytesDown += bytes;
  }

  get total(): number {
    return Object.values(this.counts).reduce((a, b) => a + b, 0);
  }

  /** Appends {location, counts, bytesUp, bytesDown} to file and starts counting from zero again. */
  flush(file: string | undefined, location: string): void {
    if (file !== undefined && this.total > 0) {
      const line = { location, counts: this.counts, bytesUp: this.bytesUp, bytesDown: this.bytesDown };
      appendFileSync(file, `${JSON.stringify(line)}\n`);
    }
    this.counts = zero();
    this.bytesUp = 0;
    this.bytesDown = 0;
  }
}

function zero(): Record<RequestKind, number> {
  return { GET: 0, PUT: 0, HEAD: 0, LIST: 0, DELETE: 0, other: 0 };
}
