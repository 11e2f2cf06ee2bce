// One random configuration shape, printed in every dialect a platform team keeps (YAML, JSON, .properties,
// .ini, .env, HCL), so the formats share vocabulary the way real configuration does.
import type { EnvValues, Service } from './model.js';
import type { Rng } from './rng.js';

/** `s` draws the shape and must be consumed identically in every environment; `v` is for per-environment noise. */
export interface Ctx {
  s: Rng;
  v: Rng;
  svc: Service;
  e: EnvValues;
}

export type Scalar = string | number | boolean;
export interface Tree {
  [key: string]: Scalar | Scalar[] | Tree;
}

export const SECTIONS = [
  'server',
  'database',
  'cache',
  'queue',
  'http',
  'grpc',
  'metrics',
  'tracing',
  'auth',
  'storage',
  'retry',
  'circuitBreaker',
  'rateLimit',
  'scheduler',
  'email',
  'search',
  'client',
  'pool',
  'health',
  'audit',
  'export',
  'upstream',
  'consumer',
  'producer',
  'session',
  'cors',
  'tls',
  'logging',
  'jobs',
  'webhooks',
];
const KEYS = [
  'timeout',
  'maxConnections',
  'poolSize',
  'idleTimeout',
  'retries',
  'backoff',
  'enabled',
  'host',
  'port',
  'url',
  'batchSize',
  'ttl',
  'threshold',
  'concurrency',
  'bufferSize',
  'interval',
  'maxRetries',
  'keepAlive',
  'compression',
  'region',
  'bucket',
  'topic',
  'queueName',
  'logLevel',
  'sampleRate',
  'path',
  'prefix',
  'window',
  'limit',
  'burst',
  'endpoint',
  'minIdle',
  'maxIdle',
  'readTimeout',
  'writeTimeout',
  'connectTimeout',
  'shutdownGrace',
  'workers',
  'maxBodySize',
  'allowedOrigins',
  'username',
  'password',
  'database',
  'schema',
  'partitions',
  'groupId',
];
const WORDS = ['orders', 'events', 'audit', 'exports', 'reports', 'invoices', 'receipts', 'snapshots', 'archive'];

/**
 * The banner a config repository's tooling stamps on its files. Environment-specific files name their
 * environment and last change; shared ones (scripts, variable declarations) are byte-identical everywhere.
 */
export function banner(c: Ctx, file: string, mark: string, shared: boolean): string {
  const { svc, e } = c;
  const v = shared ? c.s : c.v;
  const where = shared
    ? `all environments, cluster per environment`
    : `${e.cluster}, account ${e.account}, region ${e.region}`;
  return [
    `Copyright 2019-2025 Acme Payments Ltd. All rights reserved.`,
    `Acme Confidential: for internal use only. Do not copy or distribute outside Acme Payments Ltd.`,
    `and its subsidiaries without written permission from Legal. Classification: internal (DHS-4).`,
    ``,
    `Managed by platform-config; edit through a change request, not by hand.`,
    `Source:  git.acme.internal/platform/config//${shared ? '*' : e.env}/${svc.name}/${file}`,
    `Service: ${svc.name} (domain ${svc.domain}, team ${svc.team}, language ${svc.lang})`,
    `Owner:   ${svc.team}@acme.example; on-call rota https://oncall.acme.internal/teams/${svc.team}`,
    `Runbook: https://runbooks.acme.internal/${svc.domain}/${svc.name}`,
    `Cluster: ${where}`,
    `Last change: CHG-${v.int(10000, 99999)} (${2023 + v.int(0, 2)}-${String(v.int(1, 12)).padStart(2, '0')}-${String(v.int(1, 28)).padStart(2, '0')})`,
  ]
    .map((line) => `${mark} ${line}\n`)
    .join('');
}

