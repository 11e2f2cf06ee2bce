// Terraform, nginx and shell: mostly identical across environments, with the environment's names spliced in.
import { type Ctx, configTree, toHcl } from './config-tree.js';

export function tfMain(c: Ctx): string {
  const { svc, s } = c;
  const snake = svc.name.replace(/-/g, '_');
  const queues = Array.from(
    { length: s.int(0, 4) },
    (_, i) => `resource "aws_sqs_queue" "${snake}_${i}" {
  name                       = "\${var.environment}-${svc.name}-${i}"
  visibility_timeout_seconds = ${s.pick([30, 60, 300])}
  message_retention_seconds  = ${s.pick([86400, 345600, 1209600])}
  tags                       = local.tags
}
`,
  ).join('\n');
  return `terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 5.${s.int(10, 40)}" }
  }
}

locals {
  tags = {
    service     = "${svc.name}"
    team        = "${svc.team}"
    environment = var.environment
    managed_by  = "terraform"
  }
}

resource "aws_iam_role" "${snake}" {
  name               = "\${var.environment}-${svc.name}"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = local.tags
}

resource "aws_s3_bucket" "${snake}_data" {
  bucket = "acme-\${var.environment}-${svc.name}-data"
  tags   = local.tags
}

resource "aws_db_instance" "${snake}" {
  count                   = var.create_database ? 1 : 0
  identifier              = "\${var.environment}-${svc.domain}"
  engine                  = "postgres"
  engine_version          = "${s.pick(['14.10', '15.5', '16.1'])}"
  instance_class          = var.db_instance_class
  allocated_storage       = var.db_storage_gb
  backup_retention_period = var.environment == "prod" ? 35 : 7
  deletion_protection     = var.environment == "prod"
  tags                    = local.tags
}

resource "aws_cloudwatch_log_group" "${snake}" {
  name              = "/acme/\${var.environment}/${svc.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = data.aws_kms_alias.logs.target_key_arn
  tags              = local.tags
}

resource "aws_iam_role_policy_attachment" "${snake}_logs" {
  role       = aws_iam_role.${snake}.name
  policy_arn = "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"
}

${queues}
module "alarms" {
  source      = "git::https://git.acme.internal/platform/terraform-modules.git//alarms?ref=v${s.int(1, 9)}.${s.int(0, 20)}.0"
  service     = "${svc.name}"
  environment = var.environment
${toHcl(configTree(c, 1, [3, 8]), '  ')}}

${tfOutputs(c)}`;
}

export function tfVariables(c: Ctx): string {
  const vars: [string, string, string][] = [
    ['environment', 'string', 'Deployment environment'],
    ['region', 'string', 'AWS region'],
    ['create_database', 'bool', 'Whether this service owns a database'],
    ['db_instance_class', 'string', 'RDS instance class'],
    ['db_storage_gb', 'number', 'Allocated storage in GB'],
    ['replicas', 'number', 'Desired replicas'],
    ['alarm_email', 'string', 'Where alarms go'],
    ['min_replicas', 'number', 'Lower bound for the autoscaler'],
    ['max_replicas', 'number', 'Upper bound for the autoscaler'],
    ['log_retention_days', 'number', 'CloudWatch log retention'],
    ['enable_tracing', 'bool', 'Send spans to the collector'],
    ['queue_count', 'number', 'SQS queues to create'],
    ['kms_key_alias', 'string', 'KMS key used for buckets and queues'],
    ['extra_tags', 'map(string)', 'Tags added to every resource'],
    ['allowed_cidrs', 'list(string)', 'Networks allowed to reach the service'],
  ];
  const defaults: Record<string, string> = {
    string: '""',
    number: '1',
    bool: 'false',
    'map(string)': '{}',
    'list(string)': '[]',
  };
  return vars
    .filter(() => c.s.chance(0.85))
    .map(([name, type, description]) => {
      const validation = c.s.chance(0.3)
        ? `\n  validation {\n    condition     = length(tostring(var.${name})) > 0\n    error_message = "${name} must not be empty."\n  }`
        : '';
      return `variable "${name}" {\n  type        = ${type}\n  description = "${description}"\n  default     = ${defaults[type]}\n  nullable    = false${validation}\n}\n`;
    })
    .join('\n');
}

