// The corpus's world: environments, services and the per-environment values that make near-duplicates differ.
import { Rng } from './rng.js';

export const ENVIRONMENTS = ['prod', 'staging', 'dev', 'qa', 'perf', 'uat', 'dr', 'sandbox'] as const;
const EVERYWHERE = new Set(['prod', 'staging', 'dev']);

const DOMAINS = [
  'payments',
  'ledger',
  'billing',
  'invoice',
  'checkout',
  'cart',
  'catalog',
  'search',
  'auth',
  'identity',
  'user',
  'profile',
  'notification',
  'email',
  'sms',
  'push',
  'audit',
  'report',
  'analytics',
  'metrics',
  'gateway',
  'edge',
  'media',
  'image',
  'video',
  'upload',
  'storage',
  'backup',
  'scheduler',
  'queue',
  'events',
  'stream',
  'inventory',
  'pricing',
  'tax',
  'shipping',
  'order',
  'fulfillment',
  'returns',
  'fraud',
  'risk',
  'kyc',
  'compliance',
  'wallet',
  'card',
  'transfer',
  'fx',
  'loan',
  'account',
  'session',
  'token',
  'config',
  'flags',
  'experiment',
  'recommendation',
  'ranking',
  'ads',
  'campaign',
  'loyalty',
  'coupon',
  'review',
  'rating',
  'chat',
  'support',
  'ticket',
  'crm',
  'payroll',
  'expense',
  'procurement',
  'vendor',
  'contract',
  'document',
  'pdf',
  'ocr',
  'translation',
  'geo',
  'maps',
  'routing',
  'partner',
  'webhook',
  'integration',
  'sync',
  'import',
  'export',
  'etl',
  'warehouse',
  'feature-store',
  'model-serving',
  'dispute',
  'refund',
  'settlement',
  'reconciliation',
  'statement',
  'onboarding',
  'consent',
  'directory',
  'device',
  'telemetry',
  'pricing-engine',
  'quote',
  'subscription',
  'entitlement',
  'license',
  'usage',
  'metering',
  'rating-engine',
  'catalog-index',
  'content',
  'cms',
  'asset',
];
const ROLES = ['api', 'worker', 'service', 'consumer', 'gateway', 'sync', 'scheduler', 'web', 'admin'];
const TEAMS = ['core-banking', 'platform', 'growth', 'risk', 'data', 'commerce', 'identity', 'sre', 'finance-eng'];
const LANGS = ['java', 'node', 'go', 'python'] as const;

export interface Service {
  name: string;
  domain: string;
  team: string;
  lang: (typeof LANGS)[number];
  port: number;
  envs: string[];
  deps: string[];
  version: [number, number, number];
}

/** Service names in a fixed shuffled order, so a bigger corpus extends a smaller one. */
export function serviceNames(seed: number): string[] {
  const all = DOMAINS.flatMap((d) => ROLES.map((r) => `${d}-${r}`));
  const rng = Rng.of(seed, 'service-names');
  for (let i = all.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all;
}

export function makeService(seed: number, name: string): Service {
  const s = Rng.of(seed, 'service', name);
  const domain = name.replace(/-[a-z]+$/, '');
  return {
    name,
    domain,
    team: s.pick(TEAMS),
    lang: s.pick(LANGS),
    port: s.pick([8080, 8080, 8000, 3000, 9000, 8443]),
    envs: ENVIRONMENTS.filter((e) => EVERYWHERE.has(e) || s.chance(0.7)),
    deps: s.sample(DOMAINS, s.int(2, 6)).map((d) => `${d}-${s.pick(ROLES)}`),
    version: [s.int(1, 5), s.int(0, 40), s.int(0, 20)],
  };
}

/** The few values that differ between the same file in two environments. */
export interface EnvValues {
  env: string;
  prod: boolean;
  replicas: number;
  minReplicas: number;
  maxReplicas: number;
  cpuRequest: string;
  cpuLimit: string;
  memRequest: string;
  memLimit: string;
  host: string;
  domain: string;
  logLevel: string;
  region: string;
  cluster: string;
  account: string;
  imageTag: string;
  dbHost: string;
  cacheHost: string;
  brokers: string;
  sampleRate: number;
  cidr: string;
}

const REGIONS: Record<string, string> = { prod: 'eu-west-1', dr: 'eu-central-1', perf: 'us-east-1' };

export function envValues(seed: number, env: string, svc: Service): EnvValues {
  const v = Rng.of(seed, 'env', env, svc.name);
  const prod = env === 'prod' || env === 'dr';
  const big = prod || env === 'perf';
  const replicas = big ? v.int(3, 12) : env === 'staging' ? v.int(2, 3) : 1;
  const cpu = big ? v.pick([500, 1000, 2000]) : v.pick([100, 250]);
  const mem = big ? v.pick([1024, 2048, 4096]) : v.pick([256, 512]);
  const domain = prod ? 'acme.example' : `${env}.acme.internal`;
  const [major, minor, patch] = svc.version;
  const ahead = { prod: 0, dr: 0, staging: 1, uat: 1, perf: 1, qa: 2, dev: 3, sandbox: 3 }[env] ?? 2;
  const accountRng = Rng.of(seed, 'account', env);
  return {
    env,
    prod,
    replicas,
    minReplicas: Math.max(1, replicas - 1),
    maxReplicas: replicas * (big ? 4 : 2),
    cpuRequest: `${cpu}m`,
    cpuLimit: `${cpu * 2}m`,
    memRequest: `${mem}Mi`,
    memLimit: `${mem * 2}Mi`,
    host: `${svc.name}.${domain}`,
    domain,
    logLevel: prod ? 'warn' : env === 'dev' || env === 'sandbox' ? 'debug' : 'info',
    region: REGIONS[env] ?? 'eu-west-2',
    cluster: `${env}-${REGIONS[env] ?? 'eu-west-2'}-k8s`,
    account: String(accountRng.int(100000, 999999)) + String(accountRng.int(100000, 999999)),
    imageTag: `${major}.${minor + (ahead > 1 ? 1 : 0)}.${patch + ahead}`,
    dbHost: `${svc.domain}-db.${env}.rds.acme.internal`,
    cacheHost: `${svc.domain}-cache.${env}.redis.acme.internal`,
    brokers: [1, 2, 3].map((i) => `kafka-${i}.${env}.acme.internal:9092`).join(','),
    sampleRate: prod ? 0.05 : 1,
    cidr: `10.${{ prod: 10, dr: 11, staging: 20, uat: 21, perf: 30, qa: 40, dev: 50, sandbox: 60 }[env] ?? 70}.0.0/16`,
  };
}
