// Kubernetes manifests and Helm files. Same shape in every environment; replicas, hosts and limits differ.
import { type Ctx, configTree, envName, flatten, toYaml } from './config-tree.js';

function labels(c: Ctx, indent: string): string {
  const { svc, e } = c;
  return [
    `app.kubernetes.io/name: ${svc.name}`,
    `app.kubernetes.io/part-of: ${svc.domain}`,
    `app.kubernetes.io/managed-by: helm`,
    `team: ${svc.team}`,
    `environment: ${e.env}`,
  ]
    .map((l) => `${indent}${l}\n`)
    .join('');
}

function meta(c: Ctx, kind: string, apiVersion: string, name = c.svc.name): string {
  return `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata:\n  name: ${name}\n  namespace: ${c.svc.domain}\n  labels:\n${labels(c, '    ')}`;
}

export function deployment(c: Ctx): string {
  const { s, svc, e } = c;
  const vars = flatten(configTree(c, s.int(2, 5), [2, 6]));
  const envList = vars
    .map(([k]) => {
      const name = envName(k);
      if (/PASSWORD|TOKEN/.test(name)) {
        return `            - name: ${name}\n              valueFrom:\n                secretKeyRef:\n                  name: ${svc.name}-secrets\n                  key: ${k}\n`;
      }
      return `            - name: ${name}\n              valueFrom:\n                configMapKeyRef:\n                  name: ${svc.name}-config\n                  key: ${k}\n`;
    })
    .join('');
  const probe = (path: string, delay: number) =>
    `            httpGet:\n              path: ${path}\n              port: http\n            initialDelaySeconds: ${delay}\n            periodSeconds: ${s.pick([5, 10, 15])}\n            timeoutSeconds: ${s.int(1, 5)}\n            failureThreshold: ${s.int(3, 6)}\n`;
  return `${meta(c, 'Deployment', 'apps/v1')}  annotations:
    deployment.kubernetes.io/revision: "${c.v.int(1, 400)}"
    acme.example/owner: ${svc.team}@acme.example
spec:
  replicas: ${e.replicas}
  revisionHistoryLimit: 5
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 25%
      maxUnavailable: ${e.prod ? 0 : 1}
  selector:
    matchLabels:
      app.kubernetes.io/name: ${svc.name}
  template:
    metadata:
      labels:
${labels(c, '        ')}      annotations:
        prometheus.io/scrape: "true"
        prometheus.io/port: "${svc.port}"
    spec:
      serviceAccountName: ${svc.name}
      terminationGracePeriodSeconds: ${s.pick([30, 60, 90])}
      securityContext:
        runAsNonRoot: true
        runAsUser: ${s.int(1000, 65000)}
        fsGroup: 2000
      containers:
        - name: ${svc.name}
          image: registry.acme.internal/${svc.domain}/${svc.name}:${e.imageTag}
          imagePullPolicy: IfNotPresent
          ports:
            - name: http
              containerPort: ${svc.port}
              protocol: TCP
            - name: metrics
              containerPort: 9090
              protocol: TCP
          env:
            - name: APP_ENV
              value: ${e.env}
            - name: LOG_LEVEL
              value: ${e.logLevel}
${envList}          resources:
            requests:
              cpu: ${e.cpuRequest}
              memory: ${e.memRequest}
            limits:
              cpu: ${e.cpuLimit}
              memory: ${e.memLimit}
          livenessProbe:
${probe('/health/live', s.pick([10, 20, 30]))}          readinessProbe:
${probe('/health/ready', s.pick([5, 10]))}          volumeMounts:
            - name: config
              mountPath: /etc/${svc.name}
              readOnly: true
            - name: tmp
              mountPath: /tmp
      volumes:
        - name: config
          configMap:
            name: ${svc.name}-config
        - name: tmp
          emptyDir: {}
      affinity:
        podAntiAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
            - weight: 100
              podAffinityTerm:
                topologyKey: topology.kubernetes.io/zone
                labelSelector:
                  matchLabels:
                    app.kubernetes.io/name: ${svc.name}
      tolerations:
        - key: workload
          operator: Equal
          value: ${s.pick(['general', 'batch', 'memory'])}
          effect: NoSchedule
`;
}

/** Service plus its small companions (account, disruption budget, monitor) as one multi-document file. */
export function service(c: Ctx): string {
  return [serviceOnly(c), headless(c), serviceaccount(c), pdb(c), servicemonitor(c)].join('---\n');
}

function headless(c: Ctx): string {
  return `${meta(c, 'Service', 'v1', `${c.svc.name}-headless`)}spec:
  clusterIP: None
  publishNotReadyAddresses: true
  selector:
    app.kubernetes.io/name: ${c.svc.name}
  ports:
    - name: metrics
      port: 9090
      targetPort: 9090
`;
}