function tfOutputs(c: Ctx): string {
  const snake = c.svc.name.replace(/-/g, '_');
  return `output "role_arn" {\n  value = aws_iam_role.${snake}.arn\n}\n\noutput "bucket" {\n  value = aws_s3_bucket.${snake}_data.id\n}\n`;
}

export function tfBackend(c: Ctx): string {
  return `terraform {
  backend "s3" {
    bucket         = "acme-${c.e.env}-terraform-state"
    key            = "services/${c.svc.name}/terraform.tfstate"
    region         = "${c.e.region}"
    dynamodb_table = "acme-${c.e.env}-terraform-locks"
    encrypt        = true
  }
}
`;
}

export function tfvars(c: Ctx): string {
  const { e, s } = c;
  return `environment       = "${e.env}"
region            = "${e.region}"
create_database   = ${s.chance(0.6)}
db_instance_class = "${e.prod ? 'db.r6g.large' : 'db.t4g.medium'}"
db_storage_gb     = ${e.prod ? 500 : 50}
replicas          = ${e.replicas}
alarm_email       = "${c.svc.team}-${e.prod ? 'oncall' : 'dev'}@acme.example"
${toHcl(configTree(c, s.int(1, 3), [2, 6]))}`;
}

export function nginxConf(c: Ctx): string {
  const { s } = c;
  return `user nginx;
worker_processes auto;
pid /run/nginx.pid;

events {
    worker_connections ${s.pick([1024, 2048, 4096])};
    multi_accept on;
}

http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    log_format json escape=json '{"time":"$time_iso8601","remote":"$remote_addr","request":"$request",'
                                '"status":$status,"bytes":$body_bytes_sent,"rt":$request_time,'
                                '"upstream":"$upstream_addr","ua":"$http_user_agent"}';
    access_log /var/log/nginx/access.log json;
    error_log /var/log/nginx/error.log ${c.e.prod ? 'warn' : 'info'};
    sendfile on;
    tcp_nopush on;
    keepalive_timeout ${s.pick([15, 30, 65])};
    client_max_body_size ${s.pick(['1m', '10m', '50m'])};
    gzip on;
    gzip_comp_level ${s.int(3, 6)};
    gzip_min_length 1024;
    gzip_proxied any;
    gzip_vary on;
    gzip_types text/plain application/json application/javascript text/css application/xml image/svg+xml;
    server_tokens off;
    types_hash_max_size 2048;
    server_names_hash_bucket_size 128;

    proxy_http_version 1.1;
    proxy_buffering on;
    proxy_buffer_size ${s.pick(['8k', '16k', '32k'])};
    proxy_buffers 8 ${s.pick(['16k', '32k'])};
    proxy_connect_timeout ${s.pick([2, 5, 10])}s;
    proxy_next_upstream error timeout http_502 http_503;

    ssl_session_cache shared:SSL:${s.pick([10, 20, 50])}m;
    ssl_session_timeout 1d;
    ssl_prefer_server_ciphers off;
    ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384;

    limit_req_zone $binary_remote_addr zone=perip:10m rate=${s.pick([10, 50, 100])}r/s;
    map $http_upgrade $connection_upgrade {
        default upgrade;
        '' close;
    }

    server {
        listen 8081;
        location /nginx_status { stub_status; allow 127.0.0.1; deny all; }
    }

    include /etc/nginx/conf.d/*.conf;
}
`;
}

export function nginxSite(c: Ctx): string {
  const { svc, e, s } = c;
  const locations = s
    .sample(['/api/', '/v1/', '/v2/', '/admin/', '/webhooks/', '/static/', '/metrics', '/internal/'], s.int(3, 8))
    .map(
      (p) => `    location ${p} {
        proxy_pass http://${svc.name}_upstream;
        proxy_set_header Host $host;
        proxy_set_header X-Request-Id $request_id;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_read_timeout ${s.pick([5, 30, 60, 120])}s;
${p.includes('admin') || p.includes('internal') ? '        allow 10.0.0.0/8;\n        deny all;\n' : ''}    }
`,
    )
    .join('\n');
  const upstreams = Array.from(
    { length: Math.min(e.replicas, 6) },
    (_, i) => `    server ${svc.name}-${i}.${e.domain}:${svc.port} max_fails=3;`,
  ).join('\n');
  return `upstream ${svc.name}_upstream {
${upstreams}
    keepalive 32;
}

server {
    listen 443 ssl http2;
    server_name ${e.host};
    ssl_certificate /etc/nginx/tls/${svc.name}.crt;
    ssl_certificate_key /etc/nginx/tls/${svc.name}.key;
    ssl_protocols TLSv1.2 TLSv1.3;

${locations}}
`;
}

