/**
 * FORMAT.md "Retention (WORM)": a snapshot's WORM retention covers every pack it needs, including
 * packs written earlier by an item with no retention and reused through deduplication.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { isCairnError } from '../src/errors/index.js';
import { LocalStorage } from '../src/storage/index.js';
import { fixture, wormPolicy } from './helpers.js';

const POLICY = wormPolicy([
  { name: 'scratch', owner: 'dev@example.com', tier: 'free', root: 'src/dev' },
  { name: 'ledger', tier: 'worm', root: 'src/copy' },
]);

it('a locked snapshot extends the retention of the packs it reuses from an unlocked item', async () => {
  const f = fixture({ policy: POLICY });
  // The ledger item holds byte-identical copies of the scratch item's files: every blob deduplicates.
  for (const name of ['deployment.yaml', 'app.env', 'nested/deep/config.json']) {
    f.write(`src/copy/${name}`, readFileSync(join(f.dir, 'src/dev', name)));
  }
  const first = f.cli(['snapshot', '--item', 'scratch', '--json']);
  assert.equal(first.code, 0, first.stderr);
  const storage = new LocalStorage(f.repo);
  const packs = (await storage.list('packs/')).map((o) => o.key);
  assert.ok(packs.length > 0);
  for (const key of packs) {
    const until = (await storage.stat(key))?.retainUntil;
    assert.ok(!until || until.getTime() <= Date.now(), `${key} starts unlocked`);
  }

  const locked = f.cli(['snapshot', '--item', 'ledger', '--json']);
  assert.equal(locked.code, 0, locked.stderr);
  const soon = Date.now() + 23 * 3600_000;
  for (const key of packs) {
    const until = (await storage.stat(key))?.retainUntil;
    assert.ok(until && until.getTime() > soon, `${key} is retained until ${until?.toISOString()}`);
    await assert.rejects(storage.delete(key), (err) => isCairnError(err, 'CAIRN_E_RETAINED'));
  }
});