function serviceOnly(c: Ctx): string {
  return `${meta(c, 'Service', 'v1')}  annotations:
    prometheus.io/scrape: "true"
    prometheus.io/port: "9090"
    prometheus.io/path: /metrics
    service.kubernetes.io/topology-mode: Auto
    service.beta.kubernetes.io/aws-load-balancer-internal: "true"
    acme.example/team: ${c.svc.team}
spec:
  type: ClusterIP
  selector:
    app.kubernetes.io/name: ${c.svc.name}
  ports:
    - name: http
      port: 80
      targetPort: ${c.svc.port}
    - name: metrics
      port: 9090
      targetPort: 9090
`;
}

export function configmap(c: Ctx): string {
  const { s } = c;
  const flat = flatten(configTree(c, s.int(3, 10), [3, 10]))
    .map(([k, v]) => `  ${k}: ${JSON.stringify(v)}\n`)
    .join('');
  const app = toYaml(configTree(c, s.int(3, 12), [3, 12]), '    ');
  return `${meta(c, 'ConfigMap', 'v1', `${c.svc.name}-config`)}data:\n${flat}  application.yaml: |\n${app}`;
}

export function ingress(c: Ctx): string {
  const { svc, e, s } = c;
  const paths = s
    .sample(['/', '/api', '/v1', '/v2', '/admin', '/webhooks', '/internal', '/static'], s.int(1, 4))
    .map(
      (p) =>
        `          - path: ${p}\n            pathType: Prefix\n            backend:\n              service:\n                name: ${svc.name}\n                port:\n                  name: http\n`,
    )
    .join('');
  return `${meta(c, 'Ingress', 'networking.k8s.io/v1')}  annotations:
    nginx.ingress.kubernetes.io/proxy-body-size: ${s.pick(['1m', '8m', '50m'])}
    nginx.ingress.kubernetes.io/proxy-read-timeout: "${s.pick([30, 60, 120])}"
    nginx.ingress.kubernetes.io/proxy-send-timeout: "${s.pick([30, 60, 120])}"
    nginx.ingress.kubernetes.io/limit-rps: "${e.prod ? s.int(50, 500) : 20}"
    nginx.ingress.kubernetes.io/enable-cors: "true"
    nginx.ingress.kubernetes.io/cors-allow-origin: https://app.${e.domain}
    nginx.ingress.kubernetes.io/configuration-snippet: |
      more_set_headers "X-Frame-Options: DENY";
      more_set_headers "X-Content-Type-Options: nosniff";
      more_set_headers "Referrer-Policy: strict-origin-when-cross-origin";
    external-dns.alpha.kubernetes.io/hostname: ${e.host}
    external-dns.alpha.kubernetes.io/ttl: "${s.pick([60, 300])}"
    nginx.ingress.kubernetes.io/canary: "false"
    nginx.ingress.kubernetes.io/canary-weight: "0"
    nginx.ingress.kubernetes.io/server-snippet: |
      location = /robots.txt { return 200 "User-agent: *\\nDisallow: /\\n"; }
    nginx.ingress.kubernetes.io/ssl-redirect: "true"
    cert-manager.io/cluster-issuer: ${e.prod ? 'letsencrypt-prod' : 'internal-ca'}
spec:
  ingressClassName: nginx
  tls:
    - hosts:
        - ${e.host}
      secretName: ${svc.name}-tls
  rules:
    - host: ${e.host}
      http:
        paths:
${paths}`;
}

export function networkpolicy(c: Ctx): string {
  const { svc, s } = c;
  const from = svc.deps
    .map(
      (d) =>
        `        - namespaceSelector:\n            matchLabels:\n              kubernetes.io/metadata.name: ${d.replace(/-[a-z]+$/, '')}\n          podSelector:\n            matchLabels:\n              app.kubernetes.io/name: ${d}\n`,
    )
    .join('');
  return `${meta(c, 'NetworkPolicy', 'networking.k8s.io/v1')}spec:
  podSelector:
    matchLabels:
      app.kubernetes.io/name: ${svc.name}
  policyTypes:
    - Ingress
    - Egress
  ingress:
    - from:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: ingress-nginx
${from}      ports:
        - protocol: TCP
          port: ${svc.port}
  egress:
${svc.deps
  .map(
    (d) =>
      `    - to:\n        - namespaceSelector:\n            matchLabels:\n              kubernetes.io/metadata.name: ${d.replace(/-[a-z]+$/, '')}\n      ports:\n        - protocol: TCP\n          port: ${s.pick([80, 443, 8080, 9000])}\n`,
  )
  .join('')}    - to:
        - ipBlock:
            cidr: 10.0.0.0/8
      ports:
        - protocol: TCP
          port: ${s.pick([5432, 3306, 6379])}
        - protocol: TCP
          port: 9092
        - protocol: UDP
          port: 53
`;
}