export function deployScript(c: Ctx): string {
  const { svc, s } = c;
  return `#!/usr/bin/env bash
# Deploys ${svc.name}: ./deploy.sh <environment> <git sha>
set -euo pipefail

usage() {
  cat <<USAGE
Usage: $0 <environment> <git sha>
Deploys ${svc.name} with Helm, waits for the rollout and the readiness endpoint,
and rolls back to the previous revision when either does not succeed in time.
USAGE
}
[[ $# -eq 2 ]] || { usage >&2; exit 64; }

ENVIRONMENT="\${1:?environment}"
SHA="\${2:?git sha}"
NAMESPACE="${svc.domain}"
RELEASE="${svc.name}"
CHART_DIR="$(cd "$(dirname "$0")/../helm" && pwd)"
TIMEOUT="${s.pick(['5m', '10m', '15m'])}"

log() { printf '%s %s\\n' "$(date -u +%FT%TZ)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

require() {
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed"
  done
}

check_context() {
  local current
  current="$(kubectl config current-context)"
  [[ "$current" == "$ENVIRONMENT"* ]] || die "kubectl context is $current, expected $ENVIRONMENT"
}

wait_ready() {
  local url="https://${svc.name}.$1.acme.internal/health/ready"
  for _ in $(seq 1 ${s.int(10, 60)}); do
    curl -fsS --max-time 2 "$url" >/dev/null && return 0
    sleep 2
  done
  return 1
}

run_migrations() {
  log "running database migrations for $RELEASE"
  kubectl -n "$NAMESPACE" delete job "$RELEASE-migrate" --ignore-not-found
  kubectl -n "$NAMESPACE" create job "$RELEASE-migrate" --from=cronjob/"$RELEASE-migrate-template"
  kubectl -n "$NAMESPACE" wait --for=condition=complete --timeout=${s.pick([120, 300, 600])}s job/"$RELEASE-migrate" ||
    die "migrations failed; see: kubectl -n $NAMESPACE logs job/$RELEASE-migrate"
}

require kubectl helm curl

log "deploying $RELEASE@$SHA to $ENVIRONMENT"
kubectl config use-context "$ENVIRONMENT"
check_context
kubectl get namespace "$NAMESPACE" >/dev/null 2>&1 || kubectl create namespace "$NAMESPACE"

[[ "\${SKIP_MIGRATIONS:-0}" == 1 ]] || run_migrations

helm upgrade --install "$RELEASE" "$CHART_DIR" \\
  --namespace "$NAMESPACE" \\
  --values "$CHART_DIR/values.yaml" \\
  --set image.tag="$SHA" \\
  --atomic --timeout "$TIMEOUT" --wait

for attempt in $(seq 1 ${s.int(5, 30)}); do
  if kubectl -n "$NAMESPACE" rollout status deployment/"$RELEASE" --timeout=10s; then
    log "rollout complete after $attempt checks"
    wait_ready "$ENVIRONMENT" || die "service did not become ready"
    exit 0
  fi
  sleep ${s.pick([2, 5, 10])}
done
log "rollout did not finish; rolling back"
helm rollback "$RELEASE" --namespace "$NAMESPACE"
exit 1
`;
}

export function healthcheck(c: Ctx): string {
  return `#!/usr/bin/env bash
# Waits until ${c.svc.name} reports ready.
set -euo pipefail
URL="\${1:?url}"
for _ in $(seq 1 ${c.s.int(10, 60)}); do
  if curl -fsS --max-time 2 "$URL" >/dev/null; then echo ok; exit 0; fi
  sleep 2
done
echo "not ready: $URL" >&2
exit 1
`;
}

export function rollback(c: Ctx): string {
  return `#!/usr/bin/env bash
# Rolls ${c.svc.name} back to the previous Helm revision.
set -euo pipefail
ENVIRONMENT="\${1:?environment}"
REVISION="\${2:-0}"
kubectl config use-context "$ENVIRONMENT"
helm history ${c.svc.name} --namespace ${c.svc.domain} --max ${c.s.int(5, 20)}
helm rollback ${c.svc.name} "$REVISION" --namespace ${c.svc.domain} --wait --timeout 10m
kubectl -n ${c.svc.domain} rollout status deployment/${c.svc.name}
`;
}
