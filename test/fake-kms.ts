/**
 * A local HTTP server speaking the part of AWS KMS that Cairn uses, as AWS documents its JSON 1.1
 * protocol: POST / with X-Amz-Target TrentService.Encrypt or TrentService.Decrypt, Content-Type
 * application/x-amz-json-1.1, binary fields (Plaintext, CiphertextBlob) in base64, errors as HTTP 400
 * {"__type": "AccessDeniedException", "message": …}. Every request must carry a valid SigV4
 * Authorization header (checked here with the documented algorithm, not with the SDK's signer).
 * The EncryptionContext is authenticated with the ciphertext (AES-256-GCM AAD), so decrypt with another
 * context fails with InvalidCiphertextException, as KMS does. Not a real KMS.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const KMS_ACCOUNT = '111122223333';

export interface FakeKmsKey {
  readonly id: string;
  readonly arn: string;
}

export interface KmsRequest {
  readonly target: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: Record<string, unknown> | undefined;
}

export interface FakeKms {
  /** The endpoint (CAIRN_KMS_ENDPOINT or AWS_ENDPOINT_URL_KMS). */
  readonly url: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly requests: KmsRequest[];
  /** A new enabled symmetric key, with an alias (`alias/<name>`) when given. */
  createKey(alias?: string): FakeKmsKey;
  /** DisabledException on every use of the key while disabled. */
  disableKey(id: string, disabled?: boolean): void;
  /** AccessDeniedException on Decrypt (and on Encrypt with `encrypt`), as an IAM policy denying it would. */
  denyDecrypt(on: boolean): void;
  denyEncrypt(on: boolean): void;
  close(): Promise<void>;
}

interface KeyState extends FakeKmsKey {
  readonly material: Buffer;
  enabled: boolean;
}

class KmsError extends Error {
  constructor(
    readonly type: string,
    message: string | undefined,
    readonly status = 400,
  ) {
    super(message ?? '');
  }
}

const USER_ARN = `arn:aws:iam::${KMS_ACCOUNT}:user/cairn-test`;