export function hpa(c: Ctx): string {
  const { e, s } = c;
  return `${meta(c, 'HorizontalPodAutoscaler', 'autoscaling/v2')}spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: ${c.svc.name}
  minReplicas: ${e.minReplicas}
  maxReplicas: ${e.maxReplicas}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: ${s.pick([60, 70, 75, 80])}
    - type: Resource
      resource:
        name: memory
        target:
          type: Utilization
          averageUtilization: ${s.pick([75, 80, 85])}
`;
}

function pdb(c: Ctx): string {
  return `${meta(c, 'PodDisruptionBudget', 'policy/v1')}spec:
  maxUnavailable: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: ${c.svc.name}
`;
}

function serviceaccount(c: Ctx): string {
  return `${meta(c, 'ServiceAccount', 'v1')}  annotations:
    eks.amazonaws.com/role-arn: arn:aws:iam::${c.e.account}:role/${c.e.env}-${c.svc.name}
automountServiceAccountToken: false
`;
}

function servicemonitor(c: Ctx): string {
  return `${meta(c, 'ServiceMonitor', 'monitoring.coreos.com/v1')}spec:
  selector:
    matchLabels:
      app.kubernetes.io/name: ${c.svc.name}
  endpoints:
    - port: metrics
      interval: ${c.s.pick(['15s', '30s', '60s'])}
      path: /metrics
`;
}

export function kustomization(c: Ctx): string {
  return `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: ${c.svc.domain}
resources:
  - deployment.yaml
  - service.yaml
  - configmap.yaml
  - hpa.yaml
  - networkpolicy.yaml
commonLabels:
  environment: ${c.e.env}
images:
  - name: registry.acme.internal/${c.svc.domain}/${c.svc.name}
    newTag: ${c.e.imageTag}
`;
}

export function helmValues(c: Ctx): string {
  const { svc, e, s } = c;
  return `# Helm values for ${svc.name} in ${e.env}
replicaCount: ${e.replicas}
image:
  repository: registry.acme.internal/${svc.domain}/${svc.name}
  tag: "${e.imageTag}"
  pullPolicy: IfNotPresent
serviceAccount:
  create: true
  annotations:
    eks.amazonaws.com/role-arn: arn:aws:iam::${e.account}:role/${e.env}-${svc.name}
service:
  type: ClusterIP
  port: 80
  targetPort: ${svc.port}
ingress:
  enabled: ${s.chance(0.7)}
  className: nginx
  hosts:
    - host: ${e.host}
      paths: ["/"]
resources:
  requests: { cpu: ${e.cpuRequest}, memory: ${e.memRequest} }
  limits: { cpu: ${e.cpuLimit}, memory: ${e.memLimit} }
autoscaling:
  enabled: ${e.prod}
  minReplicas: ${e.minReplicas}
  maxReplicas: ${e.maxReplicas}
  targetCPUUtilizationPercentage: ${s.pick([60, 70, 80])}
podAnnotations:
  prometheus.io/scrape: "true"
nodeSelector:
  workload: ${s.pick(['general', 'batch', 'memory'])}
config:
${toYaml(configTree(c, s.int(4, 12), [3, 10]), '  ')}`;
}

export function chart(c: Ctx): string {
  const [major, minor] = c.svc.version;
  return `apiVersion: v2
name: ${c.svc.name}
description: Helm chart for ${c.svc.name} (${c.svc.team})
type: application
version: ${major}.${minor}.0
appVersion: "${major}.${minor}"
dependencies:
  - name: acme-common
    version: 4.${c.s.int(0, 9)}.x
    repository: https://charts.acme.internal
`;
}

export function alertRules(c: Ctx): string {
  const { svc, s, e } = c;
  const rules = s
    .sample(
      ['HighErrorRate', 'HighLatency', 'PodCrashLooping', 'QueueBacklog', 'LowThroughput', 'CertExpiry'],
      s.int(2, 6),
    )
    .map(
      (name) => `      - alert: ${svc.name}-${name}
        expr: sum(rate(http_requests_total{service="${svc.name}",code=~"5.."}[5m])) / sum(rate(http_requests_total{service="${svc.name}"}[5m])) > ${s.int(1, 10) / 100}
        for: ${s.pick(['5m', '10m', '15m'])}
        labels:
          severity: ${e.prod ? 'page' : 'ticket'}
          team: ${svc.team}
        annotations:
          summary: ${name} on ${svc.name} (${e.env})
          description: >-
            {{ $labels.service }} in ${e.env} has breached the ${name} threshold for more than
            ${s.pick(['5', '10', '15'])} minutes. Check the dashboard and recent deploys before paging the owner.
          dashboard: https://grafana.acme.internal/d/${svc.name}-${e.env}
          runbook: https://runbooks.acme.internal/${svc.domain}/${name}
`,
    )
    .join('');
  return `${meta(c, 'PrometheusRule', 'monitoring.coreos.com/v1')}spec:\n  groups:\n    - name: ${svc.name}\n      rules:\n${rules}`;
}
