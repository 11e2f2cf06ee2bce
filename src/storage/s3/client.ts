import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import type { S3Settings } from './config.js';
import type { RequestCounter } from './request-counter.js';

export type S3Sdk = typeof import('@aws-sdk/client-s3');

let sdkPromise: Promise<S3Sdk> | undefined;

/** The SDK loads on first use: commands on local repositories never pay for it. */
export function loadSdk(): Promise<S3Sdk> {
  // The SDK warns on every start under Node < 22 about its own releases after January 2027; Cairn
  // supports Node 20, so on users' stderr that is noise (set the variable to false to see it).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  sdkPromise ??= import('@aws-sdk/client-s3');
  return sdkPromise;
}

/** Fallback when neither AWS_REGION nor a profile names one; RGW and MinIO accept any. */
export const defaultRegion = 'us-east-1';

/**
 * A client with Cairn's settings: standard retries with exponential backoff, checksums only where
 * S3 requires them (RGW 16 refuses the SDK's default aws-chunked trailers; Cairn sends Content-MD5
 * itself), bounded connect and idle timeouts, and every attempt counted.
 */
export async function createClient(
  settings: S3Settings,
  counter: RequestCounter,
  env: NodeJS.ProcessEnv = process.env,
): Promise<S3Client> {
  const sdk = await loadSdk();
  const config: S3ClientConfig = {
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    ...credentialsIn(env),
    ...(env !== process.env && env.AWS_REGION ? { region: env.AWS_REGION } : {}),
    forcePathStyle: settings.forcePathStyle,
    maxAttempts: settings.maxAttempts,
    retryMode: 'standard',
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: { connectionTimeout: 10_000, socketTimeout: 120_000 },
  };
  let client = new sdk.S3Client(config);
  try {
    await client.config.region();
  } catch {
    client.destroy();
    client = new sdk.S3Client({ ...config, region: defaultRegion });
  }
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const body = (args.request as { body?: unknown }).body;
      counter.request(context.commandName, body instanceof Uint8Array ? body.length : 0);
      return next(args);
    },
    // The deserialize step runs inside the retry loop: once per attempt.
    { step: 'deserialize', name: 'cairnRequestCounter', priority: 'low' },
  );
  return client;
}

/**
 * Keys in an environment other than the process's (tests, a replica's settings) are used as they
 * are; otherwise the SDK's default chain finds them (environment, then profile, SSO, instance role).
 */
function credentialsIn(env: NodeJS.ProcessEnv): Pick<S3ClientConfig, 'credentials'> {
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN } = env;
  if (env === process.env || !accessKeyId || !secretAccessKey) return {};
  return {
    credentials: { accessKeyId, secretAccessKey, ...(AWS_SESSION_TOKEN ? { sessionToken: AWS_SESSION_TOKEN } : {}) },
  };
}
