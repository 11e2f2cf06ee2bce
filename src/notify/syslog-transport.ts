/**
 * RFC 5424 messages to a syslog receiver over one persistent TCP or TLS connection (RFC 6587
 * framing), with the delivery semantics of siem-transport.ts. The connection is opened on the
 * first send, reopened on the next send after it dropped, kept alive with TCP keepalive, and
 * unreferenced while idle so it never keeps the process running.
 */
import type { Socket } from 'node:net';
import { CairnError, errnoCode } from '../errors/index.js';
import { RecentWrites } from './recent-writes.js';
import {
  assertMessages,
  type LostListener,
  LostListeners,
  type SiemMessage,
  type SiemTransport,
} from './siem-transport.js';
import { connectSyslog, readCaFile } from './syslog-connect.js';
import { frameBatch, parseSyslogUrl, type SyslogFraming, type SyslogTarget } from './syslog-framing.js';

export interface SyslogTransportOptions {
  /** tcp://host:port or tcp+tls://host:port */
  readonly url: string;
  /** PEM file of the CA that signed the receiver's certificate (tcp+tls); the system CAs otherwise. */
  readonly caFile?: string;
  /** Default octet-counting (RFC 6587 3.4.1); 'lf' for receivers that only split on line feeds. */
  readonly framing?: SyslogFraming;
  /** Default 5000. */
  readonly connectTimeoutMs?: number;
  /** A send whose bytes are not flushed within this time rejects and drops the connection. Default 10000. */
  readonly writeTimeoutMs?: number;
  /** Default true: a receiver whose certificate does not verify is refused. */
  readonly rejectUnauthorized?: boolean;
  /** Idle time before TCP keepalive probes start. Default 15000. */
  readonly keepAliveMs?: number;
  /** How far before a drop written messages count as possibly lost. Default 5000. */
  readonly lostWindowMs?: number;
}

interface Connection {
  readonly socket: Socket;
  readonly written: RecentWrites;
  closing: boolean;
  failure?: CairnError;
}

export class SyslogTransport implements SiemTransport {
  readonly endpoint: string;
  readonly #target: SyslogTarget;
  readonly #opts: Readonly<Required<Omit<SyslogTransportOptions, 'url' | 'caFile'>> & { caFile?: string }>;
  readonly #lost = new LostListeners();
  #ca: Promise<Buffer> | undefined;
  #conn: Connection | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(options: SyslogTransportOptions) {
    this.#target = parseSyslogUrl(options.url);
    this.endpoint = this.#target.endpoint;
    this.#opts = {
      ...(options.caFile ? { caFile: options.caFile } : {}),
      framing: options.framing ?? 'octet-counting',
      connectTimeoutMs: options.connectTimeoutMs ?? 5000,
      writeTimeoutMs: options.writeTimeoutMs ?? 10_000,
      rejectUnauthorized: options.rejectUnauthorized ?? true,
      keepAliveMs: options.keepAliveMs ?? 15_000,
      lostWindowMs: options.lostWindowMs ?? 5000,
    };
  }

  onLost(listener: LostListener): () => void {
    return this.#lost.add(listener);
  }

  send(messages: readonly SiemMessage[]): Promise<void> {
    const run = this.#queue.then(() => this.#sendNow(messages));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#queue;
    const conn = this.#conn;
    this.#conn = undefined;
    if (!conn) return;
    conn.closing = true;
    const { socket } = conn;
    if (socket.destroyed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        socket.destroy();
        resolve();
      }, 2000);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.end();
    });
  }

  async #sendNow(messages: readonly SiemMessage[]): Promise<void> {
    if (this.#closed) throw new CairnError('CAIRN_E_USAGE', `the syslog transport to ${this.endpoint} is closed`);
    assertMessages(messages);
    if (messages.length === 0) return;
    const bytes = frameBatch(messages, this.#opts.framing);
    // A connection the peer has just closed may not have reported 'close' yet: do not write to it.
    const conn = this.#conn?.socket.writable ? this.#conn : await this.#open();
    const { socket } = conn;
    conn.written.record(
      messages.map((m) => m.seq),
      Date.now(),
    );
    socket.ref();
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          conn.failure ??= new CairnError(
            'CAIRN_E_SERVER',
            `syslog receiver ${this.endpoint} did not take ${bytes.length} bytes within ${this.#opts.writeTimeoutMs} ms; the outbox retries later`,
            { endpoint: this.endpoint },
          );
          socket.destroy();
        }, this.#opts.writeTimeoutMs);
        socket.write(bytes, (err) => {
          clearTimeout(timer);
          // Node calls back without an error for a write cut short by destroy(): not a success.
          if (err || conn.failure || socket.destroyed) reject(conn.failure ?? this.#dropError(err ?? undefined));
          else resolve();
        });
      });
    } finally {
      socket.unref();
    }
  }

  async #open(): Promise<Connection> {
    const ca = await this.#caBundle();
    const socket = await connectSyslog(this.#target, {
      ...(ca ? { ca } : {}),
      rejectUnauthorized: this.#opts.rejectUnauthorized,
      connectTimeoutMs: this.#opts.connectTimeoutMs,
      keepAliveMs: this.#opts.keepAliveMs,
    });
    const conn: Connection = { socket, written: new RecentWrites(this.#opts.lostWindowMs), closing: false };
    // Receivers send nothing; reading is how a close by the peer is noticed while idle.
    socket.on('data', () => undefined);
    socket.on('end', () => socket.destroy());
    socket.on('error', (err) => {
      conn.failure ??= this.#dropError(err);
    });
    socket.on('close', () => this.#dropped(conn));
    socket.unref();
    this.#conn = conn;
    return conn;
  }

  #caBundle(): Promise<Buffer> | undefined {
    const { caFile } = this.#opts;
    if (!caFile) return undefined;
    this.#ca ??= readCaFile(caFile).catch((err: unknown) => {
      this.#ca = undefined; // read it again on the next send
      throw err;
    });
    return this.#ca;
  }

  #dropped(conn: Connection): void {
    if (this.#conn === conn) this.#conn = undefined;
    if (conn.closing) return;
    const fromSeq = conn.written.fromSeq(Date.now());
    if (fromSeq !== undefined) this.#lost.emit(fromSeq);
  }

  #dropError(err: Error | undefined): CairnError {
    const code = errnoCode(err) ?? 'connection closed';
    return new CairnError(
      'CAIRN_E_SERVER',
      `connection to syslog receiver ${this.endpoint} failed: ${code}; the outbox retries later`,
      { endpoint: this.endpoint, cause: code },
    );
  }
}
