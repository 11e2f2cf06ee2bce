/**
 * Local receivers for the notify tests: an HTTP endpoint that records every request and answers
 * as the test says, and a TCP endpoint that records the bytes of every connection.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { type AddressInfo, createServer as createTcpServer, type Socket } from 'node:net';

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface Answer {
  readonly status: number;
  readonly body?: unknown;
  /** Never answer (for timeouts). */
  readonly hang?: boolean;
}

export interface HttpReceiver {
  /** http://127.0.0.1:port */
  readonly origin: string;
  readonly requests: ReceivedRequest[];
  close(): Promise<void>;
}

export async function startHttpReceiver(answer: (req: ReceivedRequest, n: number) => Answer): Promise<HttpReceiver> {
  const requests: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const received = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(received);
      const a = answer(received, requests.length);
      if (a.hang) return;
      res.writeHead(a.status, { 'content-type': 'application/json' });
      res.end(a.body === undefined ? '' : JSON.stringify(a.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface TcpCollector {
  readonly port: number;
  /** Bytes received, one entry per connection, in the order connections were accepted. */
  readonly streams: Buffer[];
  readonly sockets: Socket[];
  /** Resolves once at least `bytes` bytes have arrived in total. */
  waitForBytes(bytes: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpCollector(port = 0, onSocket?: (socket: Socket) => void): Promise<TcpCollector> {
  const streams: Buffer[] = [];
  const sockets: Socket[] = [];
  const server = createTcpServer((socket) => {
    const index = streams.push(Buffer.alloc(0)) - 1;
    sockets.push(socket);
    socket.on('data', (chunk: Buffer) => {
      streams[index] = Buffer.concat([streams[index]!, chunk]);
    });
    socket.on('error', () => undefined);
    onSocket?.(socket);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const total = () => streams.reduce((n, s) => n + s.length, 0);
  return {
    port: (server.address() as AddressInfo).port,
    streams,
    sockets,
    async waitForBytes(bytes, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (total() < bytes) {
        if (Date.now() > deadline) throw new Error(`only ${total()} of ${bytes} bytes arrived`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on (just released by the OS). */
export async function freePort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Splits an RFC 6587 octet-counted stream into its messages. */
export function splitOctetCounted(stream: Buffer): string[] {
  const out: string[] = [];
  let at = 0;
  while (at < stream.length) {
    const space = stream.indexOf(0x20, at);
    const length = Number(stream.subarray(at, space).toString('ascii'));
    if (space < 0 || !Number.isInteger(length)) throw new Error(`bad frame at byte ${at}`);
    out.push(stream.subarray(space + 1, space + 1 + length).toString('utf8'));
    at = space + 1 + length;
  }
  return out;
}
