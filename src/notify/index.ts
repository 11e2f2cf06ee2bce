/**
 * notify — getting words out of Cairn to other systems: audit events to a SIEM (RFC 5424 syslog
 * over TCP or TLS, Splunk HEC over HTTP) through transports the audit outbox drives, and alerts
 * through the Notifier (or one sink at a time, as the AlertCenter's delivery queue does).
 *
 * It only delivers. It formats nothing about audit semantics — which events, which fields, the
 * RFC 5424, CEF and HEC texts are the audit layer's (src/audit/syslog.ts, hec.ts); here they are
 * opaque strings, framed for the wire. Alerts go to webhooks, Slack, PagerDuty (Events v2) and
 * e-mail (SMTP), each sink filtered by the policy's `for:` and showing the event (trigger,
 * acknowledge, resolve, escalate). It keeps no state beyond a connection: no cursor, no queue,
 * no retry of SIEM batches (the outbox owns those; siem-transport.ts states the at-least-once
 * contract). It never logs, and never puts a token, a signing key or a webhook URL's path into an
 * error, and never an SMTP password or a PagerDuty routing key. It imports only errors/ and the
 * policy's types.
 */

export type { Alert, AlertEvent, AlertSeverity, AlertSink, SinkResult } from './alert.js';
export { ALERT_EVENTS } from './alert.js';
export { eventPrefix } from './alert-text.js';
export type { EmailSinkOptions } from './email-sink.js';
export { EmailSink, emailSubject, emailText, parseSmtpUrl } from './email-sink.js';
export type { FromPolicyOptions } from './from-policy.js';
export { alertSinkFromPolicy, alertSinksFromPolicy, siemTransportFromPolicy } from './from-policy.js';
export type { HecTransportOptions } from './hec-transport.js';
export { HecTransport } from './hec-transport.js';
export type { FetchLike } from './http-post.js';
export { redactEndpoint } from './http-post.js';
export type { NotifierOptions } from './notifier.js';
export { isTransientSinkError, Notifier } from './notifier.js';
export type { PagerDutyEvent, PagerDutySinkOptions } from './pagerduty-sink.js';
export { PAGERDUTY_EVENTS_URL, PagerDutySink, pagerDutyDedupKey, pagerDutyEvent } from './pagerduty-sink.js';
export type { LostListener, SiemMessage, SiemTransport } from './siem-transport.js';
export { acceptsFor, categoryOf, sinkAccepts } from './sink-filter.js';
export type { SlackPayload } from './slack-message.js';
export { slackMessage } from './slack-message.js';
export type { SyslogFraming } from './syslog-framing.js';
export type { SyslogTransportOptions } from './syslog-transport.js';
export { SyslogTransport } from './syslog-transport.js';
export type { WebhookSinkOptions } from './webhook-sinks.js';
export { SIGNATURE_HEADER, SlackSink, signBody, WebhookSink } from './webhook-sinks.js';
