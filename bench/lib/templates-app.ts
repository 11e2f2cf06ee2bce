// Application configuration: .env, JSON, .properties, .ini, logback XML, a Grafana dashboard, a CI pipeline.
import { type Ctx, configTree, envName, flatten } from './config-tree.js';

export function dotenv(c: Ctx): string {
  const { svc, e, s } = c;
  const lines = flatten(configTree(c, s.int(5, 12), [3, 9])).map(([k, v]) => `${envName(k)}=${v}`);
  return `# ${svc.name} (${e.env}); secrets come from the vault agent, never from this file
APP_ENV=${e.env}
APP_NAME=${svc.name}
LOG_LEVEL=${e.logLevel}
DATABASE_URL=postgres://${svc.domain.replace(/-/g, '_')}_app:\${DB_PASSWORD}@${e.dbHost}:5432/${svc.domain.replace(/-/g, '_')}
REDIS_URL=redis://${e.cacheHost}:6379/0
KAFKA_BROKERS=${e.brokers}
API_TOKEN=changeme
${lines.join('\n')}
`;
}

export function appJson(c: Ctx): string {
  const { svc, e, s } = c;
  const doc = {
    service: svc.name,
    environment: e.env,
    version: e.imageTag,
    listen: { host: '0.0.0.0', port: svc.port },
    dependencies: svc.deps.map((d) => ({
      name: d,
      url: `https://${d}.${e.domain}`,
      timeoutMs: s.pick([500, 1000, 3000]),
    })),
    ...configTree(c, s.int(4, 16), [3, 12]),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

export function loggingJson(c: Ctx): string {
  const { e, s } = c;
  const loggers = Object.fromEntries(
    s
      .sample(['http', 'db', 'cache', 'kafka', 'auth', 'scheduler', 'client', 'audit'], s.int(2, 6))
      .map((l) => [`com.acme.${c.svc.domain.replace(/-/g, '.')}.${l}`, s.pick(['debug', 'info', 'warn'])]),
  );
  const doc = {
    level: e.logLevel,
    format: 'json',
    sampling: { initial: 100, thereafter: e.prod ? 100 : 1 },
    outputs: [{ type: 'stdout' }, { type: 'otlp', endpoint: `otel-collector.${e.domain}:4317` }],
    redact: ['password', 'authorization', 'cookie', 'token'],
    loggers,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

export function featuresJson(c: Ctx): string {
  const { s, e } = c;
  const verbs = ['new', 'async', 'batched', 'v2', 'cached', 'strict', 'parallel', 'legacy', 'beta', 'fast'];
  const nouns = ['checkout', 'search', 'export', 'pricing', 'login', 'retry', 'ui', 'api', 'reports', 'sync'];
  const flags = Array.from({ length: s.int(5, 40) }, (_, i) => {
    const rollout = s.int(0, 100);
    return {
      key: `${s.pick(verbs)}-${s.pick(nouns)}-${i}`,
      description: `${s.pick(verbs)} ${s.pick(nouns)} behaviour`,
      enabled: e.prod ? rollout > 50 : true,
      rollout: e.prod ? rollout : 100,
      owner: `${c.svc.team}@acme.example`,
    };
  });
  return `${JSON.stringify({ environment: e.env, flags }, null, 2)}\n`;
}

export function properties(c: Ctx): string {
  const { svc, e, s } = c;
  const lines = flatten(configTree(c, s.int(4, 12), [3, 10])).map(([k, v]) => `${svc.domain}.${k}=${v}`);
  return `# ${svc.name} ${e.env}
spring.application.name=${svc.name}
spring.profiles.active=${e.env}
spring.datasource.url=jdbc:postgresql://${e.dbHost}:5432/${svc.domain.replace(/-/g, '_')}
spring.datasource.username=${svc.domain.replace(/-/g, '_')}_app
spring.datasource.password=\${DB_PASSWORD}
server.port=${svc.port}
management.endpoints.web.exposure.include=health,info,prometheus
logging.level.root=${e.logLevel.toUpperCase()}
${lines.join('\n')}
`;
}

export function ini(c: Ctx): string {
  const tree = configTree(c, c.s.int(3, 9), [3, 10]);
  return Object.entries(tree)
    .map(([section, node]) => {
      const body = typeof node === 'object' && !Array.isArray(node) ? flatten(node) : [[section, String(node)]];
      return `[${section}]\n${body.map(([k, v]) => `${k} = ${v}`).join('\n')}\n`;
    })
    .join('\n');
}

export function logback(c: Ctx): string {
  const { svc, e, s } = c;
  const loggers = s
    .sample(['http', 'db', 'cache', 'kafka', 'auth', 'scheduler', 'client', 'audit', 'metrics'], s.int(3, 8))
    .map(
      (l) =>
        `  <logger name="com.acme.${svc.domain.replace(/-/g, '.')}.${l}" level="${s.pick(['DEBUG', 'INFO', 'WARN'])}"/>`,
    )
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<configuration scan="true" scanPeriod="60 seconds">
  <property name="APP" value="${svc.name}"/>
  <property name="ENV" value="${e.env}"/>
  <appender name="JSON" class="ch.qos.logback.core.ConsoleAppender">
    <encoder class="net.logstash.logback.encoder.LogstashEncoder">
      <customFields>{"service":"${svc.name}","env":"${e.env}"}</customFields>
    </encoder>
  </appender>
  <appender name="ASYNC" class="ch.qos.logback.classic.AsyncAppender">
    <queueSize>${s.pick([256, 512, 1024])}</queueSize>
    <appender-ref ref="JSON"/>
  </appender>
${loggers}
  <root level="${e.logLevel.toUpperCase()}">
    <appender-ref ref="ASYNC"/>
  </root>
</configuration>
`;
}

/** The long tail: dashboards are the biggest hand-kept config files (tens to hundreds of KB). */
export function dashboard(c: Ctx): string {
  const { svc, e, s } = c;
  const metrics = [
    'http_requests_total',
    'http_request_duration_seconds_bucket',
    'process_cpu_seconds_total',
    'jvm_memory_used_bytes',
    'kafka_consumer_lag',
    'db_pool_active',
    'cache_hits_total',
    'queue_depth',
  ];
  const panels = Array.from({ length: s.int(8, 70) }, (_, id) => ({
    id,
    type: s.pick(['timeseries', 'stat', 'gauge', 'table', 'heatmap']),
    title: `${svc.name} ${s.pick(metrics).replace(/_/g, ' ')}`,
    datasource: { type: 'prometheus', uid: `prom-${e.env}` },
    gridPos: { h: 8, w: s.pick([6, 8, 12, 24]), x: (id % 3) * 8, y: Math.floor(id / 3) * 8 },
    targets: Array.from({ length: s.int(1, 4) }, (_, r) => ({
      refId: String.fromCharCode(65 + r),
      expr: `sum by (${s.pick(['pod', 'route', 'code', 'instance'])}) (rate(${s.pick(metrics)}{namespace="${svc.domain}",service="${svc.name}"}[${s.pick(['1m', '5m', '15m'])}]))`,
      legendFormat: `{{${s.pick(['pod', 'route', 'code'])}}}`,
    })),
    fieldConfig: {
      defaults: {
        unit: s.pick(['short', 'ms', 's', 'bytes', 'percent', 'reqps']),
        thresholds: {
          mode: 'absolute',
          steps: [
            { color: 'green', value: null },
            { color: 'red', value: s.int(50, 5000) },
          ],
        },
      },
      overrides: [],
    },
    options: { legend: { displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'multi' } },
  }));
  const doc = {
    title: `${svc.name} (${e.env})`,
    uid: `${svc.name}-${e.env}`.slice(0, 40),
    tags: [svc.team, e.env],
    schemaVersion: 38,
    panels,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

export function pipeline(c: Ctx): string {
  const { svc, e, s } = c;
  return `# CI/CD for ${svc.name} -> ${e.env}
name: deploy-${svc.name}-${e.env}
on:
  push:
    branches: [${e.prod ? 'release/*' : 'main'}]
env:
  ENVIRONMENT: ${e.env}
  CLUSTER: ${e.cluster}
  REGION: ${e.region}
concurrency:
  group: deploy-${svc.name}-${e.env}
  cancel-in-progress: false
jobs:
  lint:
    runs-on: ubuntu-22.04
    steps:
      - uses: actions/checkout@v4
      - run: make ${svc.lang}-lint
      - run: helm lint helm/ --values helm/values.yaml
      - run: kubeconform -strict -summary k8s/
  test:
    runs-on: ubuntu-22.04
    services:
      postgres:
        image: postgres:${s.pick([14, 15, 16])}
        env:
          POSTGRES_PASSWORD: changeme
        ports: ["5432:5432"]
    steps:
      - uses: actions/checkout@v4
      - run: make ${svc.lang}-test
      - run: make ${svc.lang}-integration-test
  image:
    needs: [lint, test]
    runs-on: ubuntu-22.04
    steps:
      - uses: actions/checkout@v4
      - run: docker build -t registry.acme.internal/${svc.domain}/${svc.name}:\${{ github.sha }} .
      - run: trivy image --severity HIGH,CRITICAL --exit-code 1 registry.acme.internal/${svc.domain}/${svc.name}:\${{ github.sha }}
      - run: docker push registry.acme.internal/${svc.domain}/${svc.name}:\${{ github.sha }}
  deploy:
    needs: image
    runs-on: [self-hosted, ${e.env}]
    environment: ${e.env}
    timeout-minutes: ${s.pick([10, 20, 30])}
    steps:
      - uses: actions/checkout@v4
      - run: ./scripts/deploy.sh ${e.env} \${{ github.sha }}
      - run: ./scripts/healthcheck.sh https://${e.host}/health/ready
  smoke:
    needs: deploy
    runs-on: [self-hosted, ${e.env}]
    steps:
      - uses: actions/checkout@v4
      - run: make smoke-test BASE_URL=https://${e.host} TIMEOUT=${s.pick([60, 120, 300])}
      - run: ./scripts/verify-metrics.sh ${svc.name} ${e.env}
  notify:
    needs: [deploy, smoke]
    if: always()
    runs-on: ubuntu-22.04
    steps:
      - uses: acme/notify-action@v2
        with:
          channel: "#${svc.team}-deploys"
          status: \${{ needs.smoke.result }}
          message: "${svc.name} \${{ github.sha }} -> ${e.env}"
`;
}
