import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { CairnError } from '../../errors/index.js';
// The defaults alone, not the server's index: `serve` loads the server when it runs (see server/defaults.ts).
import { DEFAULT_HOST, DEFAULT_PORT } from '../../server/defaults.js';
import type { ServerRuntime } from '../../server/wire/index.js';

export interface ServeOptions {
  host?: string;
  port?: string;
  tlsCert?: string;
  tlsKey?: string;
  restoreRoot?: string[];
  metricsAnonymous?: boolean;
  bodyLimit?: string;
  trustProxy?: boolean;
  /** false with --no-scheduler. */
  scheduler?: boolean;
  /** false with --no-canary. */
  canary?: boolean;
}

export interface ServeSettings {
  readonly host: string;
  readonly port: number;
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
  readonly restoreRoots: readonly string[];
  readonly metricsAnonymous: boolean;
  readonly bodyLimit?: number;
  readonly trustProxy: boolean;
}

/** The flags of `cairn serve`, checked: a bad one is a usage error before anything is opened. */
export function serveSettings(opts: ServeOptions): ServeSettings {
  const port = wholeNumber(opts.port ?? String(DEFAULT_PORT), '--port', 0, 65_535);
  if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined))
    throw new CairnError('CAIRN_E_USAGE', 'HTTPS needs both --tls-cert and --tls-key');
  const restoreRoots = (opts.restoreRoot ?? []).map((dir) => {
    const abs = resolve(dir);
    if (!statSync(abs, { throwIfNoEntry: false })?.isDirectory())
      throw new CairnError('CAIRN_E_USAGE', `--restore-root ${dir} is not a folder on this server: create it first`);
    return abs;
  });
  return {
    host: opts.host ?? DEFAULT_HOST,
    port,
    ...(opts.tlsCert && opts.tlsKey ? { tls: { certFile: resolve(opts.tlsCert), keyFile: resolve(opts.tlsKey) } } : {}),
    restoreRoots,
    metricsAnonymous: opts.metricsAnonymous ?? false,
    ...(opts.bodyLimit ? { bodyLimit: wholeNumber(opts.bodyLimit, '--body-limit', 1, 2 ** 31) } : {}),
    trustProxy: opts.trustProxy ?? false,
  };
}

function wholeNumber(text: string, flag: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max)
    throw new CairnError('CAIRN_E_USAGE', `${flag} ${text} must be a whole number from ${min} to ${max}`);
  return n;
}

/** Where to look once the server listens: printed as JSON with --json. */
export function startupFacts(url: string, runtime: ServerRuntime, settings: ServeSettings, detectorSink: string) {
  return {
    url,
    healthz: `${url}/healthz`,
    readyz: `${url}/readyz`,
    api: `${url}/api/v1`,
    openapi: `${url}/api/v1/openapi.json`,
    metrics: `${url}/metrics`,
    metricsAnonymous: settings.metricsAnonymous,
    restoreRoots: settings.restoreRoots,
    repository: runtime.facts.repositoryId,
    catalog: runtime.facts.catalog,
    policy: runtime.facts.policyFile,
    auditSinks: runtime.facts.auditSinks,
    siemSinks: runtime.facts.auditSinks.filter((s) => s !== detectorSink),
    scheduler: runtime.facts.scheduler,
    canary: runtime.facts.canary,
    pid: process.pid,
    firstToken: 'cairn token create --name admin --role admin --expires 30d',
  };
}

export function startupText(f: ReturnType<typeof startupFacts>): string {
  const siem = f.siemSinks;
  return [
    `cairn serve: listening on ${f.url} (pid ${f.pid})`,
    `  repository ${f.repository.slice(0, 12)}, catalog ${f.catalog}, policy ${f.policy} (read again when it changes)`,
    `  health     ${f.healthz} and ${f.readyz}`,
    `  API        ${f.api}/…   OpenAPI: ${f.openapi}`,
    `  metrics    ${f.metrics}${f.metricsAnonymous ? '' : ' (a token with metrics.read)'}`,
    `  restores   ${f.restoreRoots.length ? `into ${f.restoreRoots.join(', ')} or` : 'only into'} an item's restore.directory`,
    `  schedules  ${f.scheduler ? `run here as replica ${f.scheduler} (cairn schedules)` : 'not run here (--no-scheduler)'}`,
    `  canary     ${f.canary ? 'a cairn-canary round every canary.every (GET /api/v1/canary)' : 'not run here (--no-canary)'}`,
    `  audit      ${siem.length ? `forwarded to ${siem.join(', ')}` : 'no SIEM sinks (governance.audit.siem)'}; anomalies watched`,
    '',
    'A first token: run here, against the same repository (it is shown once):',
    `  ${f.firstToken}`,
    `  curl -H "Authorization: Bearer $TOKEN" ${f.api}/snapshots`,
    'The log (JSON lines) is on stderr. Stop with Ctrl-C or SIGTERM.',
  ].join('\n');
}
