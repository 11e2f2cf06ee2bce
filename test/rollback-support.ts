/**
 * The rollback tests' world: a policy with a directory item, a command-target item and a feature-flag
 * item (an HTTP service run in the test process) bundled with it, and an item without a restore target.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A feature-flag service: GET /flags answers the flags, PUT /flags replaces them (204). */
export class FlagService {
  flags: string;
  puts = 0;
  /** While set, a PUT is taken in but never answered: `held` resolves when one arrives. */
  #hold: { arrived: () => void; requests: ServerResponse[] } | undefined;
  readonly server: Server;
  url = '';

  constructor(initial: unknown) {
    this.flags = `${JSON.stringify(initial, null, 2)}\n`;
    this.server = createServer((req, res) => void this.#handle(req, res));
  }

  async start(): Promise<this> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/flags`;
    return this;
  }

  /** From now on PUTs hang; the promise settles when the first one has arrived. */
  hold(): Promise<void> {
    return new Promise((resolve) => {
      this.#hold = { arrived: resolve, requests: [] };
    });
  }

  /** Drops the held requests and answers PUTs again. */
  release(): void {
    for (const res of this.#hold?.requests ?? []) res.destroy();
    this.#hold = undefined;
  }

  async stop(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    this.server.close();
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (req.url !== '/flags') {
      res.writeHead(404).end();
      return;
    }
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(this.flags);
      return;
    }
    if (req.method === 'PUT') {
      if (this.#hold) {
        this.#hold.requests.push(res);
        this.#hold.arrived();
        return;
      }
      const body = Buffer.concat(chunks).toString('utf8');
      try {
        JSON.parse(body);
      } catch {
        res.writeHead(400).end('not JSON');
        return;
      }
      this.puts++;
      this.flags = body;
      res.writeHead(204).end();
      return;
    }
    res.writeHead(405).end();
  }
}

export function rollbackPolicy(flagsUrl: string): string {
  return `version: 1
tiers:
  1: { keep: { last: 10 } }
environments:
  prod: { autoRollback: false }
  staging: {}
items:
  - name: app
    owner: app-team@example.com
    tier: 1
    environment: prod
    sources:
      - command: { run: "cat state/app.yaml", file: app.yaml, format: yaml }
    restore: { command: "cat > state/app.yaml" }
    bundleWith: [flags]
  - name: flags
    owner: flags-team@example.com
    tier: 1
    environment: prod
    sources:
      - http: { url: "${flagsUrl}", file: flags.json }
    restore: { http: { method: PUT, url: "${flagsUrl}" } }
    drift: { ignore: ["updatedAt"] }
  - name: conf
    owner: web-team@example.com
    tier: 1
    environment: prod
    sources:
      - files: { root: state/conf }
    restore: { directory: state/conf }
  - name: legacy
    owner: legacy-team@example.com
    tier: 1
    environment: staging
    sources:
      - files: { root: state/legacy }
`;
}

export const APP_V1 = 'replicas: 3\nimage: shop:1.0.0\n';
export const APP_V2 = 'replicas: 5\nimage: shop:2.0.0\n';
export const NGINX_V1 = 'worker_processes 4;\n';
export const NGINX_V2 = 'worker_processes 8;\n';
export const FLAGS_V1 = { newCheckout: false, banner: 'v1' };
export const FLAGS_V2 = { newCheckout: true, banner: 'v2' };
