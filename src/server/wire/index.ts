/**
 * server/wire — the composition root of `cairn serve`: it opens the repository, catalog, policy,
 * audit log and access control from the same inputs as the CLI, and adapts them to the server's
 * own interfaces (deps.ts, backend*.ts): AccessGuard, AuditLogSink and the real Backend over the
 * services. It also runs what a long-lived server needs beside requests: audit checkpoints on a
 * timer, SIEM forwarding through the outbox, anomaly detection and its alerts.
 *
 * The rest of src/server must not import from here: the server is built and tested with any
 * ServerDeps; only the CLI's `serve` command (and end-to-end tests) put the two together.
 */
export { AccessGuard } from './access-guard.js';
export { DETECTOR_SINK } from './audit-forwarding.js';
export { AuditLogSink } from './audit-sink.js';
export { PolicySource } from './policy-source.js';
export { type RealBackend, realBackend } from './real-backend.js';
export { createServerRuntime, type RuntimeInputs, type ServerRuntime } from './runtime.js';
export type { WireContext } from './wire-context.js';
