// Generates the benchmark's configuration corpus: environments × services × config files, plus a few big
// Terraform state files. Deterministic for a given --seed; see BENCHMARKS.md for the shape.
//   node --import tsx bench/corpus.ts --out DIR [--files 50000] [--seed 1] [--scale 1]
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { banner, type Ctx } from './lib/config-tree.js';
import { envValues, makeService, type Service, serviceNames } from './lib/model.js';
import { Rng } from './lib/rng.js';
import * as app from './lib/templates-app.js';
import * as infra from './lib/templates-infra.js';
import * as k8s from './lib/templates-k8s.js';
import { writeTfState } from './lib/tfstate.js';

interface Kind {
  path: string | ((svc: Service) => string);
  make: (c: Ctx) => string;
  /** Probability that a service has this file; 1 = every service. */
  p: number;
  lang?: Service['lang'][];
  /** Comment marker for the repository banner; JSON cannot carry one. */
  mark?: string;
  /** The same bytes in every environment. */
  shared?: boolean;
}

const KINDS: Kind[] = [
  { path: 'k8s/deployment.yaml', make: k8s.deployment, p: 1 },
  { path: 'k8s/service.yaml', make: k8s.service, p: 1 },
  { path: 'k8s/configmap.yaml', make: k8s.configmap, p: 1 },
  { path: 'k8s/hpa.yaml', make: k8s.hpa, p: 0.7 },
  { path: 'k8s/networkpolicy.yaml', make: k8s.networkpolicy, p: 1 },
  { path: 'k8s/kustomization.yaml', make: k8s.kustomization, p: 0.4 },
  { path: 'k8s/ingress.yaml', make: k8s.ingress, p: 0.6 },
  { path: 'k8s/prometheus-rules.yaml', make: k8s.alertRules, p: 0.5 },
  { path: 'helm/values.yaml', make: k8s.helmValues, p: 1 },
  { path: 'helm/Chart.yaml', make: k8s.chart, p: 0.5, shared: true },
  { path: '.env', make: app.dotenv, p: 1 },
  { path: 'config/app.json', make: app.appJson, p: 1, mark: '' },
  { path: 'config/logging.json', make: app.loggingJson, p: 0.5, mark: '' },
  { path: 'config/features.json', make: app.featuresJson, p: 0.6, mark: '' },
  { path: 'config/application.properties', make: app.properties, p: 0.9, lang: ['java'] },
  { path: 'config/logback.xml', make: app.logback, p: 0.9, lang: ['java'], mark: '' },
  { path: 'config/settings.ini', make: app.ini, p: 0.8, lang: ['python', 'go'], mark: ';' },
  { path: (svc) => `dashboards/${svc.name}.json`, make: app.dashboard, p: 0.5, mark: '' },
  { path: 'ci/pipeline.yaml', make: app.pipeline, p: 0.8 },
  { path: 'terraform/main.tf', make: infra.tfMain, p: 0.8 },
  { path: 'terraform/variables.tf', make: infra.tfVariables, p: 0.8, shared: true },
  { path: 'terraform/backend.tf', make: infra.tfBackend, p: 0.5 },
  { path: 'terraform/terraform.tfvars', make: infra.tfvars, p: 0.8 },
  { path: 'nginx/nginx.conf', make: infra.nginxConf, p: 0.4 },
  { path: (svc) => `nginx/conf.d/${svc.name}.conf`, make: infra.nginxSite, p: 0.5 },
  { path: 'scripts/deploy.sh', make: infra.deployScript, p: 1, shared: true },
  { path: 'scripts/healthcheck.sh', make: infra.healthcheck, p: 0.3, shared: true },
  { path: 'scripts/rollback.sh', make: infra.rollback, p: 0.3, shared: true },
];

