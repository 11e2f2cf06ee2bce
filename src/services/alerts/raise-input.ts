/** What raising an alert takes, checked before anything is recorded. */
import type { AlertRecord } from '../../catalog/index.js';
import { CairnError } from '../../errors/index.js';
import type { AlertSeverity } from '../../notify/index.js';
import { ALERT_CATEGORIES, type AlertCategory } from '../../policy/index.js';

export interface RaiseInput {
  readonly kind: string;
  readonly category: AlertCategory;
  readonly severity: AlertSeverity;
  readonly summary: string;
  readonly details?: Record<string, unknown>;
  readonly dedupKey: string;
}

const SEVERITIES: readonly string[] = ['info', 'warning', 'critical'];
const KIND = /^[a-z][a-z0-9-]*$/;

export function checkRaise(a: RaiseInput): void {
  const bad = (field: string, why: string) => new CairnError('CAIRN_E_USAGE', `alert ${field} ${why}`, { field });
  if (typeof a.kind !== 'string' || !KIND.test(a.kind))
    throw bad('kind', `${JSON.stringify(a.kind)} is not lowercase words joined by "-"`);
  if (!(ALERT_CATEGORIES as readonly string[]).includes(a.category))
    throw bad('category', `${JSON.stringify(a.category)} is not one of ${ALERT_CATEGORIES.join(', ')}`);
  if (!SEVERITIES.includes(a.severity))
    throw bad('severity', `${JSON.stringify(a.severity)} is not one of ${SEVERITIES.join(', ')}`);
  if (typeof a.summary !== 'string' || a.summary.trim() === '') throw bad('summary', 'is empty');
  if (typeof a.dedupKey !== 'string' || a.dedupKey.trim() === '' || a.dedupKey.length > 255)
    throw bad('dedupKey', 'must be 1 to 255 characters');
}

export function stateText(a: AlertRecord): string {
  if (a.state === 'acknowledged') return `already acknowledged by ${a.ackedBy ?? '?'} at ${a.ackedAt ?? '?'}`;
  if (a.state === 'resolved') return `already resolved at ${a.resolvedAt ?? '?'}`;
  return a.state;
}
