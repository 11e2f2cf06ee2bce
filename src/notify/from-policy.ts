/**
 * The policy's sink declarations turned into working sinks and transports. URLs, tokens, keys and
 * passwords named by an environment variable (*Env) are read from `env` and win over an inline url.
 * Each alert sink's `for:` becomes its `accepts`. An alert sink that cannot work — a variable not
 * set, a bad URL — still becomes a sink, one that fails (permanently) when used, so one bad entry
 * never silences the others.
 */
import { CairnError } from '../errors/index.js';
import type { AlertSink as PolicyAlertSink, SiemSink } from '../policy/index.js';
import type { Alert, AlertSink } from './alert.js';
import { EmailSink } from './email-sink.js';
import { HecTransport } from './hec-transport.js';
import type { FetchLike } from './http-post.js';
import { PAGERDUTY_EVENTS_URL, PagerDutySink } from './pagerduty-sink.js';
import type { SiemTransport } from './siem-transport.js';
import { acceptsFor } from './sink-filter.js';
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
    ...(sink.for ? { for: sink.for } : {}),
  };
  const http = { ...common, ...(options.fetch ? { fetch: options.fetch } : {}) };
  try {
    switch (sink.kind) {
      case 'webhook': {
        const secret = sink.secretEnv ? fromEnv(env, sink.secretEnv, 'webhook signing key') : undefined;
        const url = pickUrl(env, sink.urlEnv, sink.url, 'webhook');
        return new WebhookSink({ url, ...(secret ? { secret } : {}), ...http });
      }
      case 'slack':
        return new SlackSink({ url: pickUrl(env, sink.webhookEnv, sink.url, 'slack'), ...http });
      case 'pagerduty':
        return new PagerDutySink({
          routingKey: fromEnv(env, sink.routingKeyEnv, 'PagerDuty routing key'),
          url: sink.url || PAGERDUTY_EVENTS_URL,
          ...http,
        });
      case 'email': {
        const user = sink.userEnv ? fromEnv(env, sink.userEnv, 'SMTP user name') : undefined;
        const password = sink.passwordEnv ? fromEnv(env, sink.passwordEnv, 'SMTP password') : undefined;
        if (password !== undefined && user === undefined) {
          throw new CairnError('CAIRN_E_POLICY_INVALID', 'an e-mail alert sink with passwordEnv needs userEnv too');
        }
        return new EmailSink({
          smtp: sink.smtp,
          to: sink.to,
          ...(sink.from ? { from: sink.from } : {}),
          ...(user !== undefined ? { user, ...(password !== undefined ? { password } : {}) } : {}),
          ...common,
        });
      }
      default:
        throw new CairnError('CAIRN_E_POLICY_INVALID', `unknown alert sink kind "${(sink as { kind: string }).kind}"`);
    }
  } catch (err) {
    if (!(err instanceof CairnError)) throw err;
    return failingSink(failingName(sink), err, acceptsFor(sink.for));
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

/** The sink's kind and, where it is no secret, where it points: "email smtp://mail:587", "slack". */
function failingName(sink: PolicyAlertSink): string {
  if (sink.kind === 'email') {
    const at = /^(smtps?:\/\/)(?:[^@/]*@)?([^/?#]*)/.exec(sink.smtp ?? '');
    return at ? `email ${at[1]}${at[2]}` : 'email';
  }
  return (sink as { kind: string }).kind;
}

function failingSink(name: string, error: CairnError, accepts?: (alert: Alert) => boolean): AlertSink {
  // Not transient: the next attempt fails the same way until the policy or the environment changes.
  const failure = new CairnError(error.code, error.message, { ...error.details, transient: false });
  return {
    name,
    deliver: (_alert: Alert) => Promise.reject(failure),
    ...(accepts ? { accepts } : {}),
  };
}
