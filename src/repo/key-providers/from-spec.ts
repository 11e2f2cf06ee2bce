import { CairnError } from '../../errors/index.js';
import { AwsKmsProvider } from './aws-kms.js';
import type { Env, KeyProvider } from './types.js';
import { VaultTransitProvider } from './vault-transit.js';

/**
 * `vault-transit:<key>` (or `<mount>/<key>`) or `aws-kms:<key id | key ARN | alias/name | alias ARN>`,
 * with the provider's settings from `env` (VAULT_ADDR, VAULT_TOKEN, …; AWS's own chain for KMS).
 */
export function keyProviderFromSpec(spec: string, env: Env): KeyProvider {
  const colon = spec.indexOf(':');
  const kind = colon > 0 ? spec.slice(0, colon) : '';
  const key = spec.slice(colon + 1);
  if (kind === 'vault-transit' && key) return VaultTransitProvider.fromEnv(key, env);
  if (kind === 'aws-kms' && key) return AwsKmsProvider.fromEnv(key, env);
  throw new CairnError(
    'CAIRN_E_USAGE',
    `key provider "${spec}" is not vault-transit:<key> or aws-kms:<key id, ARN or alias/name>`,
  );
}
