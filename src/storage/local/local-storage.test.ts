import assert from 'node:assert/strict';
import { promises as fs, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { rejectsWithCode, storageContract } from '../contract.js';
import { FaultStorage } from '../fault/fault-storage.js';
import { LocalStorage } from './local-storage.js';

async function tempRoot(): Promise<string> {
  return fs.mkdtemp(join(tmpdir(), 'cairn-storage-'));
}

async function removeRoot(root: string): Promise<void> {
  await fs.rm(root, { recursive: true, force: true });
}

storageContract('LocalStorage', async () => {
  const root = await tempRoot();
  return { storage: new LocalStorage(join(root, 'repo')), cleanup: () => removeRoot(root) };
});

describe('LocalStorage on disk', () => {
  let root: string;
  let storage: LocalStorage;
  before(async () => {
    root = await tempRoot();
  });
  after(() => removeRoot(root));

  const fresh = async (name: string) => {
    storage = new LocalStorage(join(root, name));
    return join(root, name);
  };

  it('maps a key to a read-only file at its relative path and leaves no temp file', async () => {
    const dir = await fresh('layout');
    await storage.put('packs/ab/0123', Buffer.from('pack'));
    const stats = await fs.stat(join(dir, 'packs', 'ab', '0123'));
    assert.equal(stats.mode & 0o777, 0o444);
    assert.equal(stats.nlink, 1);
    assert.deepEqual(await fs.readdir(join(dir, 'tmp')), []);
    assert.equal(storage.location, dir);
  });

  it('keeps retention in a sidecar that another instance honours', async () => {
    const dir = await fresh('sidecar');
    const until = new Date('2099-01-02T03:04:05.006Z');
    await storage.put('audit/7', Buffer.from('cp'), { retainUntil: until });
    const record = { retainUntil: until.toISOString(), mode: 'governance' };
    assert.deepEqual(JSON.parse(await fs.readFile(join(dir, 'retention', 'audit', '7'), 'utf8')), record);
    await rejectsWithCode(new LocalStorage(dir).delete('audit/7'), 'CAIRN_E_RETAINED', until.toISOString());
    await storage.setLegalHold('audit/7', true);
    const held = JSON.parse(await fs.readFile(join(dir, 'retention', 'audit', '7'), 'utf8'));
    assert.deepEqual(held, { ...record, legalHold: true });
    await rejectsWithCode(new LocalStorage(dir).delete('audit/7'), 'CAIRN_E_RETAINED', 'legal hold');
    assert.deepEqual(await fs.readdir(join(dir, 'tmp')), []);
  });

  it('reads a sidecar of the earlier format, a bare date, as a governance lock', async () => {
    const dir = await fresh('old-sidecar');
    await storage.put('snapshots/old', Buffer.from('x'));
    const until = '2099-03-04T05:06:07.008Z';
    mkdirSync(join(dir, 'retention', 'snapshots'), { recursive: true });
    writeFileSync(join(dir, 'retention', 'snapshots', 'old'), `${until}\n`);
    const expected = { retainUntil: new Date(until), mode: 'governance', legalHold: false };
    assert.deepEqual(await storage.stat('snapshots/old'), { key: 'snapshots/old', size: 1, ...expected });
    assert.deepEqual(await storage.list('snapshots/'), [{ key: 'snapshots/old', size: 1, ...expected }]);
    await rejectsWithCode(storage.delete('snapshots/old'), 'CAIRN_E_RETAINED', until);
    await storage.extendRetention('snapshots/old', new Date(until), 'compliance');
    assert.equal((await storage.stat('snapshots/old'))?.mode, 'compliance');
  });

  it('a hold without retention lives in a sidecar that goes away when the hold is cleared', async () => {
    const dir = await fresh('hold');
    await storage.put('snapshots/h', Buffer.from('x'));
    await storage.setLegalHold('snapshots/h', true);
    assert.deepEqual(JSON.parse(await fs.readFile(join(dir, 'retention', 'snapshots', 'h'), 'utf8')), {
      legalHold: true,
    });
    await storage.setLegalHold('snapshots/h', false);
    await assert.rejects(fs.stat(join(dir, 'retention', 'snapshots', 'h')), { code: 'ENOENT' });
  });

  it('repair replaces a damaged file atomically, read-only, keeping its sidecar', async () => {
    const dir = await fresh('repair');
    const until = new Date('2099-01-01T00:00:00Z');
    await storage.put('packs/aa/p', Buffer.from('good'), { retainUntil: until, mode: 'compliance' });
    const path = join(dir, 'packs', 'aa', 'p');
    await fs.chmod(path, 0o644);
    await fs.writeFile(path, 'bad!');
    await storage.repair('packs/aa/p', Buffer.from('good'));
    assert.equal(await fs.readFile(path, 'utf8'), 'good');
    assert.equal((await fs.stat(path)).mode & 0o777, 0o444);
    assert.equal((await storage.stat('packs/aa/p'))?.mode, 'compliance');
    assert.deepEqual(await fs.readdir(join(dir, 'tmp')), []);
  });

  it('deletes an expired object together with its sidecar', async () => {
    const dir = await fresh('expired');
    await storage.put('audit/old', Buffer.from('cp'), { retainUntil: new Date('2001-01-01T00:00:00Z') });
    await storage.delete('audit/old');
    await assert.rejects(fs.stat(join(dir, 'audit', 'old')), { code: 'ENOENT' });
    await assert.rejects(fs.stat(join(dir, 'retention', 'audit', 'old')), { code: 'ENOENT' });
  });

  it('reports a damaged retention record instead of ignoring it', async () => {
    const dir = await fresh('damaged');
    await storage.put('snapshots/s', Buffer.from('x'), { retainUntil: new Date('2099-01-01T00:00:00Z') });
    await fs.writeFile(join(dir, 'retention', 'snapshots', 's'), 'garbage');
    await rejectsWithCode(storage.delete('snapshots/s'), 'CAIRN_E_INTEGRITY', 'snapshots/s');
  });

  it('a disk-full put through FaultStorage leaves no object and no temp file', async () => {
    const dir = await fresh('fault');
    const s = new FaultStorage(storage).failPutAfterBytes(4);
    await s.put('packs/00/a', Buffer.from('1234'));
    await rejectsWithCode(s.put('packs/00/b', Buffer.from('5')), 'CAIRN_E_STORAGE', 'packs/00/b', 'disk full');
    assert.equal(await storage.stat('packs/00/b'), undefined);
    assert.deepEqual(await fs.readdir(join(dir, 'packs', '00')), ['a']);
    assert.deepEqual(await fs.readdir(join(dir, 'tmp')), []);
  });

  it('ENOSPC in the middle of a write removes the temp file and its retention record', async (t) => {
    const dir = await fresh('enospc');
    await storage.put('config', Buffer.from('c'));
    const realOpen = fs.open;
    t.mock.method(fs, 'open', async (...args: Parameters<typeof fs.open>) => {
      const handle = await realOpen(...args);
      if (String(args[0]).startsWith(join(dir, 'tmp')) && args[1] === 'wx') {
        handle.writeFile = async () => {
          throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        };
      }
      return handle;
    });
    const put = storage.put('packs/ff/big', Buffer.alloc(1000), { retainUntil: new Date('2099-01-01T00:00:00Z') });
    await rejectsWithCode(put, 'CAIRN_E_STORAGE', 'packs/ff/big', 'disk full');
    t.mock.restoreAll();
    assert.equal(await storage.stat('packs/ff/big'), undefined);
    assert.deepEqual(await fs.readdir(join(dir, 'tmp')), []);
    await assert.rejects(fs.stat(join(dir, 'retention', 'packs', 'ff', 'big')), { code: 'ENOENT' });
    await storage.put('packs/ff/big', Buffer.alloc(1000));
  });

  it('after a crash, leftover temp files and orphan retention records are not objects', async () => {
    const dir = await fresh('crash');
    await storage.put('packs/01/kept', Buffer.from('ok'));
    mkdirSync(join(dir, 'tmp'), { recursive: true });
    writeFileSync(join(dir, 'tmp', 'deadbeef'), 'half a pa');
    mkdirSync(join(dir, 'retention', 'packs', '01'), { recursive: true });
    writeFileSync(join(dir, 'retention', 'packs', '01', 'lost'), '2099-01-01T00:00:00.000Z');
    const reopened = new LocalStorage(dir);
    assert.deepEqual(
      (await reopened.list('')).map((o) => o.key),
      ['packs/01/kept'],
    );
    assert.equal(await reopened.stat('packs/01/lost'), undefined);
    await reopened.put('packs/01/next', Buffer.from('n'));
    assert.equal((await reopened.get('packs/01/next')).toString(), 'n');
  });

  it('refuses a key that names a directory of other objects', async () => {
    await fresh('dirkey');
    await storage.put('packs/ab/x', Buffer.from('x'));
    await rejectsWithCode(storage.put('packs/ab', Buffer.from('y')), 'CAIRN_E_EXISTS');
    await rejectsWithCode(storage.delete('packs/ab'), 'CAIRN_E_NOT_FOUND');
  });

  it('lists 20k objects quickly', async () => {
    const dir = await fresh('many');
    for (let d = 0; d < 256; d++) mkdirSync(join(dir, 'packs', d.toString(16).padStart(2, '0')), { recursive: true });
    for (let i = 0; i < 20_000; i++) {
      writeFileSync(join(dir, 'packs', (i % 256).toString(16).padStart(2, '0'), `p${i}`), 'x');
    }
    const start = performance.now();
    const listed = await storage.list('packs/');
    const ms = performance.now() - start;
    assert.equal(listed.length, 20_000);
    assert.ok(ms < 2000, `list took ${Math.round(ms)} ms`);
    assert.equal((await storage.list('packs/0a/')).length, Math.ceil((20_000 - 10) / 256));
  });
});
