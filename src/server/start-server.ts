import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { CairnError, errnoCode } from '../errors/index.js';
import { buildServer } from './build-server.js';
import { DEFAULT_HOST, DEFAULT_PORT } from './defaults.js';
import type { ServerDeps } from './deps.js';
import type { ServerOptions } from './options.js';

export interface StartOptions extends Omit<ServerOptions, 'tls'> {
  /** Default 127.0.0.1: reachable from this machine only until told otherwise. */
  readonly host?: string;
  /** Default 8420; 0 picks a free port. */
  readonly port?: number;
  /** PEM files of the certificate chain and its key: HTTPS instead of HTTP. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
  /** Close gracefully on SIGTERM and SIGINT (default true). */
  readonly handleSignals?: boolean;
}

export interface RunningServer {
  readonly app: FastifyInstance;
  /** e.g. `http://127.0.0.1:8420`. */
  readonly address: string;
  /** Stops accepting connections and waits for requests in flight. */
  close(): Promise<void>;
}

/** `cairn serve`: builds the server and listens; SIGTERM/SIGINT close it gracefully. */
export async function startServer(deps: ServerDeps, options: StartOptions = {}): Promise<RunningServer> {
  const { host = DEFAULT_HOST, port = DEFAULT_PORT, tls, handleSignals = true, ...rest } = options;
  const app = await buildServer(deps, {
    ...rest,
    ...(tls ? { tls: { cert: readPem(tls.certFile, 'certificate'), key: readPem(tls.keyFile, 'key') } } : {}),
  });
  const onSignal = (signal: NodeJS.Signals) => {
    app.log.info({ signal }, 'closing: no new connections, finishing requests in flight');
    app.close().catch((err: unknown) => app.log.error({ err }, 'close failed'));
  };
  app.addHook('onClose', async () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  });
  const address = await app.listen({ host, port });
  if (handleSignals) {
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
  return { app, address, close: () => app.close() };
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new CairnError(
      'CAIRN_E_USAGE',
      `the TLS ${what} file ${path} cannot be read (${errnoCode(err) ?? String(err)})`,
    );
  }
}
