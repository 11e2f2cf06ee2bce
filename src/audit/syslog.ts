import { cefLine } from './cef.js';
import type { AuditEvent } from './event.js';

/** log audit (RFC 5424 §6.2.1). */
const facility = 13;
const notice = 5;
const warning = 4;
/** Cairn's SD-ID: name@<private enterprise number>; 32473 is the one RFC 5612 sets aside for examples. */
export const SD_ID = 'audit@32473';

export interface SyslogOptions {
  /** HOSTNAME field; `-` when absent. */
  readonly host?: string | undefined;
  /** PROCID field; `-` when absent. */
  readonly procId?: string | number | undefined;
  /** MSG: a one-line summary (default), or the event as CEF (SIEMs that parse CEF in syslog). */
  readonly body?: 'summary' | 'cef' | undefined;
  /** Cairn's version, for the CEF header. */
  readonly version?: string | undefined;
}

/**
 * One RFC 5424 message: `<PRI>1 TIMESTAMP HOST cairn PROCID AUDIT [audit@32473 …] MSG`. Framing
 * (octet counting over TCP) is the transport's job, in notify/.
 */
export function syslogMessage(event: AuditEvent, options: SyslogOptions = {}): string {
  const pri = facility * 8 + (event.result === 'denied' || event.result === 'failed' ? warning : notice);
  const params: Array<[string, string | number | null]> = [
    ['seq', event.seq],
    ['id', event.id],
    ['action', event.action],
    ['result', event.result],
    ['identity', event.identity],
    ['target', event.target],
    ['ip', event.ip],
    ['changeId', event.changeId],
    ['approvalId', event.approvalId],
    ['hash', event.hash],
  ];
  const sd = params
    .filter(([, value]) => value !== null)
    .map(([name, value]) => `${name}="${escapeParam(String(value))}"`)
    .join(' ');
  const msg =
    options.body === 'cef'
      ? cefLine(event, options.version ?? '0')
      : `${event.identity} ${event.action}${event.target === null ? '' : ` ${event.target}`}: ${event.result}`;
  const header = [`<${pri}>1`, event.time, field(options.host, 255), 'cairn', field(options.procId, 128), 'AUDIT'];
  return `${header.join(' ')} [${SD_ID} ${sd}] ${msg.replace(/[\r\n]+/g, ' ')}`;
}

/**
 * SD-PARAM values escape `"`, `\` and `]` (RFC 5424 §6.3.3). Line breaks become spaces: receivers
 * that frame by newline would otherwise split the message (the exact value is in the catalog).
 */
export function escapeParam(value: string): string {
  return value.replace(/["\\\]]/g, (c) => `\\${c}`).replace(/[\r\n]+/g, ' ');
}

/** Header fields are printable US-ASCII without spaces, or `-`. */
function field(value: string | number | undefined, max: number): string {
  const text = value === undefined ? '' : String(value).replace(/[^\x21-\x7e]/g, '');
  return text === '' ? '-' : text.slice(0, max);
}