export async function startFakeKms(opts: { region?: string } = {}): Promise<FakeKms> {
  const region = opts.region ?? 'us-east-1';
  const accessKeyId = `AKIA${randomBytes(8).toString('hex').toUpperCase()}`;
  const secretAccessKey = randomBytes(30).toString('base64');
  const keys = new Map<string, KeyState>();
  const aliases = new Map<string, string>();
  const requests: KmsRequest[] = [];
  let denyDecrypt = false;
  let denyEncrypt = false;

  const resolveKey = (keyId: unknown): KeyState => {
    if (typeof keyId !== 'string' || !keyId) throw new KmsError('ValidationException', 'KeyId is required');
    const aliasArn = /^arn:aws:kms:[^:]+:\d{12}:(alias\/.+)$/.exec(keyId);
    const keyArn = /^arn:aws:kms:[^:]+:\d{12}:key\/(.+)$/.exec(keyId);
    const id = keyArn ? keyArn[1]! : (aliases.get(aliasArn ? aliasArn[1]! : keyId) ?? keyId);
    const key = keys.get(id);
    if (!key) {
      const what = keyId.includes('alias/') ? `Alias ${keyId}` : `Key '${keyId}'`;
      throw new KmsError('NotFoundException', `${what} is not found.`);
    }
    return key;
  };

  const encrypt = (body: Record<string, unknown>) => {
    const key = resolveKey(body.KeyId);
    if (denyEncrypt) throw accessDenied('Encrypt', key);
    if (!key.enabled) throw new KmsError('DisabledException', `${key.arn} is disabled.`);
    const plain = base64Field(body.Plaintext, 'Plaintext');
    if (plain.length < 1 || plain.length > 4096) {
      throw new KmsError('ValidationException', 'Plaintext must be between 1 and 4096 bytes');
    }
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key.material, nonce);
    cipher.setAAD(contextAad(body.EncryptionContext));
    const ct = Buffer.concat([cipher.update(plain), cipher.final()]);
    const idBytes = Buffer.from(key.id);
    const blob = Buffer.concat([Buffer.from([1, idBytes.length]), idBytes, nonce, ct, cipher.getAuthTag()]);
    return { CiphertextBlob: blob.toString('base64'), KeyId: key.arn, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
  };

  const decrypt = (body: Record<string, unknown>) => {
    const blob = base64Field(body.CiphertextBlob, 'CiphertextBlob');
    const idLength = blob[1] ?? 0;
    if (blob[0] !== 1 || blob.length < 2 + idLength + 28) throw new KmsError('InvalidCiphertextException', undefined);
    const key = keys.get(blob.subarray(2, 2 + idLength).toString());
    if (!key) throw new KmsError('InvalidCiphertextException', undefined);
    if (body.KeyId !== undefined && resolveKey(body.KeyId).id !== key.id) {
      throw new KmsError(
        'IncorrectKeyException',
        'The key ID in the request does not identify a CMK that can perform this operation.',
      );
    }
    if (denyDecrypt) throw accessDenied('Decrypt', key);
    if (!key.enabled) throw new KmsError('DisabledException', `${key.arn} is disabled.`);
    const rest = blob.subarray(2 + idLength);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.material, rest.subarray(0, 12));
      decipher.setAAD(contextAad(body.EncryptionContext));
      decipher.setAuthTag(rest.subarray(rest.length - 16));
      const plain = Buffer.concat([decipher.update(rest.subarray(12, rest.length - 16)), decipher.final()]);
      return { KeyId: key.arn, Plaintext: plain.toString('base64'), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
    } catch {
      // KMS gives no message here: a wrong EncryptionContext and altered bytes look the same.
      throw new KmsError('InvalidCiphertextException', undefined);
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const raw = await readBody(req);
    const target = String(req.headers['x-amz-target'] ?? '');
    let body: Record<string, unknown> | undefined;
    try {
      body = raw ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>) : {};
    } catch {
      body = undefined;
    }
    requests.push({ target, headers: req.headers, body });
    try {
      if (req.method !== 'POST' || req.url !== '/') throw new KmsError('UnknownOperationException', undefined, 404);
      verifySigV4(req, raw, { accessKeyId, secretAccessKey, region });
      if (req.headers['content-type'] !== 'application/x-amz-json-1.1') {
        throw new KmsError('SerializationException', 'Content-Type must be application/x-amz-json-1.1');
      }
      if (!body) throw new KmsError('SerializationException', 'Start of structure or map found where not expected.');
      if (target === 'TrentService.Encrypt') return send(res, 200, encrypt(body));
      if (target === 'TrentService.Decrypt') return send(res, 200, decrypt(body));
      throw new KmsError('UnknownOperationException', undefined);
    } catch (err) {
      if (!(err instanceof KmsError)) throw err;
      const doc = err.message ? { __type: err.type, message: err.message } : { __type: err.type };
      return send(res, err.status, doc);
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => send(res, 500, { __type: 'KMSInternalException', message: String(err) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    region,
    accessKeyId,
    secretAccessKey,
    requests,
    createKey(alias) {
      const id = randomUUID();
      const key: KeyState = {
        id,
        arn: `arn:aws:kms:${region}:${KMS_ACCOUNT}:key/${id}`,
        material: randomBytes(32),
        enabled: true,
      };
      keys.set(id, key);
      if (alias) aliases.set(`alias/${alias}`, id);
      return { id, arn: key.arn };
    },
    disableKey(id, disabled = true) {
      const key = keys.get(id);
      if (!key) throw new Error(`no fake KMS key ${id}`);
      key.enabled = !disabled;
    },
    denyDecrypt(on) {
      denyDecrypt = on;
    },
    denyEncrypt(on) {
      denyEncrypt = on;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function accessDenied(action: string, key: KeyState): KmsError {
  return new KmsError(
    'AccessDeniedException',
    `User: ${USER_ARN} is not authorized to perform: kms:${action} on resource: ${key.arn} because no identity-based policy allows the kms:${action} action`,
  );
}

function base64Field(value: unknown, name: string): Buffer {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) {
    throw new KmsError('SerializationException', `${name} must be a base64-encoded blob`);
  }
  return Buffer.from(value, 'base64');
}

/** The context as AAD: sorted pairs, so key order in the JSON does not matter (as in KMS). */
function contextAad(context: unknown): Buffer {
  if (context === undefined) return Buffer.alloc(0);
  if (typeof context !== 'object' || context === null) {
    throw new KmsError('SerializationException', 'EncryptionContext must be a map of strings');
  }
  const pairs = Object.entries(context as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
  return Buffer.from(JSON.stringify(pairs));
}

/**
 * AWS Signature Version 4 as documented: canonical request, string to sign, HMAC chain of date,
 * region, service and "aws4_request". A missing, malformed, foreign or wrong signature is refused.
 */
function verifySigV4(
  req: IncomingMessage,
  body: Buffer,
  creds: { accessKeyId: string; secretAccessKey: string; region: string },
): void {
  const auth = req.headers.authorization;
  if (!auth) throw new KmsError('MissingAuthenticationTokenException', 'Missing Authentication Token');
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
      auth,
    );
  if (!m) throw new KmsError('IncompleteSignatureException', `Authorization header is not a SigV4 signature: ${auth}`);
  const [, keyId, date, region, service, signedHeaders, signature] = m as unknown as string[];
  if (keyId !== creds.accessKeyId) {
    throw new KmsError('UnrecognizedClientException', 'The security token included in the request is invalid.');
  }
  if (region !== creds.region || service !== 'kms') {
    throw new KmsError(
      'InvalidSignatureException',
      `Credential should be scoped to a valid region (${creds.region}) and service kms`,
    );
  }
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  const names = signedHeaders!.split(';');
  if (!amzDate.startsWith(date!) || !names.includes('host') || !names.includes('x-amz-date')) {
    throw new KmsError('IncompleteSignatureException', 'the signature must cover host and x-amz-date of the same day');
  }
  const canonicalHeaders = names
    .map(
      (n) =>
        `${n}:${String(req.headers[n] ?? '')
          .trim()
          .replace(/\s+/g, ' ')}\n`,
    )
    .join('');
  const canonicalRequest = [
    req.method,
    '/',
    '',
    canonicalHeaders,
    signedHeaders,
    createHash('sha256').update(body).digest('hex'),
  ].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    amzDate,
    scope,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  let k: Buffer = createHmac('sha256', `AWS4${creds.secretAccessKey}`).update(date!).digest();
  for (const part of [region!, service!, 'aws4_request']) k = createHmac('sha256', k).update(part).digest();
  const expected = createHmac('sha256', k).update(stringToSign).digest('hex');
  if (expected !== signature) {
    throw new KmsError(
      'InvalidSignatureException',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
    );
  }
}

function send(res: ServerResponse, status: number, doc: unknown): void {
  const text = JSON.stringify(doc);
  res.writeHead(status, {
    'Content-Type': 'application/x-amz-json-1.1',
    'Content-Length': Buffer.byteLength(text),
    'x-amzn-RequestId': randomUUID(),
  });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
