/**
 * notify — getting words out of Cairn to other systems: audit events to a SIEM (RFC 5424 syslog
 * over TCP or TLS, Splunk HEC over HTTP) through transports the audit outbox drives, and alerts
 * (anomalies now, monitoring later) to webhooks and Slack through the Notifier.
 *
 * It only delivers. It formats nothing about audit semantics — which events, which fields, the
 * RFC 5424, CEF and HEC texts are the audit layer's (src/audit/syslog.ts, hec.ts); here they are
 * opaque strings, framed for the wire. It keeps no state beyond a connection: no cursor, no queue,
 * no retry of SIEM batches (the outbox owns those; siem-transport.ts states the at-least-once
 * contract). It never logs, and never puts a token, a signing key or a webhook URL's path into an
 * error. It imports only errors/ and the policy's types.
 */

export type { Alert, AlertSeverity, AlertSink, SinkResult } from './alert.js';
export type { FromPolicyOptions } from './from-policy.js';
export { alertSinkFromPolicy, alertSinksFromPolicy, siemTransportFromPolicy } from './from-policy.js';
export type { HecTransportOptions } from './hec-transport.js';
export { HecTransport } from './hec-transport.js';
export type { FetchLike } from './http-post.js';
export { redactEndpoint } from './http-post.js';
export type { NotifierOptions } from './notifier.js';
export { Notifier } from './notifier.js';
export type { LostListener, SiemMessage, SiemTransport } from './siem-transport.js';
export type { SlackPayload } from './slack-message.js';
export { slackMessage } from './slack-message.js';
export type { SyslogFraming } from './syslog-framing.js';
export type { SyslogTransportOptions } from './syslog-transport.js';
export { SyslogTransport } from './syslog-transport.js';
export type { WebhookSinkOptions } from './webhook-sinks.js';
export { SIGNATURE_HEADER, SlackSink, signBody, WebhookSink } from './webhook-sinks.js';