/** Sixteen platform stacks; their state files are the 5–50 MB giants. */
const STACKS: [string, string][] = [
  ['prod', 'network'],
  ['prod', 'eks'],
  ['prod', 'rds'],
  ['prod', 'iam'],
  ['prod', 'dns'],
  ['prod', 'monitoring'],
  ['staging', 'network'],
  ['staging', 'eks'],
  ['staging', 'rds'],
  ['staging', 'iam'],
  ['dev', 'network'],
  ['dev', 'eks'],
  ['qa', 'eks'],
  ['perf', 'eks'],
  ['dr', 'network'],
  ['dr', 'rds'],
];
function withBanner(text: string, mark: string, make: () => string): string {
  if (!mark) return text;
  if (!text.startsWith('#!')) return make() + text;
  const eol = text.indexOf('\n') + 1;
  return text.slice(0, eol) + make() + text.slice(eol);
}

const REFERENCE_FILES = 50_000;
const MB = 1_000_000;

function main(): void {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      files: { type: 'string', default: String(REFERENCE_FILES) },
      seed: { type: 'string', default: '1' },
      scale: { type: 'string', default: '1' },
    },
  });
  if (!values.out) throw new Error('usage: corpus.ts --out DIR [--files 50000] [--seed 1] [--scale 1]');
  const out = values.out;
  const seed = Number(values.seed);
  // --scale multiplies the file count; the state files shrink with it so a smoke corpus stays small.
  const total = Math.round(Number(values.files) * Number(values.scale));
  const ratio = total / REFERENCE_FILES;
  const states = STACKS.slice(0, Math.min(STACKS.length, Math.max(2, Math.round(STACKS.length * ratio))));
  if (!(total > states.length)) throw new Error(`--files × --scale must be more than ${states.length}`);

  const started = process.hrtime.bigint();
  const made = new Set<string>();
  const write = (path: string, text: string) => {
    const dir = dirname(path);
    if (!made.has(dir)) {
      mkdirSync(dir, { recursive: true });
      made.add(dir);
    }
    writeFileSync(path, text);
  };

  let files = 0;
  let bytes = 0;
  const sizes: number[] = [];
  const wanted = total - states.length;
  const names = serviceNames(seed);
  for (let n = 0; files < wanted; n++) {
    const svc = makeService(
      seed,
      names[n % names.length]! + (n >= names.length ? `-${Math.floor(n / names.length)}` : ''),
    );
    const pick = Rng.of(seed, 'kinds', svc.name);
    const kinds = KINDS.filter((k) => pick.chance(k.p) && (!k.lang || k.lang.includes(svc.lang)));
    for (const env of svc.envs) {
      const e = envValues(seed, env, svc);
      for (const kind of kinds) {
        if (files >= wanted) break;
        const rel = typeof kind.path === 'string' ? kind.path : kind.path(svc);
        const s = Rng.of(seed, 'shape', svc.name, rel);
        const v = Rng.of(seed, 'vary', svc.name, rel, env);
        const c = { s, v, svc, e };
        const text = withBanner(kind.make(c), kind.mark ?? '#', () =>
          banner(c, rel, kind.mark ?? '#', kind.shared === true),
        );
        write(join(out, env, svc.name, rel), text);
        files++;
        bytes += text.length;
        sizes.push(text.length);
      }
    }
  }

  const sizeRng = Rng.of(seed, 'state-sizes');
  states.forEach(([env, stack], i) => {
    const target = Math.max(
      1 << 20,
      (5 * MB + (45 * MB * (STACKS.length - 1 - i + sizeRng.next())) / STACKS.length) * Math.min(1, ratio),
    );
    const path = join(out, env, '_platform', 'terraform', stack, 'terraform.tfstate');
    mkdirSync(dirname(path), { recursive: true });
    const account = envValues(seed, env, makeService(seed, 'platform-state')).account;
    const region = env === 'dr' ? 'eu-central-1' : 'eu-west-1';
    bytes += writeTfState(path, target, { r: Rng.of(seed, 'state', env, stack), env, account, region, stack });
    files++;
  });

  sizes.sort((a, b) => a - b);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const summary = {
    out,
    files,
    bytes,
    smallFileMedian: sizes[Math.floor(sizes.length / 2)] ?? 0,
    smallFileMean: Math.round((bytes - 0) / files),
    stateFiles: states.length,
    seconds: Math.round(seconds * 10) / 10,
  };
  summary.smallFileMean = Math.round(sizes.reduce((a, b) => a + b, 0) / Math.max(1, sizes.length));
  console.log(JSON.stringify(summary));
}

main();
