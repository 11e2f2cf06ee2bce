import { canonicalJson } from './canonical-json.js';
import type { AuditEvent } from './event.js';

/**
 * ArcSight CEF: `CEF:0|Cairn|Cairn|<version>|<action>|<name>|<severity>|<extension>`. Header fields
 * escape `\` and `|`; extension values escape `\`, `=` and line breaks (CEF spec, "Character
 * Encoding"). Labels of the custom fields travel beside them (cs1Label=changeId…).
 */
export function cefLine(event: AuditEvent, version: string): string {
  const header = ['CEF:0', 'Cairn', 'Cairn', version, event.action, `${event.action} ${event.result}`, severity(event)];
  const extension: Array<[string, string | number | null]> = [
    ['rt', Date.parse(event.time)],
    ['externalId', event.id],
    ['suser', event.identity],
    ['spriv', event.roles.join(',')],
    ['src', event.ip],
    ['requestClientApplication', event.userAgent],
    ['act', event.action],
    ['outcome', event.result],
    ['cs1Label', 'changeId'],
    ['cs1', event.changeId],
    ['cs2Label', 'approvalId'],
    ['cs2', event.approvalId],
    ['cs3Label', 'target'],
    ['cs3', event.target],
    ['cs4Label', 'details'],
    ['cs4', Object.keys(event.details).length > 0 ? canonicalJson(event.details) : null],
    ['cs5Label', 'hash'],
    ['cs5', event.hash],
    ['cn1Label', 'seq'],
    ['cn1', event.seq],
  ];
  const ext = extension
    .filter(([key, value]) => value !== null && value !== '' && !(key.endsWith('Label') && labelUnused(extension, key)))
    .map(([key, value]) => `${key}=${escapeExtension(String(value))}`)
    .join(' ');
  return `${header.map((field, i) => (i === 0 ? field : escapeHeader(String(field)))).join('|')}|${ext}`;
}

/** 0–10: routine reads and writes low, refusals and failures higher, anomalies highest. */
export function severity(event: AuditEvent): number {
  if (event.action.startsWith('anomaly.')) return 9;
  if (event.action === 'auth.fail') return 7;
  if (event.result === 'denied') return 6;
  if (event.result === 'failed') return 5;
  return 3;
}

export function escapeHeader(value: string): string {
  return value.replace(/[\\|]/g, (c) => `\\${c}`).replace(/\r\n|\r|\n/g, ' ');
}

export function escapeExtension(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/=/g, '\\=')
    .replace(/\r\n|\n/g, '\\n')
    .replace(/\r/g, '\\r');
}

function labelUnused(extension: ReadonlyArray<[string, unknown]>, labelKey: string): boolean {
  const field = labelKey.slice(0, -'Label'.length);
  const value = extension.find(([key]) => key === field)?.[1];
  return value === null || value === '';
}
