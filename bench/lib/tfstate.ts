// Terraform state files (format version 4): the few big, highly compressible JSON files of a config estate.
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Rng } from './rng.js';

interface StateCtx {
  r: Rng;
  env: string;
  account: string;
  region: string;
  stack: string;
}

type Attributes = Record<string, unknown>;
const WORDS = ['api', 'web', 'batch', 'data', 'edge', 'core', 'ops', 'ml', 'etl', 'cache', 'mq', 'search'];

function tags(x: StateCtx, name: string): Record<string, string> {
  return {
    Name: name,
    environment: x.env,
    stack: x.stack,
    managed_by: 'terraform',
    cost_center: `cc-${x.r.int(100, 140)}`,
  };
}

function arn(x: StateCtx, service: string, resource: string): string {
  return `arn:aws:${service}:${x.region}:${x.account}:${resource}`;
}

const builders: Record<string, (x: StateCtx, name: string) => Attributes> = {
  aws_security_group_rule: (x, name) => {
    const port = x.r.pick([22, 80, 443, 5432, 6379, 8080, 9092, 9200]);
    return {
      cidr_blocks: [`10.${x.r.int(0, 80)}.0.0/16`],
      description: `${name} ${port}`,
      from_port: port,
      id: `sgrule-${x.r.int(1000000000, 4294967295)}`,
      ipv6_cidr_blocks: null,
      prefix_list_ids: [],
      protocol: 'tcp',
      security_group_id: `sg-0${x.r.hex(16)}`,
      security_group_rule_id: `sgr-0${x.r.hex(16)}`,
      self: false,
      source_security_group_id: null,
      timeouts: null,
      to_port: port,
      type: x.r.pick(['ingress', 'egress']),
    };
  },
  aws_route53_record: (x, name) => {
    const fqdn = `${name}.${x.env}.acme.internal`;
    return {
      alias: [],
      allow_overwrite: null,
      fqdn,
      health_check_id: '',
      id: `Z0${x.r.hex(12).toUpperCase()}_${fqdn}_A`,
      multivalue_answer_routing_policy: false,
      name: fqdn,
      records: Array.from({ length: x.r.int(1, 3) }, () => x.r.ip()),
      set_identifier: '',
      ttl: x.r.pick([60, 300, 3600]),
      type: 'A',
      zone_id: `Z0${x.r.hex(12).toUpperCase()}`,
    };
  },
  aws_iam_policy: (x, name) => {
    const statements = Array.from({ length: x.r.int(1, 6) }, (_, i) => ({
      Sid: `Allow${i}`,
      Effect: 'Allow',
      Action: x.r.sample(
        [
          's3:GetObject',
          's3:PutObject',
          's3:ListBucket',
          'sqs:SendMessage',
          'sqs:ReceiveMessage',
          'kms:Decrypt',
          'logs:PutLogEvents',
          'dynamodb:Query',
          'dynamodb:PutItem',
        ],
        x.r.int(1, 5),
      ),
      Resource: [`arn:aws:s3:::acme-${x.env}-${name}`, `arn:aws:s3:::acme-${x.env}-${name}/*`],
    }));
    return {
      arn: `arn:aws:iam::${x.account}:policy/${x.env}-${name}`,
      description: `Access for ${name}`,
      id: `arn:aws:iam::${x.account}:policy/${x.env}-${name}`,
      name: `${x.env}-${name}`,
      name_prefix: '',
      path: '/',
      policy: JSON.stringify({ Version: '2012-10-17', Statement: statements }),
      tags: tags(x, name),
      tags_all: tags(x, name),
    };
  },
  aws_instance: (x, name) => {
    const id = `i-0${x.r.hex(16)}`;
    const ip = x.r.ip();
    return {
      ami: `ami-0${x.r.hex(16)}`,
      arn: arn(x, 'ec2', `instance/${id}`),
      associate_public_ip_address: false,
      availability_zone: `${x.region}${x.r.pick(['a', 'b', 'c'])}`,
      cpu_core_count: x.r.pick([1, 2, 4]),
      cpu_threads_per_core: 2,
      disable_api_termination: x.env === 'prod',
      ebs_optimized: true,
      iam_instance_profile: `${x.env}-${name}`,
      id,
      instance_state: 'running',
      instance_type: x.r.pick(['t3.medium', 'm6i.large', 'm6i.xlarge', 'c6i.2xlarge', 'r6i.large']),
      key_name: '',
      metadata_options: [{ http_endpoint: 'enabled', http_put_response_hop_limit: 2, http_tokens: 'required' }],
      monitoring: true,
      primary_network_interface_id: `eni-0${x.r.hex(16)}`,
      private_dns: `ip-${ip.replace(/\./g, '-')}.${x.region}.compute.internal`,
      private_ip: ip,
      root_block_device: [
        {
          delete_on_termination: true,
          encrypted: true,
          iops: 3000,
          throughput: 125,
          volume_id: `vol-0${x.r.hex(16)}`,
          volume_size: x.r.pick([20, 50, 100]),
          volume_type: 'gp3',
        },
      ],
      subnet_id: `subnet-0${x.r.hex(16)}`,
      tags: tags(x, name),
      tags_all: tags(x, name),
      tenancy: 'default',
      vpc_security_group_ids: [`sg-0${x.r.hex(16)}`],
    };
  },
  aws_subnet: (x, name) => {
    const id = `subnet-0${x.r.hex(16)}`;
    return {
      arn: arn(x, 'ec2', `subnet/${id}`),
      assign_ipv6_address_on_creation: false,
      availability_zone: `${x.region}${x.r.pick(['a', 'b', 'c'])}`,
      cidr_block: `10.${x.r.int(0, 80)}.${x.r.int(0, 255)}.0/24`,
      id,
      map_public_ip_on_launch: false,
      owner_id: x.account,
      tags: tags(x, name),
      tags_all: tags(x, name),
      vpc_id: `vpc-0${x.r.hex(16)}`,
    };
  },
  aws_cloudwatch_metric_alarm: (x, name) => ({
    actions_enabled: true,
    alarm_actions: [arn(x, 'sns', `${x.env}-alerts`)],
    alarm_description: `${name} is unhealthy`,
    alarm_name: `${x.env}-${name}-${x.r.pick(['errors', 'latency', 'cpu', 'memory'])}`,
    comparison_operator: 'GreaterThanThreshold',
    datapoints_to_alarm: x.r.int(1, 5),
    dimensions: { ServiceName: name, ClusterName: `${x.env}-cluster` },
    evaluation_periods: x.r.int(1, 10),
    id: `${x.env}-${name}`,
    metric_name: x.r.pick(['CPUUtilization', 'MemoryUtilization', '5XXError', 'TargetResponseTime']),
    namespace: x.r.pick(['AWS/ECS', 'AWS/ApplicationELB', 'AWS/RDS']),
    period: x.r.pick([60, 300]),
    statistic: 'Average',
    tags: tags(x, name),
    threshold: x.r.int(1, 95),
    treat_missing_data: 'missing',
  }),
  aws_db_parameter_group: (x, name) => ({
    arn: arn(x, 'rds', `pg:${x.env}-${name}`),
    description: 'Managed by Terraform',
    family: x.r.pick(['postgres14', 'postgres15', 'postgres16']),
    id: `${x.env}-${name}`,
    name: `${x.env}-${name}`,
    parameter: [
      'log_min_duration_statement',
      'max_connections',
      'shared_buffers',
      'work_mem',
      'maintenance_work_mem',
      'random_page_cost',
      'effective_cache_size',
      'log_statement',
      'idle_in_transaction_session_timeout',
      'statement_timeout',
      'autovacuum_naptime',
      'checkpoint_timeout',
    ].map((p) => ({
      apply_method: x.r.pick(['immediate', 'pending-reboot']),
      name: p,
      value: String(x.r.int(1, 65536)),
    })),
    tags: tags(x, name),
  }),
  kubernetes_config_map: (x, name) => ({
    binary_data: null,
    data: Object.fromEntries(
      Array.from({ length: x.r.int(4, 30) }, (_, i) => [
        `${x.r.pick(WORDS)}.${x.r.pick(['timeout', 'url', 'size', 'enabled'])}.${i}`,
        x.r.pick(['true', 'false', `${x.r.int(1, 600)}s`, `https://${x.r.pick(WORDS)}.${x.env}.acme.internal`]),
      ]),
    ),
    id: `${x.r.pick(WORDS)}/${name}`,
    immutable: false,
    metadata: [
      {
        annotations: {},
        generate_name: '',
        generation: 0,
        labels: { app: name, environment: x.env },
        name,
        namespace: x.r.pick(WORDS),
        resource_version: String(x.r.int(1000000, 99999999)),
        uid: x.r.uuid(),
      },
    ],
  }),
  helm_release: (x, name) => ({
    atomic: true,
    chart: name,
    id: name,
    metadata: [
      {
        app_version: `${x.r.int(1, 9)}.${x.r.int(0, 30)}.${x.r.int(0, 9)}`,
        chart: name,
        name,
        namespace: 'platform',
        revision: x.r.int(1, 300),
        values: JSON.stringify({ replicaCount: x.r.int(1, 9), resources: { limits: { cpu: '1', memory: '1Gi' } } }),
        version: `${x.r.int(1, 30)}.${x.r.int(0, 9)}.0`,
      },
    ],
    name,
    namespace: 'platform',
    repository: 'https://charts.acme.internal',
    status: 'deployed',
    timeout: 600,
    values: [
      Array.from(
        { length: x.r.int(10, 80) },
        (_, i) =>
          `${x.r.pick(WORDS)}${i}:\n  enabled: ${x.r.chance(0.5)}\n  replicas: ${x.r.int(1, 9)}\n  host: ${x.r.pick(WORDS)}.${x.env}.acme.internal\n`,
      ).join(''),
    ],
    version: `${x.r.int(1, 30)}.${x.r.int(0, 9)}.0`,
    wait: true,
  }),
};
const TYPES = Object.keys(builders);

