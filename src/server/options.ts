import type { DestinationStream } from 'pino';

/** How buildServer is configured; every field has a safe default. */
export interface ServerOptions {
  /** Largest request body accepted, in bytes (default 1 MiB); larger ones get 413 CAIRN_E_TOO_LARGE. */
  readonly bodyLimit?: number;
  /** Serve /metrics without a token (default false: a token with metrics.read is needed). */
  readonly metricsAnonymous?: boolean;
  /**
   * Folders a restore may write into or below (absolute, server-side). Besides these, only the
   * item's own `restore.directory`. None by default: then only `restore.directory` is allowed.
   */
  readonly restoreRoots?: readonly string[];
  /** Failed authentications per client IP before it gets 429 for the rest of the window (10 per minute). */
  readonly authFailures?: { readonly max: number; readonly windowMs: number };
  /** A limit on all requests per client IP (@fastify/rate-limit); off by default. Health routes are exempt. */
  readonly requestRateLimit?: { readonly max: number; readonly windowMs: number };
  /** Fastify's trustProxy: believe X-Forwarded-For (off by default; set it behind a reverse proxy). */
  readonly trustProxy?: boolean | string | readonly string[];
  /** Logging (pino, JSON lines): level (default info) and destination (default stdout); false for none. */
  readonly logger?: false | { readonly level?: string; readonly stream?: DestinationStream };
  /** The version the OpenAPI document states. */
  readonly version?: string;
  /** Serve HTTPS with this certificate chain and key (PEM); plain HTTP without. */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
}

export interface ResolvedOptions {
  readonly bodyLimit: number;
  readonly metricsAnonymous: boolean;
  readonly restoreRoots: readonly string[];
  readonly authFailures: { readonly max: number; readonly windowMs: number };
  readonly requestRateLimit: { readonly max: number; readonly windowMs: number } | undefined;
  readonly trustProxy: boolean | string | readonly string[];
  readonly logger: ServerOptions['logger'];
  readonly version: string;
  readonly tls: ServerOptions['tls'];
}

export const DEFAULT_BODY_LIMIT = 1024 * 1024;

export function resolveOptions(options: ServerOptions = {}): ResolvedOptions {
  return Object.freeze({
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    metricsAnonymous: options.metricsAnonymous ?? false,
    restoreRoots: Object.freeze([...(options.restoreRoots ?? [])]),
    authFailures: options.authFailures ?? { max: 10, windowMs: 60_000 },
    requestRateLimit: options.requestRateLimit,
    trustProxy: options.trustProxy ?? false,
    logger: options.logger ?? {},
    version: options.version ?? '0.0.0',
    tls: options.tls,
  });
}
