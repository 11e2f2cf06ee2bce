import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { CairnError, type ErrorCode, errnoCode, errorCodes } from '../errors/index.js';
import { VERSION } from './version.js';

export type Query = Readonly<Record<string, string | number | boolean | readonly string[] | undefined>>;

/** A body sent as it is (a file), not as JSON. */
export interface RawBody {
  readonly bytes: Uint8Array;
  readonly contentType: string;
}

type SendOptions = { query?: Query; body?: unknown; raw?: RawBody };

/**
 * The CLI's way to a `cairn serve` (CAIRN_SERVER): JSON over HTTP(S) with a bearer token. Errors the server
 * sends come back as the same CairnError (code, message, details), so a command fails the same way
 * whether it ran here or there. A private CA is trusted with CAIRN_CA_FILE.
 */
export class RemoteClient {
  readonly #base: URL;
  readonly #token: string | undefined;
  readonly #ca: Buffer | undefined;

  constructor(base: string, token: string | undefined, caFile?: string) {
    try {
      this.#base = new URL(base.endsWith('/') ? base : `${base}/`);
    } catch {
      throw new CairnError('CAIRN_E_USAGE', `CAIRN_SERVER ${base} is not a URL (e.g. https://cairn.internal:8420)`);
    }
    if (!/^https?:$/.test(this.#base.protocol))
      throw new CairnError('CAIRN_E_USAGE', `CAIRN_SERVER ${base} must be an http:// or https:// URL`);
    this.#token = token;
    this.#ca = caFile ? readFileSync(caFile) : undefined;
  }

  get server(): string {
    return this.#base.origin;
  }

  async call<T>(method: string, path: string, opts: SendOptions = {}): Promise<T> {
    const res = await this.#send(method, path, opts);
    const text = await readAll(res);
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      throw new CairnError(
        'CAIRN_E_SERVER',
        `${this.server} answered ${res.statusCode} with something that is not JSON`,
      );
    }
    if ((res.statusCode ?? 500) >= 400) throw remoteError(parsed, res.statusCode ?? 500, this.server);
    return parsed as T;
  }

  /** A file answer (a report): its bytes and headers. An error answer throws as call() does. */
  async download(path: string, query?: Query): Promise<{ bytes: Buffer; headers: IncomingHttpHeaders }> {
    const res = await this.#send('GET', path, query ? { query } : {});
    const bytes = await readBytes(res);
    if ((res.statusCode ?? 500) >= 400) {
      let parsed: unknown = {};
      try {
        parsed = JSON.parse(bytes.toString('utf8'));
      } catch {}
      throw remoteError(parsed, res.statusCode ?? 500, this.server);
    }
    return { bytes, headers: res.headers };
  }

  /** A text response (e.g. an audit export), line by line. */
  async *lines(path: string, query?: Query): AsyncGenerator<string> {
    const res = await this.#send('GET', path, query ? { query } : {});
    if ((res.statusCode ?? 500) >= 400) {
      const text = await readAll(res);
      let parsed: unknown = {};
      try {
        parsed = JSON.parse(text);
      } catch {}
      throw remoteError(parsed, res.statusCode ?? 500, this.server);
    }
    let rest = '';
    for await (const chunk of res) {
      rest += String(chunk);
      const parts = rest.split('\n');
      rest = parts.pop() ?? '';
      yield* parts;
    }
    if (rest) yield rest;
  }

  #send(method: string, path: string, opts: SendOptions): Promise<IncomingMessage> {
    const url = new URL(path.replace(/^\//, ''), this.#base);
    for (const [key, value] of Object.entries(opts.query ?? {})) {
      if (value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value]) url.searchParams.append(key, String(v));
    }
    const body = opts.raw ? opts.raw.bytes : opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': `cairn-cli/${VERSION}` };
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    if (body !== undefined) {
      headers['content-type'] = opts.raw?.contentType ?? 'application/json';
      // Node sends a DELETE body neither chunked nor with a length unless told: the server would read it as a request.
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, { method, headers, ...(this.#ca ? { ca: this.#ca } : {}), timeout: 600_000 }, resolve);
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', (err) =>
        reject(
          new CairnError(
            'CAIRN_E_SERVER',
            `cannot reach the Cairn server at ${this.server} (${errnoCode(err) ?? err.message}); check CAIRN_SERVER`,
          ),
        ),
      );
      req.end(body);
    });
  }
}

function remoteError(parsed: unknown, status: number, server: string): CairnError {
  const e = (parsed as { error?: { code?: string; message?: string; details?: Record<string, unknown> } }).error;
  if (e?.code && e.code in errorCodes) return new CairnError(e.code as ErrorCode, e.message ?? e.code, e.details);
  return new CairnError('CAIRN_E_SERVER', `${server} answered ${status}${e?.message ? `: ${e.message}` : ''}`);
}

async function readAll(res: IncomingMessage): Promise<string> {
  return (await readBytes(res)).toString('utf8');
}

async function readBytes(res: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
