/**
 * Restore targets against what the item stores: a `secrets: redact` item's snapshots hold placeholders
 * in place of its secrets (restoring them would write `[REDACTED:…]` into live configuration), and a
 * directory target of an item with several sources takes only the files source rooted at that folder.
 * Reads the raw document defensively, like check.ts.
 */
import { posix } from 'node:path';
import type { Report } from './check-release.js';

type Raw = Record<string, unknown>;

export function checkTargets(root: Raw): Array<Parameters<Report>> {
  const out: Array<Parameters<Report>> = [];
  const items = Array.isArray(root.items) ? root.items : [];
  items.forEach((value, i) => {
    const item = record(value);
    const restore = record(item?.restore);
    if (!item || !restore) return;
    const label = typeof item.name === 'string' ? `item "${item.name}"` : `items[${i}]`;
    if (item.secrets === 'redact') {
      out.push([
        'warning',
        ['items', i, 'secrets'],
        `${label} has secrets: redact and a restore target: its snapshots hold [REDACTED:…] placeholders, ` +
          'so restore --to-target and rollbacks of it are refused (use secrets: encrypt to restore it)',
      ]);
    }
    const sources = Array.isArray(item.sources) ? item.sources : [];
    if (typeof restore.directory !== 'string' || sources.length <= 1) return;
    const dir = norm(restore.directory);
    const rooted = sources.some((s) => {
      const root = record(record(s)?.files)?.root;
      return typeof root === 'string' && norm(root) === dir;
    });
    if (!rooted) {
      out.push([
        'error',
        ['items', i, 'restore', 'directory'],
        `${label} has ${sources.length} sources, and restore.directory ${restore.directory} is the root of none of ` +
          'its files sources: a directory target takes the files source rooted there (or use one source per item)',
      ]);
    }
  });
  return out;
}

function norm(path: string): string {
  return posix.normalize(path.replaceAll('\\', '/')).replace(/\/+$/, '') || '/';
}

function record(value: unknown): Raw | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Raw) : undefined;
}
