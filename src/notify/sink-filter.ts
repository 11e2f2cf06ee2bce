/**
 * The policy's `for:` on an alert sink, as the sink's `accepts`. A sink with no `for` takes every
 * alert. Otherwise it takes an alert whose category is listed; an escalation also reaches sinks
 * that list `escalation`, and so do the acknowledge and resolve of an alert that was escalated
 * (so the pager hears the incident ended). An alert without a category gets one from its kind
 * (policy's ALERT_KINDS); any other kind is an anomaly, which is what uncategorised alerts were.
 */
import { type AlertCategory, categoryOfKind } from '../policy/index.js';
import type { Alert } from './alert.js';

export function categoryOf(alert: Alert): AlertCategory {
  return alert.category ?? categoryOfKind(alert.kind);
}

/** `accepts` for a sink declared with `for: categories`; undefined (take all) when absent. */
export function acceptsFor(categories: readonly AlertCategory[] | undefined): ((alert: Alert) => boolean) | undefined {
  if (categories === undefined) return undefined;
  const wanted = new Set<string>(categories);
  return (alert) => {
    if (wanted.has(categoryOf(alert))) return true;
    if (!wanted.has('escalation')) return false;
    const event = alert.event ?? 'trigger';
    return event === 'escalate' || (alert.escalated === true && (event === 'acknowledge' || event === 'resolve'));
  };
}

/** A sink's `accepts`, treating a sink without one as taking everything. */
export function sinkAccepts(sink: { accepts?(alert: Alert): boolean }, alert: Alert): boolean {
  return sink.accepts ? sink.accepts(alert) : true;
}
