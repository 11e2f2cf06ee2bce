import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { catalogTargets } from '../catalog/test-support.js';
import { eventHash, hashMatches } from './event.js';
import { exportAudit } from './export.js';
import { auditFixture, input, recordMany } from './test-support.js';

async function lines(iterable: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const line of iterable) out.push(line);
  return out;
}

for (const target of catalogTargets) {
  describe(`exportAudit on ${target.dialect}`, () => {
    it('writes every event as canonical JSON, oldest first, across pages; each hash can be recomputed', async (t) => {
      const f = await auditFixture(t, target);
      const events = await recordMany(f, 7);
      const jsonl = await lines(exportAudit(f.catalog.audit, {}, 'jsonl', { pageSize: 3 }));
      assert.equal(jsonl.length, 7);
      const parsed = jsonl.map((l) => JSON.parse(l));
      assert.deepEqual(parsed, events);
      for (const e of parsed) assert.ok(hashMatches(e) && eventHash(e) === e.hash);
    });

    it('applies the filter and the limit, and writes CEF', async (t) => {
      const f = await auditFixture(t, target);
      await recordMany(f, 6);
      await f.log.record(input(7, { action: 'restore.run', target: 'a|b=c' }));
      const mine = await lines(
        exportAudit(f.catalog.audit, { identity: 'token:ci-bot', limit: 2 }, 'jsonl', { pageSize: 1 }),
      );
      assert.deepEqual(
        mine.map((l) => JSON.parse(l).seq),
        [1, 3],
      );
      const cef = await lines(exportAudit(f.catalog.audit, { action: 'restore.*' }, 'cef', { version: '0.1.0' }));
      assert.equal(cef.length, 1);
      assert.match(
        cef[0]!,
        /^CEF:0\|Cairn\|Cairn\|0\.1\.0\|restore\.run\|restore\.run ok\|3\|.* cs3=a\|b\\=c .*cn1=7$/,
      );
    });
  });
}
