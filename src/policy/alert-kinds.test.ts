import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ALERT_CATEGORIES, ALERT_KINDS, categoryOfKind, isAlertKind } from './index.js';

describe('alert kinds', () => {
  it('gives every stable kind a known category', () => {
    for (const [kind, category] of Object.entries(ALERT_KINDS)) {
      assert.ok((ALERT_CATEGORIES as readonly string[]).includes(category), kind);
      assert.equal(categoryOfKind(kind), category);
    }
  });

  it('makes any other kind an anomaly, including names an object inherits', () => {
    for (const kind of [
      'bulk-delete',
      'off-hours-restore',
      'auth-failures',
      '',
      'toString',
      '__proto__',
      'constructor',
    ]) {
      assert.equal(isAlertKind(kind), false, kind);
      assert.equal(categoryOfKind(kind), 'anomaly', kind);
    }
  });

  it('matches the kinds table of docs/MONITORING.md', () => {
    const doc = readFileSync(new URL('../../docs/MONITORING.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('## Alert kinds and categories'), doc.indexOf('## Life of an alert'));
    const rows = [...section.matchAll(/^\| `([a-z-]+)` \| ([a-z]+) \|/gm)].map((m) => [m[1], m[2]]);
    assert.deepEqual(Object.fromEntries(rows), ALERT_KINDS);
  });
});
