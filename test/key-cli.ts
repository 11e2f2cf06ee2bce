/**
 * Helpers for the key-provider end-to-end tests: the fake Vault and KMS serve from this process, so the
 * CLI runs asynchronously (runCli's spawnSync would block the servers), with the providers' settings.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliAsync, type Env } from './e2e.js';
import { type FakeKms, startFakeKms } from './fake-kms.js';
import { type FakeVault, startFakeVault } from './fake-vault.js';
import type { CliResult, Fixture } from './helpers.js';

/** `cairn ARGS`, asynchronously, with the fixture's environment plus `env` (undefined removes a variable). */
export { cliAsync as cli, type Env } from './e2e.js';

/** Runs and asserts the exit code, printing both streams when it differs. */
export async function ok(f: Fixture, args: readonly string[], env: Env = {}, code = 0): Promise<CliResult> {
  const r = await cliAsync(f, args, env);
  assert.equal(r.code, code, `cairn ${args.join(' ')}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
}

export interface Providers {
  readonly vault: FakeVault;
  readonly kms: FakeKms;
  /** VAULT_ADDR, VAULT_TOKEN, AWS credentials and region, CAIRN_KMS_ENDPOINT; no passphrase. */
  readonly env: Env;
  close(): Promise<void>;
}

export const NO_SECRET: Env = {
  CAIRN_PASSWORD: undefined,
  CAIRN_PASSWORD_FILE: undefined,
  CAIRN_KEY_FILE: undefined,
  CAIRN_KEY_PROVIDER: undefined,
};

export async function startProviders(): Promise<Providers> {
  const vault = await startFakeVault();
  const kms = await startFakeKms();
  return {
    vault,
    kms,
    env: {
      ...NO_SECRET,
      VAULT_ADDR: vault.url,
      VAULT_TOKEN: vault.token,
      VAULT_NAMESPACE: undefined,
      VAULT_CACERT: undefined,
      CAIRN_VAULT_TOKEN_FILE: undefined,
      AWS_ACCESS_KEY_ID: kms.accessKeyId,
      AWS_SECRET_ACCESS_KEY: kms.secretAccessKey,
      AWS_SESSION_TOKEN: undefined,
      AWS_REGION: kms.region,
      AWS_PROFILE: undefined,
      AWS_ENDPOINT_URL: undefined,
      AWS_ENDPOINT_URL_KMS: undefined,
      AWS_EC2_METADATA_DISABLED: 'true',
      CAIRN_KMS_ENDPOINT: kms.url,
    },
    async close() {
      await vault.close();
      await kms.close();
    },
  };
}

/** Every object under packs/, index/ and snapshots/ with its bytes, to prove a key change rewrote none. */
export function dataObjects(f: Fixture): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (rel: string) => {
    for (const e of readdirSync(join(f.repo, rel), { withFileTypes: true })) {
      const p = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(p);
      else out.set(p, readFileSync(join(f.repo, p)));
    }
  };
  for (const top of ['packs', 'index', 'snapshots']) walk(top);
  return out;
}

export interface ListedKey {
  id: string;
  kind: string;
  current: boolean;
  label?: string;
  kdf?: Record<string, unknown>;
  provider?: { name: string; key: string; address: string };
}

export async function listKeys(f: Fixture, env: Env): Promise<ListedKey[]> {
  return (await ok(f, ['key', 'list', '--json'], env)).json<{ keys: ListedKey[] }>().keys;
}
