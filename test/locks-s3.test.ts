/**
 * The WORM scenarios of locks-support.ts on a real S3 server with Object Lock (Ceph RGW at
 * CAIRN_TEST_S3_ENDPOINT, default http://127.0.0.1:7480; the tests fail when it is not there).
 * Behind Cairn's back is the SDK with the same keys: PutObjectRetention in governance mode with
 * BypassGovernanceRetention, and PutObjectLegalHold OFF. A compliance lock cannot be weakened on S3
 * (the server refuses), so that case runs on the local backend only.
 */
import { PutObjectRetentionCommand } from '@aws-sdk/client-s3';
import { openStorage } from '../src/storage/index.js';
import { type Backend, wormSuite } from './locks-support.js';
import { createBucket, rawClient, s3Env } from './s3-support.js';

Object.assign(process.env, s3Env());
const PREFIX = 'repo/';
const buckets = new Map<unknown, string>();

const s3: Backend = {
  name: 'S3 Object Lock on Ceph RGW',
  async make() {
    const bucket = await createBucket({ tag: 'locks' });
    const storage = openStorage(`s3://${bucket}/${PREFIX.slice(0, -1)}`);
    buckets.set(storage, bucket);
    return storage;
  },
  async shorten(storage, key, until) {
    const client = rawClient();
    try {
      await client.send(
        new PutObjectRetentionCommand({
          Bucket: buckets.get(storage)!,
          Key: PREFIX + key,
          Retention: { Mode: 'GOVERNANCE', RetainUntilDate: until },
          BypassGovernanceRetention: true,
        }),
      );
    } finally {
      client.destroy();
    }
  },
};

wormSuite(s3, { hideLocks: true });
