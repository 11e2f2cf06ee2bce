import { randomUUID } from 'node:crypto';
import { CairnError } from '../errors/index.js';
import { canonicalJson } from './canonical-json.js';
import { AUDIT_RESULTS, type AuditEvent, type AuditInput } from './event.js';
import { sanitizeDetails } from './sanitize.js';

/** Lowercase dotted words: `snapshot.create`, `anomaly.bulk-delete`. */
const actionPattern = /^[a-z][a-z0-9-]*(\.[a-z0-9-]+)*$/;
const maxDetailsBytes = 8192;
const maxUserAgent = 512;

/** The event's own fields from a caller's input, checked and with secrets removed from details. */
export function eventFields(input: AuditInput, time: Date): Omit<AuditEvent, 'seq' | 'prevHash' | 'hash'> {
  const identity = text(input.identity, 'identity', 256);
  if (identity === null) throw usage('an audit event needs an identity');
  if (typeof input.action !== 'string' || !actionPattern.test(input.action) || input.action.length > 128) {
    throw usage(`audit action ${JSON.stringify(input.action)} is not dotted lowercase words (snapshot.create)`);
  }
  if (!AUDIT_RESULTS.includes(input.result)) {
    throw usage(`audit result ${JSON.stringify(input.result)} is not one of ${AUDIT_RESULTS.join(', ')}`);
  }
  const roles = input.roles ?? [];
  if (!Array.isArray(roles) || roles.some((r) => typeof r !== 'string')) throw usage('audit roles must be strings');
  const details = sanitizeDetails(input.details);
  const size = Buffer.byteLength(canonicalJson(details));
  if (size > maxDetailsBytes) throw usage(`audit details are ${size} bytes; at most ${maxDetailsBytes} are kept`);
  const userAgent = text(input.userAgent, 'userAgent', Number.POSITIVE_INFINITY);
  return {
    id: randomUUID(),
    time: time.toISOString(),
    identity,
    roles: [...roles],
    ip: text(input.ip, 'ip', 64),
    userAgent: userAgent === null ? null : userAgent.slice(0, maxUserAgent),
    action: input.action,
    target: text(input.target, 'target', 1024),
    result: input.result,
    changeId: text(input.changeId, 'changeId', 256),
    approvalId: text(input.approvalId, 'approvalId', 256),
    details,
  };
}

function text(value: string | null | undefined, what: string, max: number): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') throw usage(`audit ${what} must be a string`);
  if (value.length > max) throw usage(`audit ${what} is longer than ${max} characters`);
  return value;
}

function usage(message: string): CairnError {
  return new CairnError('CAIRN_E_USAGE', message);
}
