import { CairnError } from '../../errors/index.js';

/**
 * Where an S3 repository is and how to reach it: the bucket and key prefix from `s3://bucket/prefix`,
 * the rest from the environment. Credentials and region are left to the AWS SDK's default chains
 * (AWS_ACCESS_KEY_ID…, AWS_PROFILE, ~/.aws/config), so they are not here.
 */
export interface S3Settings {
  readonly location: string;
  readonly bucket: string;
  /** "" or a prefix ending in "/", prepended to every storage key. */
  readonly prefix: string;
  /** A custom endpoint (RGW, MinIO…); undefined for AWS itself. */
  readonly endpoint: string | undefined;
  readonly forcePathStyle: boolean;
  /** Attempts per request, first one included, with exponential backoff between them. */
  readonly maxAttempts: number;
  /** A file that close() appends one JSON line of request counts to. */
  readonly requestLog: string | undefined;
}

export const defaultMaxAttempts = 5;

// Lower-case letters, digits, dots and hyphens, 3 to 63 long (the S3 rule, without the exotic cases).
const bucketName = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function isS3Location(location: string): boolean {
  return /^s3:\/\//i.test(location);
}

/** `s3://bucket`, `s3://bucket/prefix` or `s3://bucket/a/b/` → bucket and "a/b/". */
export function parseS3Location(location: string): { bucket: string; prefix: string } {
  const rest = location.replace(/^s3:\/\//i, '');
  const slash = rest.indexOf('/');
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  const path = slash === -1 ? '' : rest.slice(slash + 1).replace(/\/+$/, '');
  if (!bucketName.test(bucket)) {
    throw new CairnError(
      'CAIRN_E_USAGE',
      `invalid S3 location ${location}: "${bucket}" is not a bucket name (3-63 lower-case letters, digits, "." or "-"); use s3://bucket/prefix`,
      { location },
    );
  }
  const segments = path === '' ? [] : path.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new CairnError('CAIRN_E_USAGE', `invalid S3 location ${location}: the prefix has an empty or dot segment`, {
      location,
    });
  }
  return { bucket, prefix: segments.length === 0 ? '' : `${segments.join('/')}/` };
}

export function s3Settings(location: string, env: NodeJS.ProcessEnv = process.env): S3Settings {
  const { bucket, prefix } = parseS3Location(location);
  const endpoint =
    nonEmpty(env.CAIRN_S3_ENDPOINT) ?? nonEmpty(env.AWS_ENDPOINT_URL_S3) ?? nonEmpty(env.AWS_ENDPOINT_URL);
  if (endpoint !== undefined && !/^https?:\/\/[^/]/i.test(endpoint)) {
    throw new CairnError('CAIRN_E_USAGE', `invalid S3 endpoint ${endpoint}: use http(s)://host[:port]`, { endpoint });
  }
  return Object.freeze({
    location: `s3://${bucket}${prefix === '' ? '' : `/${prefix.slice(0, -1)}`}`,
    bucket,
    prefix,
    endpoint,
    forcePathStyle: flag(env, 'CAIRN_S3_PATH_STYLE') ?? endpoint !== undefined,
    maxAttempts: attempts(env.CAIRN_S3_MAX_ATTEMPTS),
    requestLog: nonEmpty(env.CAIRN_S3_REQUEST_LOG),
  });
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function flag(env: NodeJS.ProcessEnv, name: string): boolean | undefined {
  const value = nonEmpty(env[name]);
  if (value === undefined) return undefined;
  if (value === '1' || value === 'true') return true;
  if (value === '0' || value === 'false') return false;
  throw new CairnError('CAIRN_E_USAGE', `${name} must be 0 or 1, not ${JSON.stringify(value)}`, { [name]: value });
}

function attempts(value: string | undefined): number {
  const text = nonEmpty(value);
  if (text === undefined) return defaultMaxAttempts;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 20) {
    throw new CairnError('CAIRN_E_USAGE', `CAIRN_S3_MAX_ATTEMPTS must be an integer from 1 to 20, not ${text}`, {
      CAIRN_S3_MAX_ATTEMPTS: text,
    });
  }
  return n;
}
