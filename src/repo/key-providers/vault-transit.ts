import { readFileSync } from 'node:fs';
import { CairnError, errnoCode } from '../../errors/index.js';
import {
  assertKek,
  type Env,
  type KeyBinding,
  type KeyProvider,
  networkReason,
  type ProviderRecord,
  providerError,
} from './types.js';
import { type HttpAnswer, postJson } from './vault-http.js';

/**
 * HashiCorp Vault's Transit engine: POST /v1/<mount>/encrypt/<key> and /decrypt/<key> with the token in
 * X-Vault-Token and the namespace in X-Vault-Namespace; plaintext travels base64, ciphertext comes back
 * as `vault:v<N>:…`, errors as {"errors": [...]}. Settings come from Vault's own variables.
 */
export class VaultTransitProvider implements KeyProvider {
  readonly name = 'vault-transit' as const;
  readonly address: string;

  private constructor(
    readonly key: string,
    private readonly mount: string,
    private readonly vaultAddr: string,
    private readonly token: string,
    private readonly namespace: string | undefined,
    private readonly ca: Buffer | undefined,
  ) {
    this.address = `${vaultAddr}/v1/${namespace ? `${namespace}/` : ''}${mount}`;
  }

  /** `name` or `mount/path/name` (Transit key names hold no slash); the rest from VAULT_* variables. */
  static fromEnv(spec: string, env: Env): VaultTransitProvider {
    const slash = spec.lastIndexOf('/');
    const key = spec.slice(slash + 1);
    const mount = slash >= 0 ? spec.slice(0, slash).replace(/^\/+|\/+$/g, '') : 'transit';
    if (!/^[\w.-]+$/.test(key) || !mount) {
      throw new CairnError(
        'CAIRN_E_USAGE',
        `vault-transit:${spec} does not name a Transit key (e.g. vault-transit:cairn)`,
      );
    }
    const addr = env.VAULT_ADDR?.replace(/\/+$/, '');
    if (!addr || !/^https?:\/\/./.test(addr)) {
      throw new CairnError('CAIRN_E_NO_SECRET', 'vault-transit needs VAULT_ADDR (e.g. https://vault.internal:8200)');
    }
    const tokenFile = env.CAIRN_VAULT_TOKEN_FILE;
    const token = tokenFile ? readSetting(tokenFile, 'CAIRN_VAULT_TOKEN_FILE').trim() : env.VAULT_TOKEN?.trim();
    if (!token) {
      throw new CairnError(
        'CAIRN_E_NO_SECRET',
        'vault-transit needs a token: set VAULT_TOKEN or CAIRN_VAULT_TOKEN_FILE',
      );
    }
    const ca = env.VAULT_CACERT ? Buffer.from(readSetting(env.VAULT_CACERT, 'VAULT_CACERT')) : undefined;
    return new VaultTransitProvider(key, mount, addr, token, env.VAULT_NAMESPACE || undefined, ca);
  }

  matches(record: ProviderRecord): 'yes' | 'no' {
    return record.key === this.key && (record.mount ?? 'transit') === this.mount ? 'yes' : 'no';
  }

  async wrap(kek: Buffer, _binding: KeyBinding): Promise<ProviderRecord> {
    const data = await this.call('encrypt', { plaintext: kek.toString('base64') });
    const ciphertext = data.ciphertext;
    if (typeof ciphertext !== 'string' || !ciphertext.startsWith('vault:v')) {
      throw providerError(this, 'encrypt', 'the answer holds no vault:v… ciphertext');
    }
    return {
      name: this.name,
      key: this.key,
      mount: this.mount,
      address: this.vaultAddr,
      ...(this.namespace ? { namespace: this.namespace } : {}),
      ciphertext,
    };
  }

  async unwrap(record: ProviderRecord, _binding: KeyBinding): Promise<Buffer> {
    const data = await this.call('decrypt', { ciphertext: record.ciphertext });
    if (typeof data.plaintext !== 'string') throw providerError(this, 'decrypt', 'the answer holds no plaintext');
    return assertKek(this, Buffer.from(data.plaintext, 'base64'));
  }

  private async call(op: 'encrypt' | 'decrypt', body: object): Promise<Record<string, unknown>> {
    const url = new URL(`${this.vaultAddr}/v1/${this.mount}/${op}/${encodeURIComponent(this.key)}`);
    const headers: Record<string, string> = { 'X-Vault-Token': this.token, 'X-Vault-Request': 'true' };
    if (this.namespace) headers['X-Vault-Namespace'] = this.namespace;
    let answer: HttpAnswer | undefined;
    // One retry after a network failure: a kept-alive connection the server has just closed fails once.
    for (let attempt = 1; !answer; attempt++) {
      try {
        answer = await postJson(url, headers, body, this.ca);
      } catch (err) {
        if (attempt >= 2) throw providerError(this, op, `Vault is unreachable (${networkReason(err)})`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    let doc: { data?: Record<string, unknown>; errors?: unknown } | undefined;
    try {
      doc = JSON.parse(answer.body) as typeof doc;
    } catch {
      doc = undefined;
    }
    if (answer.status >= 400 || !doc?.data) {
      const errors = Array.isArray(doc?.errors) ? doc.errors.map(String).filter(Boolean) : [];
      const said = errors.length > 0 ? errors.join('; ') : answer.body.slice(0, 200) || 'no error text';
      throw providerError(this, op, `Vault answered HTTP ${answer.status}: ${said}`, {
        status: answer.status,
        providerMessage: said,
      });
    }
    return doc.data;
  }
}

function readSetting(path: string, name: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new CairnError('CAIRN_E_NO_SECRET', `${name} ${path} cannot be read (${errnoCode(err) ?? String(err)})`);
  }
}
