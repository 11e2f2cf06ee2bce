import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CairnError, isCairnError } from '../../errors/index.js';
import { rejectsWithCode, storageContract } from '../contract.js';
import { MemStorage } from '../mem/mem-storage.js';
import { FaultStorage } from './fault-storage.js';

storageContract('FaultStorage(MemStorage), no fault armed', async () => ({
  storage: new FaultStorage(new MemStorage()),
  cleanup: async () => {},
}));

describe('FaultStorage', () => {
  it('failPutAfterBytes fails the put that no longer fits, like a full disk', async () => {
    const s = new FaultStorage(new MemStorage()).failPutAfterBytes(10);
    await s.put('a', Buffer.alloc(6));
    await rejectsWithCode(s.put('b', Buffer.alloc(5)), 'CAIRN_E_STORAGE', 'b', 'disk full');
    assert.equal(await s.stat('b'), undefined);
    await s.put('c', Buffer.alloc(4));
    await rejectsWithCode(s.put('d', Buffer.alloc(1)), 'CAIRN_E_STORAGE', 'disk full');
    assert.deepEqual((await s.list('')).map((o) => o.key).sort(), ['a', 'c']);
  });

  it('failPutAfterBytes takes another errno code', async () => {
    const s = new FaultStorage(new MemStorage()).failPutAfterBytes(0, 'EIO');
    await assert.rejects(s.put('a', Buffer.from('x')), (err: unknown) => {
      assert.ok(isCairnError(err, 'CAIRN_E_STORAGE'));
      assert.match(err.message, /I\/O error/);
      assert.equal(err.details?.errno, 'EIO');
      return true;
    });
  });

  it('failOn fails matching calls only, as often as asked', async () => {
    const s = new FaultStorage(new MemStorage());
    await s.put('packs/1', Buffer.from('p1'));
    await s.put('index/1', Buffer.from('i1'));
    s.failOn('get', (key) => key.startsWith('packs/'), 'EIO', 2);
    await rejectsWithCode(s.get('packs/1'), 'CAIRN_E_STORAGE', 'packs/1', 'I/O error');
    assert.equal((await s.get('index/1')).toString(), 'i1');
    await rejectsWithCode(s.get('packs/1'), 'CAIRN_E_STORAGE');
    assert.equal((await s.get('packs/1')).toString(), 'p1');
  });

  it('failOn throws a given Error as it is, and matches list by prefix', async () => {
    const boom = new CairnError('CAIRN_E_REPO_LOCKED', 'locked');
    const s = new FaultStorage(new MemStorage()).failOn('list', 'locks/', boom).failOn('delete', 'x', new Error('raw'));
    await assert.rejects(s.list('locks/'), (err) => err === boom);
    assert.deepEqual(await s.list('packs/'), []);
    await assert.rejects(s.delete('x'), /raw/);
  });

  it('corrupt inverts one byte on get and getRange, leaving the stored object alone', async () => {
    const inner = new MemStorage();
    const s = new FaultStorage(inner);
    await s.put('packs/c', Buffer.from('abcdef'));
    s.corrupt('packs/c', 2);
    const got = await s.get('packs/c');
    assert.equal(got[2], 'c'.charCodeAt(0) ^ 0xff);
    assert.deepEqual(got.subarray(3), Buffer.from('def'));
    assert.equal((await s.getRange('packs/c', 1, 3))[1], 'c'.charCodeAt(0) ^ 0xff);
    assert.equal((await s.getRange('packs/c', 3, 3)).toString(), 'def');
    assert.equal((await inner.get('packs/c')).toString(), 'abcdef');
  });

  it('counts calls per operation, failed ones included, and reset clears everything', async () => {
    const s = new FaultStorage(new MemStorage()).failOn('stat', 'a', 'EIO');
    await s.put('a', Buffer.from('x'));
    await s.get('a');
    await s.get('a');
    await rejectsWithCode(s.stat('a'), 'CAIRN_E_STORAGE');
    await s.list('');
    assert.deepEqual(s.counts, {
      put: 1,
      get: 2,
      getRange: 0,
      stat: 1,
      list: 1,
      delete: 0,
      extendRetention: 0,
      setLegalHold: 0,
      repair: 0,
    });
    await s.setLegalHold('a', true);
    await s.setLegalHold('a', false);
    await s.repair('a', Buffer.from('x'));
    assert.equal(s.counts.setLegalHold, 2);
    assert.equal(s.counts.repair, 1);
    s.corrupt('a', 0).failPutAfterBytes(0);
    s.reset();
    assert.equal(s.counts.get, 0);
    assert.equal((await s.stat('a'))?.size, 1);
    assert.equal((await s.get('a')).toString(), 'x');
    await s.put('b', Buffer.from('y'));
  });

  it('shows the location of the storage it wraps', () => {
    assert.equal(new FaultStorage(new MemStorage('mem:w')).location, 'mem:w');
  });
});
