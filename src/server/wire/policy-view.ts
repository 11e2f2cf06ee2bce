import { isSecretKey } from '../../audit/index.js';
import { isCairnError } from '../../errors/index.js';
import { redactEndpoint } from '../../notify/index.js';
import { loadPolicy, type Policy, type PolicyIssue } from '../../policy/index.js';
import type { PolicyCheckResult } from '../backend.js';

/**
 * The policy as `GET /api/v1/policy` shows it: everything but secrets. Webhook URLs carry their
 * secret in the path (Slack's do), so alert sinks show scheme and host only; anywhere else (items'
 * later-issue sections are kept as parsed) a field named like a secret is blanked and a password in
 * a URL becomes `***`. Names of environment variables (`tokenEnv`) and an item's `secrets` mode stay.
 */
export function policyView(policy: Policy): Record<string, unknown> {
  const alertSinks = policy.alertSinks.map((sink) =>
    'url' in sink && typeof sink.url === 'string' ? { ...sink, url: redactEndpoint(sink.url) } : sink,
  );
  return withoutSecrets({ ...policy, alertSinks }) as Record<string, unknown>;
}

function withoutSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (typeof value === 'string') return value.replace(/(\/\/[^/:@\s]*:)[^@/\s]+@/g, '$1***@');
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => [key, isSecretKey(key) && !kept(key) ? '[REDACTED]' : withoutSecrets(v)]),
  );
}

function kept(key: string): boolean {
  return key === 'secrets' || key.endsWith('Env');
}

/** `cairn policy check --json` for the server's policy file, as the file is now. */
export async function checkPolicyFile(file: string): Promise<PolicyCheckResult> {
  try {
    const { policy: p, issues } = await loadPolicy(file);
    const tiers = Object.keys(p.tiers).length;
    return { valid: true, file, items: p.items.length, tiers, exceptions: p.exceptions.length, issues };
  } catch (err) {
    if (!isCairnError(err, 'CAIRN_E_POLICY_INVALID')) throw err;
    return { valid: false, file, issues: (err.details?.issues as PolicyIssue[] | undefined) ?? [] };
  }
}
