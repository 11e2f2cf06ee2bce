import { CairnError } from '../../errors/index.js';
import type { S3Settings } from './config.js';

/** What the SDK puts on the errors it throws (service errors and network errors alike). */
interface SdkError {
  readonly name?: string;
  readonly message?: string;
  readonly code?: string;
  readonly $metadata?: { readonly httpStatusCode?: number; readonly attempts?: number };
}

const networkCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

function sdk(err: unknown): SdkError {
  return typeof err === 'object' && err !== null ? (err as SdkError) : {};
}

export function httpStatus(err: unknown): number | undefined {
  return sdk(err).$metadata?.httpStatusCode;
}

/** A missing object (HEAD answers a bare 404, GET NoSuchKey); a missing bucket is not one. */
export function isMissingObject(err: unknown): boolean {
  const { name } = sdk(err);
  return name === 'NoSuchKey' || name === 'NotFound' || (httpStatus(err) === 404 && name !== 'NoSuchBucket');
}

/** The server's own WORM refusal: "forbidden by object lock" (RGW) / "Access Denied because object protected by object lock" (AWS). */
export function isObjectLockRefusal(err: unknown): boolean {
  return httpStatus(err) === 403 && /object lock/i.test(sdk(err).message ?? '');
}

export function endpointName(settings: S3Settings): string {
  return settings.endpoint ?? 'AWS S3';
}

/**
 * The error a user sees for a failed S3 request: it names the endpoint, the bucket, the operation
 * and the key, and says what to check. CairnErrors pass through unchanged.
 */
export function s3Failure(op: string, key: string, settings: S3Settings, err: unknown): CairnError {
  if (err instanceof CairnError) return err;
  const e = sdk(err);
  const status = e.$metadata?.httpStatusCode;
  const attempts = e.$metadata?.attempts;
  const endpoint = endpointName(settings);
  const target = key === '' ? `bucket ${settings.bucket}` : `${key} in bucket ${settings.bucket}`;
  const where = `${op} ${target} at ${endpoint}`;
  const details = {
    endpoint,
    bucket: settings.bucket,
    op,
    key,
    ...(status ? { status } : {}),
    ...(e.name ? { error: e.name } : {}),
    ...(attempts ? { attempts } : {}),
  };
  const reason = `${e.name ?? 'Error'}${e.message && e.message !== 'UnknownError' ? `: ${e.message}` : ''}`;
  if (e.name === 'InvalidAccessKeyId' || e.name === 'SignatureDoesNotMatch') {
    return new CairnError(
      'CAIRN_E_STORAGE_AUTH',
      `S3 refused the credentials (${e.name}) for ${where}: check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE`,
      details,
      { cause: err },
    );
  }
  if (e.name === 'NoSuchBucket') return noSuchBucket(settings, { cause: err });
  if (status === 403 && !isObjectLockRefusal(err)) {
    return new CairnError(
      'CAIRN_E_STORAGE_AUTH',
      `S3 denied access (HTTP 403${e.name && e.name !== 'Unknown' ? ` ${e.name}` : ''}) to ${where}: wrong credentials, or they lack permission on the bucket; check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE`,
      details,
      { cause: err },
    );
  }
  if ((e.code && networkCodes.has(e.code)) || e.name === 'TimeoutError' || (status !== undefined && status >= 500)) {
    const tries = attempts ? ` after ${attempts} attempt${attempts === 1 ? '' : 's'}` : '';
    const cause = e.code && !reason.includes(e.code) ? `${e.code}: ${reason}` : reason;
    return new CairnError(
      'CAIRN_E_STORAGE_UNAVAILABLE',
      `S3 endpoint ${endpoint} is unavailable: ${op} ${target} failed${tries} (${status ? `HTTP ${status} ` : ''}${cause}); check that it is up and reachable, then run the command again (CAIRN_S3_MAX_ATTEMPTS sets the attempts)`,
      details,
      { cause: err },
    );
  }
  if (e.name === 'BadDigest' || e.name === 'InvalidDigest' || e.name === 'XAmzContentSHA256Mismatch') {
    return new CairnError(
      'CAIRN_E_INTEGRITY',
      `S3 refused ${where}: the bytes it received changed in transit, they do not match the checksum sent with them (${e.name}); nothing was stored`,
      details,
      { cause: err },
    );
  }
  return new CairnError('CAIRN_E_STORAGE', `cannot ${where}: ${reason}${status ? ` (HTTP ${status})` : ''}`, details, {
    cause: err,
  });
}

export function noSuchBucket(settings: S3Settings, options?: ErrorOptions): CairnError {
  const endpoint = endpointName(settings);
  return new CairnError(
    'CAIRN_E_BUCKET',
    `bucket ${settings.bucket} does not exist at ${endpoint}; create it with versioning and Object Lock: cairn init ${settings.location} --create-bucket (for a replica: cairn replicate --to ${settings.location} --create-bucket)`,
    { endpoint, bucket: settings.bucket, missing: 'bucket' },
    options,
  );
}