function resource(x: StateCtx, index: number): unknown {
  const type = x.r.pick(TYPES);
  const name = `${x.r.pick(WORDS)}_${x.r.pick(WORDS)}_${index}`;
  const count = x.r.chance(0.3) ? x.r.int(2, 12) : 1;
  const provider = type.startsWith('kubernetes') || type === 'helm_release' ? type.split('_')[0] : 'aws';
  return {
    mode: 'managed',
    type,
    name,
    provider: `provider["registry.terraform.io/hashicorp/${provider}"]`,
    instances: Array.from({ length: count }, (_, i) => ({
      ...(count > 1 ? { index_key: i } : {}),
      schema_version: x.r.int(0, 2),
      attributes: builders[type]!(x, name.replace(/_/g, '-')),
      sensitive_attributes: [],
      dependencies: x.r.chance(0.5) ? [`module.${x.stack}.aws_iam_role.${x.r.pick(WORDS)}`] : [],
    })),
  };
}

/** Writes about `targetBytes` of state to `path`; returns the bytes written. */
export function writeTfState(path: string, targetBytes: number, x: StateCtx): number {
  const fd = openSync(path, 'w');
  let pending: string[] = [];
  let pendingLength = 0;
  let written = 0;
  const emit = (text: string) => {
    pending.push(text);
    pendingLength += text.length;
    if (pendingLength >= 1 << 20) flush();
  };
  const flush = () => {
    written += writeSync(fd, pending.join(''));
    pending = [];
    pendingLength = 0;
  };
  try {
    const outputs = Object.fromEntries(
      WORDS.map((w) => [`${w}_endpoint`, { value: `${w}.${x.env}.acme.internal`, type: 'string' }]),
    );
    const head = { version: 4, terraform_version: '1.5.7', serial: x.r.int(100, 9000), lineage: x.r.uuid(), outputs };
    emit(`${JSON.stringify(head, null, 2).slice(0, -2)},\n  "resources": [\n`);
    for (let i = 0; written + pendingLength < targetBytes; i++) {
      const body = JSON.stringify(resource(x, i), null, 2).replace(/\n/g, '\n    ');
      emit(`${i > 0 ? ',\n' : ''}    ${body}`);
    }
    emit('\n  ],\n  "check_results": null\n}\n');
    flush();
  } finally {
    closeSync(fd);
  }
  return written;
}
