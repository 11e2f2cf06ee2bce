import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ROLES } from '../policy/index.js';
import { PERMISSION_NAMES } from './permissions.js';
import { renderPermissionsTable, TABLE_END, TABLE_START, withPermissionsTable } from './permissions-table.js';

const doc = fileURLToPath(new URL('../../docs/ACCESS.md', import.meta.url));

describe('docs/ACCESS.md', () => {
  it('holds the permissions matrix exactly as the code has it (CAIRN_UPDATE_DOCS=1 rewrites it)', async () => {
    const text = await readFile(doc, 'utf8');
    const current = withPermissionsTable(text);
    if (current !== text && process.env.CAIRN_UPDATE_DOCS === '1') await writeFile(doc, current);
    else {
      assert.equal(
        text,
        current,
        'docs/ACCESS.md differs from src/auth/permissions.ts: run ' +
          '`CAIRN_UPDATE_DOCS=1 node --import tsx --test src/auth/permissions-doc.test.ts`',
      );
    }
  });

  it('renders one row per permission and one column per role', () => {
    const lines = renderPermissionsTable().split('\n');
    assert.equal(lines.length, PERMISSION_NAMES.length + 2);
    assert.equal(lines[0], `| Permission | What it allows | anonymous | ${ROLES.join(' | ')} |`);
    assert.match(lines[2] ?? '', /^\| `health\.read` \| .* \| ✓ \| ✓ \| ✓ \| ✓ \| ✓ \| ✓ \| ✓ \|$/);
    assert.match(
      lines.find((line) => line.includes('`approvals.grant`')) ?? '',
      /\| {2}\| {2}\| {2}\| {2}\| ✓ \| {2}\| {2}\|$/,
    );
  });

  it('refuses a document without the table markers', () => {
    assert.throws(() => withPermissionsTable('# Access\n'), /markers/);
    assert.ok(withPermissionsTable(`a\n${TABLE_START}\nold\n${TABLE_END}\nb`).includes('`keys.manage`'));
  });
});
