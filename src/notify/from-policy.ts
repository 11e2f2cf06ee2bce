/**
 * The policy's sink declarations turned into working sinks and transports. URLs, tokens and keys
 * named by an environment variable (*Env) are read from `env` and win over an inline url. An alert
 * sink that cannot work — a kind not built yet, a variable not set — still becomes a sink, one that
 * fails when used, so one bad entry never silences the others.
 */
import { CairnError } from '../errors/index.js';
import type { AlertSink as PolicyAlertSink, SiemSink } from '../policy/index.js';
import type { Alert, AlertSink } from './alert.js';
import { HecTransport } from './hec-transport.js';
import type { FetchLike } from './http-post.js';
import type { SiemTransport } from './siem-transport.js';
import { SyslogTransport } from './syslog-transport.js';
import { SlackSink, WebhookSink } from './webhook-sinks.js';

type Env = Readonly<Record<string, string | undefined>>;

export interface FromPolicyOptions {
  /** Where *Env variables are read; process.env by default. */
  readonly env?: Env;
  readonly timeoutMs?: number;
  readonly fetch?: FetchLike;
}

export function alertSinksFromPolicy(sinks: readonly PolicyAlertSink[], options: FromPolicyOptions = {}): AlertSink[] {
  return sinks.map((sink) => alertSinkFromPolicy(sink, options));
}

export function alertSinkFromPolicy(sink: PolicyAlertSink, options: FromPolicyOptions = {}): AlertSink {
  const env = options.env ?? process.env;
  const common = {
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  };
  try {
    switch (sink.kind) {
      case 'webhook': {
        // The policy schema allows secretEnv (the HMAC key) on webhook sinks.
        const secretEnv = (sink as { readonly secretEnv?: string }).secretEnv;
        const secret = secretEnv ? fromEnv(env, secretEnv, 'webhook signing key') : undefined;
        const url = pickUrl(env, sink.urlEnv, sink.url, 'webhook');
        return new WebhookSink({ url, ...(secret ? { secret } : {}), ...common });
      }
      case 'slack':
        return new SlackSink({ url: pickUrl(env, sink.webhookEnv, sink.url, 'slack'), ...common });
      default:
        throw new CairnError(
          'CAIRN_E_NOT_IMPLEMENTED',
          `alert sink "${sink.type}" is not implemented yet (issue 6); use webhook or slack`,
          { sink: sink.type },
        );
    }
  } catch (err) {
    if (!(err instanceof CairnError)) throw err;
    return failingSink(sink.kind === 'other' ? sink.type : sink.kind, err);
  }
}

/** A transport for one `audit.siem` entry; a missing token or bad URL throws here, at setup. */
export function siemTransportFromPolicy(sink: SiemSink, options: FromPolicyOptions = {}): SiemTransport {
  const env = options.env ?? process.env;
  if (sink.kind === 'syslog') {
    return new SyslogTransport({ url: sink.url, ...(sink.caFile ? { caFile: sink.caFile } : {}) });
  }
  if (!sink.tokenEnv) {
    throw new CairnError('CAIRN_E_NO_SECRET', 'an http SIEM sink needs tokenEnv, the variable holding the HEC token');
  }
  return new HecTransport({
    url: sink.url,
    token: fromEnv(env, sink.tokenEnv, 'HEC token'),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}

function pickUrl(env: Env, name: string | undefined, url: string | undefined, kind: string): string {
  if (name) return fromEnv(env, name, `${kind} URL`);
  if (url) return url;
  throw new CairnError(
    'CAIRN_E_POLICY_INVALID',
    `a ${kind} alert sink needs a url or an environment variable naming one`,
  );
}

function fromEnv(env: Env, name: string, what: string): string {
  const value = env[name];
  if (!value) throw new CairnError('CAIRN_E_NO_SECRET', `set ${name}: it holds the ${what}`, { env: name });
  return value;
}

function failingSink(kind: string, error: CairnError): AlertSink {
  return {
    name: kind,
    deliver: (_alert: Alert) => Promise.reject(error),
  };
}
