import type { AuditLog } from '../../audit/index.js';
import type { AuditEventInput, AuditSink } from '../deps.js';

/**
 * The server's AuditSink over the hash-chained audit log. AuditLog.record throws CAIRN_E_AUDIT when
 * the event cannot be written, and the server then refuses the request (fail closed).
 */
export class AuditLogSink implements AuditSink {
  readonly #log: AuditLog;

  constructor(log: AuditLog) {
    this.#log = log;
  }

  async record(event: AuditEventInput): Promise<void> {
    await this.#log.record(event);
  }
}
