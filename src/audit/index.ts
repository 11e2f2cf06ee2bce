/**
 * audit/ — the tamper-evident audit trail (docs/AUDIT.md). It builds and hash-chains events, writes
 * Ed25519-signed checkpoints through a CheckpointStore, verifies the chain against them, exports
 * (JSONL, CEF), formats for SIEMs (RFC 5424, Splunk HEC), forwards through an outbox with a cursor,
 * and watches the stream for anomalies. Recording is part of the action: when an event cannot be
 * written, record() throws CAIRN_E_AUDIT and the caller refuses the action.
 *
 * It must not open sockets or send anything itself (transports and alert channels are notify/'s,
 * behind AuditForwarder and Notifier), must not know the repository or its key (CheckpointStore,
 * implemented in services/), and must never put a secret or token in an event.
 */
export { AnomalyDetector, type AnomalyDetectorOptions } from './anomaly-detector.js';
export { AnomalyRules, isDeletion, isRestore } from './anomaly-rules.js';
export type { Anomaly, AnomalyKind, Notifier } from './anomaly-types.js';
export { type AuditListener, AuditLog, type AuditLogOptions } from './audit-log.js';
export { localTime, withinBusinessHours } from './business-hours.js';
export { canonicalJson } from './canonical-json.js';
export { cefLine, escapeExtension, escapeHeader, severity as cefSeverity } from './cef.js';
export {
  type CheckpointBody,
  checkpointName,
  isCheckpointName,
  parseCheckpoint,
  publicKeyText,
  type SignedCheckpoint,
  seqOfCheckpointName,
  signatureValid,
} from './checkpoint-format.js';
export type { CheckpointStore, SigningKeyPair } from './checkpoint-store.js';
export {
  AUDIT_RESULTS,
  type AuditEvent,
  type AuditInput,
  type AuditResult,
  eventHash,
  eventLine,
  GENESIS_HASH,
  hashMatches,
} from './event.js';
export { type AuditExportFormat, type ExportOptions, exportAudit } from './export.js';
export { type AuditForwarder, forwardTo, type TextTransport } from './forwarder.js';
export { type HecEvent, hecBody, hecEvent } from './hec.js';
export { MemCheckpointStore } from './mem-checkpoint-store.js';
export { Outbox, type OutboxOptions, retryDelay } from './outbox.js';
export { isSecretKey, sanitizeDetails } from './sanitize.js';
export { auditSettings, DEFAULT_AUDIT_RETENTION_MS, defaultAuditSettings } from './settings.js';
export { escapeParam, SD_ID, type SyslogOptions, syslogMessage } from './syslog.js';
export { type VerifyAuditOptions, verifyAudit } from './verify.js';
export type { AuditFinding, AuditProblem, AuditVerifyResult } from './verify-types.js';
