/**
 * Shared by the end-to-end tests of `cairn replicate` and `cairn repair`: a policy with a tier that
 * replicates, what a restored folder holds, checks on a replica's files, and a bucket with Object
 * Lock on the test S3 server (CAIRN_TEST_S3_ENDPOINT; a server that is not there fails the test).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { assertNoStackTrace, snapshotOfDir } from './craft.js';
import type { CliResult, Fixture } from './helpers.js';

export interface ReplicateJson {
  ok: boolean;
  from: string;
  to: string;
  repository: string;
  objects: number;
  alreadyThere: number;
  copied: number;
  copiedBytes: number;
  copiedByKind: Record<string, number>;
  locksRaised: number;
  verified: { objects: number; bytes: number; readMs: number; writeMs: number; verifyMs: number };
  heldBack: Array<{ key: string; code: string; message: string }>;
  failed: Array<{ key: string; code: string; message: string }>;
}

/** Tier 0 (app-prod) is locked for 30 days in compliance mode and replicates; tier 2 (app-dev) neither. */
export function replicaPolicy(to?: string): string {
  return `version: 1
governance:
  retentionClasses:
    short: { keep: 0d }
    month: { keep: 30d }
tiers:
  0:
    retentionClass: month
    lock: { mode: compliance, for: 30d }
    keep: { last: 10 }
    replicate: true
  2:
    retentionClass: short
    keep: { last: 10 }
environments:
  prod: {}
  dev: {}
${to ? `replication:\n  to: ${to}\n` : ''}items:
  - name: app-prod
    owner: team@example.com
    tier: 0
    environment: prod
    sources:
      - files: { root: src/prod }
  - name: app-dev
    owner: team@example.com
    tier: 2
    environment: dev
    sources:
      - files: { root: src/dev }
`;
}

export function replicate(f: Fixture, args: readonly string[], env: Record<string, string> = {}) {
  const r = f.cli(['replicate', '--json', ...args], { env });
  assertNoStackTrace(r.stderr);
  return { r, result: r.json<ReplicateJson>() };
}

/** Type, bytes and link target of everything under a folder (what a restore must reproduce). */
export function contentOf(root: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [path, e] of snapshotOfDir(root)) out.set(path, `${e.type}:${e.content ?? e.target ?? ''}`);
  return out;
}

/** Every object file of a local repository, relative to it (temporary files and sidecars aside). */
export function objectFilesOf(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(root, p));
    }
  };
  if (existsSync(root)) walk(root);
  return out.filter((k) => !/^(tmp|retention|locks)\//.test(k)).sort();
}

/** Each content-addressed object of a local repository hashes to its name: nothing half-written. */
export function assertWholeObjects(root: string): void {
  for (const key of objectFilesOf(root)) {
    const m = /^(?:packs\/[0-9a-f]{2}|index|snapshots|verifications)\/([0-9a-f]{64})$/.exec(key);
    if (!m) continue;
    const digest = createHash('sha256')
      .update(readFileSync(join(root, key)))
      .digest('hex');
    assert.equal(digest, m[1], `${key} in ${root} is not whole`);
  }
}

export function assertExitCode(r: CliResult, code: number): void {
  assert.equal(r.code, code, `expected exit ${code}, got ${r.code}:\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
}

// --- S3 -------------------------------------------------------------------------------------------

export const S3_ENDPOINT = process.env.CAIRN_TEST_S3_ENDPOINT ?? 'http://127.0.0.1:7480';

/** What the CLI needs to reach the test server. */
export const S3_ENV: Readonly<Record<string, string>> = Object.freeze({
  CAIRN_S3_ENDPOINT: S3_ENDPOINT,
  AWS_ACCESS_KEY_ID: process.env.CAIRN_TEST_S3_ACCESS_KEY ?? 'TESTKEY',
  AWS_SECRET_ACCESS_KEY: process.env.CAIRN_TEST_S3_SECRET_KEY ?? 'TESTSECRET',
  AWS_REGION: 'us-east-1',
});

export function s3Client(): S3Client {
  return new S3Client({
    endpoint: S3_ENDPOINT,
    region: S3_ENV.AWS_REGION!,
    credentials: { accessKeyId: S3_ENV.AWS_ACCESS_KEY_ID!, secretAccessKey: S3_ENV.AWS_SECRET_ACCESS_KEY! },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1,
  });
}

/** A new bucket with Object Lock (and so versioning), unique to this test. */
export async function newLockedBucket(client: S3Client, label: string): Promise<string> {
  const bucket = `cairn-${label}-${randomBytes(5).toString('hex')}`;
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true }));
  } catch (err) {
    throw new Error(`the S3 server at ${S3_ENDPOINT} is not usable (set CAIRN_TEST_S3_ENDPOINT): ${String(err)}`);
  }
  return bucket;
}

/** Makes the in-process storage layer (openStorage) reach the test server too. */
export function useS3InProcess(): void {
  Object.assign(process.env, S3_ENV);
}
