/**
 * Helpers for tests against a real S3 server with Object Lock (Ceph RGW, started by scripts/ceph-up.sh
 * through scripts/test.sh): its endpoint and test keys, throwaway buckets, a raw SDK client for
 * checks behind Cairn's back, and a TCP proxy a test can cut or make tamper with bytes.
 * A missing server fails the tests that need it; nothing is skipped.
 */
import { randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

// As the product does (storage/s3/client.ts): no SDK warning about Node 20 on every test's stderr.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export const S3_ENDPOINT = process.env.CAIRN_TEST_S3_ENDPOINT ?? 'http://127.0.0.1:7480';
const ACCESS_KEY = process.env.CAIRN_TEST_S3_ACCESS_KEY ?? 'TESTKEY';
const SECRET_KEY = process.env.CAIRN_TEST_S3_SECRET_KEY ?? 'TESTSECRET';

/** The environment a Cairn process needs to use the test server (add to a CLI call's env). */
export function s3Env(endpoint = S3_ENDPOINT): Record<string, string> {
  return {
    CAIRN_S3_ENDPOINT: endpoint,
    AWS_ACCESS_KEY_ID: ACCESS_KEY,
    AWS_SECRET_ACCESS_KEY: SECRET_KEY,
    AWS_REGION: 'us-east-1',
  };
}

/** A raw SDK client on the test server, as an operator (or an attacker with the keys) would use it. */
export function rawClient(endpoint = S3_ENDPOINT): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1,
  });
}

/** A bucket name no other test (or run) uses. */
export function uniqueBucket(tag = 't'): string {
  return `cairn-${tag}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** Creates a fresh bucket, with Object Lock (and so versioning) unless plain. */
export async function createBucket(opts: { plain?: boolean; tag?: string } = {}): Promise<string> {
  const bucket = uniqueBucket(opts.tag);
  const client = rawClient();
  try {
    await client.send(
      new CreateBucketCommand({ Bucket: bucket, ...(opts.plain ? {} : { ObjectLockEnabledForBucket: true }) }),
    );
  } catch (err) {
    throw new Error(`the S3 test server at ${S3_ENDPOINT} is not usable (start it with scripts/ceph-up.sh): ${err}`);
  } finally {
    client.destroy();
  }
  return bucket;
}

/** A port nothing listens on (bound, then closed). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface TcpProxy {
  readonly endpoint: string;
  /** Bytes that went from the client to the server so far. */
  readonly bytesUp: number;
  /** Drops every connection and stops listening: the endpoint is down from now on. */
  cut(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A TCP proxy in front of the test server. tamper, if given, may change each chunk from the
 * client before it is forwarded (to flip a byte of a request body in transit).
 */
export async function startProxy(opts: { tamper?: (chunk: Buffer) => Buffer } = {}): Promise<TcpProxy> {
  const target = new URL(S3_ENDPOINT);
  const sockets = new Set<Socket>();
  let bytesUp = 0;
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 80), target.hostname);
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('data', (chunk: Buffer) => {
      bytesUp += chunk.length;
      upstream.write(opts.tamper ? opts.tamper(chunk) : chunk);
    });
    upstream.pipe(client);
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  let closed = false;
  const stop = async () => {
    if (closed) return;
    closed = true;
    const done = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of sockets) s.destroy();
    await done;
  };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get bytesUp() {
      return bytesUp;
    },
    cut: stop,
    close: stop,
  };
}
