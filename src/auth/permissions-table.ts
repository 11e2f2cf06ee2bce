import { ROLES } from '../policy/index.js';
import { PERMISSION_NAMES, PERMISSIONS } from './permissions.js';

/** Where docs/ACCESS.md holds the rendered table; the text between the markers is replaced whole. */
export const TABLE_START = '<!-- permissions-table:start (generated from src/auth/permissions.ts) -->';
export const TABLE_END = '<!-- permissions-table:end -->';

/** The permissions matrix as a Markdown table: one row per permission, one column per role. */
export function renderPermissionsTable(): string {
  const columns = ['anonymous', ...ROLES];
  const lines = [
    `| Permission | What it allows | ${columns.join(' | ')} |`,
    `| --- | --- | ${columns.map(() => ':---:').join(' | ')} |`,
  ];
  for (const name of PERMISSION_NAMES) {
    const spec = PERMISSIONS[name];
    const anonymous = 'anonymous' in spec && spec.anonymous;
    const marks = [anonymous, ...ROLES.map((role) => (spec.roles as readonly string[]).includes(role))];
    lines.push(`| \`${name}\` | ${spec.description} | ${marks.map((held) => (held ? '✓' : '')).join(' | ')} |`);
  }
  return lines.join('\n');
}

/** `markdown` with the text between the table markers replaced by the current table. */
export function withPermissionsTable(markdown: string): string {
  const start = markdown.indexOf(TABLE_START);
  const end = markdown.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`no ${TABLE_START} … ${TABLE_END} markers`);
  return `${markdown.slice(0, start + TABLE_START.length)}\n${renderPermissionsTable()}\n${markdown.slice(end)}`;
}
