import type { KMSClient } from '@aws-sdk/client-kms';
import { CairnError } from '../../errors/index.js';
import {
  assertKek,
  type Env,
  type KeyBinding,
  type KeyProvider,
  networkReason,
  type ProviderRecord,
  providerError,
} from './types.js';

/** AWS KMS errors that mean "another key wrapped this", not "the provider refuses". */
const INCORRECT_KEY = new Set(['IncorrectKeyException']);

/**
 * AWS KMS through the SDK (Encrypt/Decrypt). The EncryptionContext binds each wrapped KEK to its
 * repository and key object, so KMS refuses it under any other name. Region and credentials come from
 * the SDK's chain; the endpoint from CAIRN_KMS_ENDPOINT or the SDK's own AWS_ENDPOINT_URL_KMS.
 * The SDK is loaded on first use, so commands that never ask KMS do not pay for it.
 */
export class AwsKmsProvider implements KeyProvider {
  readonly name = 'aws-kms' as const;
  #client: Promise<KMSClient> | undefined;
  #region: string | undefined;

  private constructor(
    readonly key: string,
    private readonly endpoint: string | undefined,
  ) {}

  static fromEnv(spec: string, env: Env): AwsKmsProvider {
    if (!/^(arn:aws[\w-]*:kms:[\w-]+:\d{12}:(key|alias)\/[\w/.+=,@-]+|alias\/[\w/.+=,@-]+|[\w-]+)$/.test(spec)) {
      throw new CairnError(
        'CAIRN_E_USAGE',
        `aws-kms:${spec} is not a KMS key id, key ARN, alias name (alias/…) or alias ARN`,
      );
    }
    return new AwsKmsProvider(spec, env.CAIRN_KMS_ENDPOINT || undefined);
  }

  get address(): string {
    const configured = this.endpoint ?? process.env.AWS_ENDPOINT_URL_KMS ?? process.env.AWS_ENDPOINT_URL;
    if (configured) return configured;
    return this.#region ? `https://kms.${this.#region}.amazonaws.com` : 'AWS KMS (region not yet known)';
  }

  matches(record: ProviderRecord): 'yes' | 'maybe' {
    // An alias or a bare id may name the key an ARN was recorded for: only KMS can say.
    return record.key === this.key || record.keyArn === this.key ? 'yes' : 'maybe';
  }

  async wrap(kek: Buffer, binding: KeyBinding): Promise<ProviderRecord> {
    const { EncryptCommand } = await import('@aws-sdk/client-kms');
    const client = await this.client('encrypt');
    const out = await this.send('encrypt', () =>
      client.send(
        new EncryptCommand({ KeyId: this.key, Plaintext: kek, EncryptionContext: encryptionContext(binding) }),
      ),
    );
    if (!out.CiphertextBlob) throw providerError(this, 'encrypt', 'the answer holds no CiphertextBlob');
    return {
      name: this.name,
      key: this.key,
      ...(out.KeyId ? { keyArn: out.KeyId } : {}),
      address: this.address,
      ...(this.#region ? { region: this.#region } : {}),
      ciphertext: Buffer.from(out.CiphertextBlob).toString('base64'),
    };
  }

  async unwrap(record: ProviderRecord, binding: KeyBinding): Promise<Buffer> {
    const { DecryptCommand } = await import('@aws-sdk/client-kms');
    const client = await this.client('decrypt');
    const out = await this.send('decrypt', () =>
      client.send(
        new DecryptCommand({
          KeyId: this.key,
          CiphertextBlob: Buffer.from(record.ciphertext, 'base64'),
          EncryptionContext: encryptionContext(binding),
        }),
      ),
    );
    if (!out.Plaintext) throw providerError(this, 'decrypt', 'the answer holds no Plaintext');
    return assertKek(this, Buffer.from(out.Plaintext));
  }

  private client(op: 'encrypt' | 'decrypt'): Promise<KMSClient> {
    this.#client ??= (async () => {
      // Cairn supports Node 20; the SDK's notice about its own future Node versions is not the user's business.
      process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
      const { KMSClient } = await import('@aws-sdk/client-kms');
      const client = new KMSClient({
        ...(this.endpoint ? { endpoint: this.endpoint } : {}),
        maxAttempts: 3,
        requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000 },
      });
      return client;
    })();
    return this.#client.then(async (client) => {
      if (this.#region === undefined) {
        try {
          this.#region = await client.config.region();
        } catch (err) {
          throw providerError(this, op, `no AWS region (set AWS_REGION or a profile): ${networkReason(err)}`);
        }
      }
      return client;
    });
  }

  private async send<T>(op: 'encrypt' | 'decrypt', call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
      const status = e.$metadata?.httpStatusCode;
      if (status === undefined) {
        const what = e.name === 'CredentialsProviderError' ? 'no AWS credentials' : 'KMS is unreachable';
        throw providerError(this, op, `${what} (${networkReason(err)})`);
      }
      const type = e.name ?? 'Error';
      const said = e.message && e.message !== 'UnknownError' ? `${type}: ${e.message}` : type;
      if (INCORRECT_KEY.has(type)) {
        throw new CairnError('CAIRN_E_WRONG_KEY', `${this.name} key "${this.key}" did not wrap this key: ${said}`);
      }
      const hint =
        type === 'InvalidCiphertextException'
          ? ' (the wrapped key or its encryption context — repository and key object id — was changed, or it belongs elsewhere)'
          : '';
      throw providerError(this, op, `KMS answered HTTP ${status}: ${said}${hint}`, {
        status,
        providerMessage: said,
      });
    }
  }
}

/** The AAD KMS binds to the ciphertext: the same pair must be given to decrypt. */
export function encryptionContext(binding: KeyBinding): Record<string, string> {
  return { 'cairn:repository': binding.repository, 'cairn:key': binding.keyObject };
}
