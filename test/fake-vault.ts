/**
 * A local HTTP(S) server speaking the part of HashiCorp Vault's Transit API that Cairn uses, as Vault
 * documents it: POST /v1/<mount>/encrypt/<name> {plaintext: base64} → {data: {ciphertext: "vault:v1:…",
 * key_version}}, POST /v1/<mount>/decrypt/<name> {ciphertext} → {data: {plaintext}}; the token in
 * X-Vault-Token, the namespace in X-Vault-Namespace; errors as {"errors": [...]} (403 permission denied,
 * 400 for bad input, 404 for an unknown route, 503 while sealed). Keys are real AES-256-GCM keys, so
 * ciphertext is never plaintext; encrypt creates a missing key (Vault's upsert). Not a real Vault.
 */
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface VaultRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: Record<string, unknown> | undefined;
}

export interface FakeVault {
  /** VAULT_ADDR. */
  readonly url: string;
  readonly token: string;
  readonly requests: VaultRequest[];
  /** Every later request with the token is refused with 403 permission denied. */
  revokeToken(): void;
  /** 503 {"errors":["Vault is sealed"]} until unsealed. */
  seal(on: boolean): void;
  /** Deletes a Transit key: decrypt then fails with 400 "encryption key not found" (or re-creates it fresh). */
  deleteKey(name: string): void;
  close(): Promise<void>;
}

export interface FakeVaultOptions {
  readonly token?: string;
  /** Vault Enterprise namespace the mount lives in: requests must carry it in X-Vault-Namespace. */
  readonly namespace?: string;
  readonly mount?: string;
  /** Serve HTTPS with this certificate and key (PEM). */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
}

export async function startFakeVault(opts: FakeVaultOptions = {}): Promise<FakeVault> {
  const token = opts.token ?? `hvs.${randomBytes(18).toString('base64url')}`;
  const mount = opts.mount ?? 'transit';
  const keys = new Map<string, Buffer>();
  const requests: VaultRequest[] = [];
  let revoked = false;
  let sealed = false;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const raw = await readBody(req);
    let body: Record<string, unknown> | undefined;
    try {
      body = raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
    } catch {
      body = undefined;
    }
    const path = new URL(req.url ?? '/', 'http://vault').pathname;
    requests.push({ method: req.method ?? '', path, headers: req.headers, body });
    if (sealed) return send(res, 503, { errors: ['Vault is sealed'] });
    const given = req.headers['x-vault-token'];
    if (revoked || given !== token) return send(res, 403, { errors: ['permission denied'] });
    const ns = (req.headers['x-vault-namespace'] as string | undefined)?.replace(/^\/+|\/+$/g, '') ?? '';
    const route = /^\/v1\/(.+)\/(encrypt|decrypt)\/([^/]+)$/.exec(path);
    const mountOk = route && route[1] === mount && ns === (opts.namespace ?? '');
    if (!route || !mountOk || req.method !== 'POST') {
      const rel = path.replace(/^\/v1\//, '');
      return send(res, 404, { errors: [`no handler for route "${rel}". route entry not found.`] });
    }
    if (raw && body === undefined) return send(res, 400, { errors: ['failed to parse JSON input'] });
    const name = decodeURIComponent(route[3]!);
    if (route[2] === 'encrypt') {
      if (typeof body?.plaintext !== 'string') return send(res, 400, { errors: ['missing plaintext to encrypt'] });
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body.plaintext)) {
        return send(res, 400, { errors: ['failed to base64-decode plaintext'] });
      }
      let key = keys.get(name);
      if (!key) {
        key = randomBytes(32);
        keys.set(name, key);
      }
      const nonce = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, nonce);
      const ct = Buffer.concat([cipher.update(Buffer.from(body.plaintext, 'base64')), cipher.final()]);
      const ciphertext = `vault:v1:${Buffer.concat([nonce, ct, cipher.getAuthTag()]).toString('base64')}`;
      return send(res, 200, answer({ ciphertext, key_version: 1 }));
    }
    if (typeof body?.ciphertext !== 'string') return send(res, 400, { errors: ['missing ciphertext to decrypt'] });
    const key = keys.get(name);
    if (!key) return send(res, 400, { errors: ['encryption key not found'] });
    const m = /^vault:v(\d+):(.*)$/.exec(body.ciphertext);
    if (!m) return send(res, 400, { errors: ['invalid ciphertext: no prefix'] });
    if (m[1] !== '1') return send(res, 400, { errors: ['invalid key version'] });
    const blob = Buffer.from(m[2]!, 'base64');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, blob.subarray(0, 12));
      decipher.setAuthTag(blob.subarray(blob.length - 16));
      const plain = Buffer.concat([decipher.update(blob.subarray(12, blob.length - 16)), decipher.final()]);
      return send(res, 200, answer({ plaintext: plain.toString('base64') }));
    } catch {
      return send(res, 400, { errors: ['cipher: message authentication failed'] });
    }
  };

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((err: unknown) => send(res, 500, { errors: [String(err)] }));
  };
  const server: Server = opts.tls
    ? createHttps({ cert: opts.tls.cert, key: opts.tls.key }, listener)
    : createHttp(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    token,
    requests,
    revokeToken() {
      revoked = true;
    },
    seal(on) {
      sealed = on;
    },
    deleteKey(name) {
      keys.delete(name);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Vault's response envelope. */
function answer(data: Record<string, unknown>): Record<string, unknown> {
  return {
    request_id: randomUUID(),
    lease_id: '',
    renewable: false,
    lease_duration: 0,
    data,
    wrap_info: null,
    warnings: null,
    auth: null,
  };
}

function send(res: ServerResponse, status: number, doc: unknown): void {
  const text = JSON.stringify(doc);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => {
      text += d;
    });
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}
