import type { S3Client } from '@aws-sdk/client-s3';
import { CairnError } from '../../errors/index.js';
import { createClient, loadSdk, type S3Sdk } from './client.js';
import { type S3Settings, s3Settings } from './config.js';
import { endpointName, httpStatus, noSuchBucket, s3Failure } from './errors.js';
import { RequestCounter } from './request-counter.js';

export interface BucketReport {
  readonly bucket: string;
  readonly endpoint: string;
  /** True when this call created the bucket. */
  readonly created: boolean;
}

/**
 * Makes sure the bucket of an s3:// location can hold a WORM repository: it exists, versioning is
 * Enabled, Object Lock is Enabled, and there is no default retention rule (objects Cairn writes
 * without retention, such as locks/, must stay deletable). With create, a missing bucket is created
 * with Object Lock (which turns versioning on). An existing bucket is never changed.
 */
export async function prepareS3Bucket(
  location: string,
  opts: { create?: boolean } = {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<BucketReport> {
  const settings = s3Settings(location, env);
  const counter = new RequestCounter();
  const sdk = await loadSdk();
  const client = await createClient(settings, counter, env);
  try {
    const created = await ensureExists(client, sdk, settings, opts.create === true);
    const missing = await missingFeatures(client, sdk, settings);
    if (missing.length > 0) throw unfit(settings, missing);
    return { bucket: settings.bucket, endpoint: endpointName(settings), created };
  } finally {
    client.destroy();
    counter.flush(settings.requestLog, settings.location);
  }
}

async function ensureExists(client: S3Client, sdk: S3Sdk, settings: S3Settings, create: boolean): Promise<boolean> {
  const Bucket = settings.bucket;
  try {
    await client.send(new sdk.HeadBucketCommand({ Bucket }));
    return false;
  } catch (err) {
    if (httpStatus(err) !== 404) throw s3Failure('check', '', settings, err);
  }
  if (!create) throw noSuchBucket(settings);
  const region = await client.config.region();
  try {
    await client.send(
      new sdk.CreateBucketCommand({
        Bucket,
        ObjectLockEnabledForBucket: true,
        ...(region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: region as never } }),
      }),
    );
    return true;
  } catch (err) {
    // Created meanwhile by another init: the checks that follow decide.
    if ((err as { name?: string }).name === 'BucketAlreadyOwnedByYou') return false;
    throw s3Failure('create', '', settings, err);
  }
}

async function missingFeatures(client: S3Client, sdk: S3Sdk, settings: S3Settings): Promise<string[]> {
  const Bucket = settings.bucket;
  const missing: string[] = [];
  try {
    const versioning = await client.send(new sdk.GetBucketVersioningCommand({ Bucket }));
    if (versioning.Status !== 'Enabled') missing.push(`versioning is ${versioning.Status ?? 'not enabled'}`);
  } catch (err) {
    throw s3Failure('check versioning of', '', settings, err);
  }
  try {
    const lock = await client.send(new sdk.GetObjectLockConfigurationCommand({ Bucket }));
    const config = lock.ObjectLockConfiguration;
    if (config?.ObjectLockEnabled !== 'Enabled') missing.push('Object Lock is not enabled');
    const rule = config?.Rule?.DefaultRetention;
    if (rule) {
      const span = rule.Days ? `${rule.Days} days` : `${rule.Years} years`;
      missing.push(
        `it has a default retention rule (${rule.Mode} ${span}) that would lock every object, lock files included; remove the rule (Cairn sets retention per object)`,
      );
    }
  } catch (err) {
    const name = (err as { name?: string }).name;
    if (name === 'ObjectLockConfigurationNotFoundError' || httpStatus(err) === 404) {
      missing.push('Object Lock is not enabled');
    } else {
      throw s3Failure('check Object Lock of', '', settings, err);
    }
  }
  return missing;
}

function unfit(settings: S3Settings, missing: string[]): CairnError {
  const endpoint = endpointName(settings);
  return new CairnError(
    'CAIRN_E_BUCKET',
    `bucket ${settings.bucket} at ${endpoint} cannot hold a WORM repository: ${missing.join('; ')}. Object Lock can only be turned on when a bucket is created on most servers: use a new bucket, e.g. cairn init s3://NEW-BUCKET/${settings.prefix} --create-bucket (see docs/S3.md)`,
    { endpoint, bucket: settings.bucket, missing },
  );
}