export function scalar(key: string, c: Ctx): Scalar | Scalar[] {
  const { s, svc, e } = c;
  if (/timeout|interval|ttl|window|backoff|keepAlive|shutdownGrace|idle/i.test(key)) {
    return `${s.pick([1, 2, 5, 10, 15, 30, 60, 120, 300])}${s.pick(['s', 's', 'ms', 'm'])}`;
  }
  if (/enabled|compression/.test(key)) return s.chance(0.7);
  if (key === 'host') return `${s.pick(svc.deps)}.${e.domain}`;
  if (key === 'port') return s.pick([5432, 6379, 9092, 443, 8080, 9200, 5672]);
  if (key === 'url' || key === 'endpoint')
    return `https://${s.pick(svc.deps)}.${e.domain}/v${s.int(1, 3)}/${s.pick(WORDS)}`;
  if (key === 'region') return e.region;
  if (key === 'bucket') return `acme-${e.env}-${svc.domain}-${s.pick(WORDS)}`;
  if (key === 'topic' || key === 'queueName' || key === 'groupId')
    return `${svc.domain}.${s.pick(WORDS)}.v${s.int(1, 4)}`;
  if (key === 'logLevel') return e.logLevel;
  if (key === 'sampleRate') return e.sampleRate;
  if (key === 'threshold') return s.int(1, 99) / 100;
  if (key === 'path' || key === 'prefix') return `/var/lib/${svc.name}/${s.pick(WORDS)}`;
  if (key === 'allowedOrigins') return [`https://app.${e.domain}`, `https://admin.${e.domain}`];
  if (key === 'username') return `${svc.domain.replace(/-/g, '_')}_${s.pick(['app', 'rw', 'ro'])}`;
  if (key === 'password') return '${' + `${svc.domain.toUpperCase().replace(/-/g, '_')}_PASSWORD` + '}';
  if (key === 'database' || key === 'schema') return svc.domain.replace(/-/g, '_');
  return s.pick([1, 2, 4, 8, 16, 32, 64, 100, 128, 256, 500, 1000, 1024, 4096, 10000]);
}

/** Sections of keys; about one section in three nests a subsection. */
export function configTree(c: Ctx, sections: number, keysPerSection: [number, number], depth = 0): Tree {
  const tree: Tree = {};
  for (const section of c.s.sample(SECTIONS, sections)) {
    const node: Tree = {};
    const [lo, hi] = keysPerSection;
    for (const key of c.s.sample(KEYS, c.s.int(lo + 2, hi + 4))) node[key] = scalar(key, c);
    if (depth < 1 && c.s.chance(0.35)) node[c.s.pick(SECTIONS)] = configTree(c, 1, [2, 6], depth + 1);
    tree[section] = node;
  }
  return tree;
}

function quoted(v: Scalar): string {
  return typeof v === 'string' && !/^[\w./${}-]+$/.test(v) ? JSON.stringify(v) : String(v);
}

export function toYaml(tree: Tree, indent = ''): string {
  let out = '';
  for (const [k, v] of Object.entries(tree)) {
    if (Array.isArray(v)) out += `${indent}${k}:\n${v.map((x) => `${indent}  - ${quoted(x)}\n`).join('')}`;
    else if (typeof v === 'object') out += `${indent}${k}:\n${toYaml(v, `${indent}  `)}`;
    else out += `${indent}${k}: ${quoted(v)}\n`;
  }
  return out;
}

/** Dotted keys, for .properties, .ini and .env files. */
export function flatten(tree: Tree, prefix = ''): [string, string][] {
  return Object.entries(tree).flatMap(([k, v]): [string, string][] => {
    const key = prefix ? `${prefix}.${k}` : k;
    if (Array.isArray(v)) return [[key, v.join(',')]];
    if (typeof v === 'object') return flatten(v, key);
    return [[key, String(v)]];
  });
}

export function envName(dotted: string): string {
  return dotted
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .replace(/[.-]/g, '_')
    .toUpperCase();
}

export function toHcl(tree: Tree, indent = ''): string {
  let out = '';
  for (const [k, v] of Object.entries(tree)) {
    const key = envName(k).toLowerCase();
    if (Array.isArray(v)) out += `${indent}${key} = [${v.map((x) => JSON.stringify(x)).join(', ')}]\n`;
    else if (typeof v === 'object') out += `${indent}${key} = {\n${toHcl(v, `${indent}  `)}${indent}}\n`;
    else out += `${indent}${key} = ${JSON.stringify(v)}\n`;
  }
  return out;
}
