import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { type ErrorCode, isCairnError } from '../errors/index.js';
import type { LockMode, ObjectInfo, Storage } from './types.js';

export interface StorageFixture {
  storage: Storage;
  cleanup(): Promise<void>;
}

const later = new Date('2099-06-01T12:00:00.000Z');
const laterStill = new Date('2100-01-01T00:00:00.000Z');
const past = new Date('2000-01-01T00:00:00.000Z');
const unlocked = { retainUntil: undefined, mode: undefined, legalHold: false } as const;
const lockOf = (retainUntil: Date, mode: LockMode) => ({ retainUntil, mode, legalHold: false });
const invalidKeys = ['', '/abs', '../up', 'a/../b', 'a..b', 'a\\b', 'a\0b', '.hidden', 'a//b', 'a/', 'a/.b', 'tmp/x'];

/** Fails unless promise rejects with a CairnError of this code whose message has every fragment. */
export async function rejectsWithCode(promise: Promise<unknown>, code: ErrorCode, ...fragments: string[]) {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isCairnError(err, code), `expected ${code}, got ${String(err)}`);
    for (const fragment of fragments) assert.ok(err.message.includes(fragment), `"${err.message}" lacks "${fragment}"`);
    return true;
  });
}

function keysOf(infos: readonly ObjectInfo[]): string[] {
  return infos.map((i) => i.key).sort();
}

/**
 * The MUST rules of types.ts as a node:test suite; every backend runs it. make() gives a fresh,
 * empty storage for each test.
 */
export function storageContract(name: string, make: () => Promise<StorageFixture>): void {
  const test = (title: string, body: (storage: Storage) => Promise<void>) =>
    it(title, async () => {
      const { storage, cleanup } = await make();
      try {
        await body(storage);
      } finally {
        await storage.close();
        await cleanup();
      }
    });

  describe(`storage contract: ${name}`, () => {
    test('get returns what put stored', async (s) => {
      await s.put('config', Buffer.from('hello'));
      assert.equal((await s.get('config')).toString(), 'hello');
    });

    test('binary data and empty objects round trip byte for byte', async (s) => {
      const every = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const big = randomBytes(1024 * 1024 + 3);
      await s.put('bin/every', every);
      await s.put('bin/big', new Uint8Array(big));
      await s.put('bin/empty', new Uint8Array(0));
      assert.deepEqual(await s.get('bin/every'), every);
      assert.deepEqual(await s.get('bin/big'), big);
      assert.equal((await s.get('bin/empty')).length, 0);
    });

    test('put copies the data: changing the caller buffer later changes nothing', async (s) => {
      const data = Buffer.from('abc');
      await s.put('k', data);
      data[0] = 0x7a;
      const got = await s.get('k');
      got[1] = 0x7a;
      assert.equal((await s.get('k')).toString(), 'abc');
    });

    test('getRange reads exactly the bytes asked for', async (s) => {
      await s.put('packs/00/r', Buffer.from('0123456789'));
      assert.equal((await s.getRange('packs/00/r', 0, 3)).toString(), '012');
      assert.equal((await s.getRange('packs/00/r', 4, 3)).toString(), '456');
      assert.equal((await s.getRange('packs/00/r', 7, 3)).toString(), '789');
      assert.equal((await s.getRange('packs/00/r', 10, 0)).length, 0);
    });

    test('getRange past the end fails with CAIRN_E_INTEGRITY naming the key', async (s) => {
      await s.put('packs/00/short', Buffer.from('0123456789'));
      await rejectsWithCode(s.getRange('packs/00/short', 8, 5), 'CAIRN_E_INTEGRITY', 'packs/00/short');
      await rejectsWithCode(s.getRange('packs/00/short', 20, 1), 'CAIRN_E_INTEGRITY', 'packs/00/short');
      await rejectsWithCode(s.getRange('packs/00/short', -1, 1), 'CAIRN_E_USAGE');
    });

    test('put of an existing key is refused and the original kept', async (s) => {
      await s.put('snapshots/a', Buffer.from('first'), { retainUntil: later });
      await rejectsWithCode(s.put('snapshots/a', Buffer.from('second!')), 'CAIRN_E_EXISTS', 'snapshots/a');
      await rejectsWithCode(s.put('snapshots/a', Buffer.from('third'), { retainUntil: past }), 'CAIRN_E_EXISTS');
      assert.equal((await s.get('snapshots/a')).toString(), 'first');
      assert.deepEqual(await s.stat('snapshots/a'), {
        key: 'snapshots/a',
        size: 5,
        retainUntil: later,
        mode: 'governance',
        legalHold: false,
      });
    });

    test('list returns the keys under a prefix, nested or not', async (s) => {
      const all = ['config', 'keys/k1', 'packs/ab/p1', 'packs/ab/p2', 'packs/ac/p3', 'packs/b0/p4', 'snapshots/s1'];
      for (const key of all) await s.put(key, Buffer.from(key));
      assert.deepEqual(keysOf(await s.list('')), [...all].sort());
      assert.deepEqual(keysOf(await s.list('packs/')), ['packs/ab/p1', 'packs/ab/p2', 'packs/ac/p3', 'packs/b0/p4']);
      assert.deepEqual(keysOf(await s.list('packs/a')), ['packs/ab/p1', 'packs/ab/p2', 'packs/ac/p3']);
      assert.deepEqual(keysOf(await s.list('packs/ab/')), ['packs/ab/p1', 'packs/ab/p2']);
      assert.deepEqual(keysOf(await s.list('packs/ab/p2')), ['packs/ab/p2']);
      assert.deepEqual(keysOf(await s.list('con')), ['config']);
      assert.deepEqual(await s.list('index/'), []);
      assert.deepEqual(await s.list('nothing/here/'), []);
      const [info] = await s.list('keys/');
      assert.equal(info?.key, 'keys/k1');
      assert.equal(info?.size, 7);
      if (s.listsRetention) assert.deepEqual(info, { key: 'keys/k1', size: 7, ...unlocked });
    });

    test('list shows objects only, never temporary or retention records', async (s) => {
      await s.put('a', Buffer.from('1'), { retainUntil: later });
      await s.put('d/b', Buffer.from('2'), { retainUntil: later });
      await s.put('d/c', Buffer.from('3'));
      await s.extendRetention('d/c', laterStill);
      assert.deepEqual(keysOf(await s.list('')), ['a', 'd/b', 'd/c']);
      assert.deepEqual(await s.list('tmp/'), []);
      assert.deepEqual(await s.list('retention/'), []);
    });

    test('list refuses a prefix that could escape the store', async (s) => {
      await rejectsWithCode(s.list('../'), 'CAIRN_E_USAGE');
      await rejectsWithCode(s.list('/etc'), 'CAIRN_E_USAGE');
    });

    test('stat gives size and retention, and undefined for a missing key', async (s) => {
      await s.put('index/i1', Buffer.from('12345'));
      assert.deepEqual(await s.stat('index/i1'), { key: 'index/i1', size: 5, ...unlocked });
      assert.equal(await s.stat('index/none'), undefined);
      assert.equal(await s.stat('index'), undefined);
    });

    test('a missing key fails with CAIRN_E_NOT_FOUND naming it', async (s) => {
      await s.put('packs/ab/there', Buffer.from('x'));
      await rejectsWithCode(s.get('packs/ab/gone'), 'CAIRN_E_NOT_FOUND', 'packs/ab/gone');
      await rejectsWithCode(s.get('packs/ab'), 'CAIRN_E_NOT_FOUND', 'packs/ab');
      await rejectsWithCode(s.getRange('packs/ab/gone', 0, 1), 'CAIRN_E_NOT_FOUND', 'packs/ab/gone');
      await rejectsWithCode(s.delete('packs/ab/gone'), 'CAIRN_E_NOT_FOUND', 'packs/ab/gone');
      await rejectsWithCode(s.extendRetention('packs/ab/gone', later), 'CAIRN_E_NOT_FOUND', 'packs/ab/gone');
      await rejectsWithCode(s.setLegalHold('packs/ab/gone', true), 'CAIRN_E_NOT_FOUND', 'packs/ab/gone');
      await rejectsWithCode(s.repair('packs/ab/gone', Buffer.from('x')), 'CAIRN_E_NOT_FOUND', 'packs/ab/gone');
      assert.equal(await s.stat('packs/ab/gone'), undefined);
    });

    test('delete removes the object, and the key can be used again', async (s) => {
      await s.put('locks/l1', Buffer.from('lock'));
      await s.put('locks/l2', Buffer.from('other'));
      await s.delete('locks/l1');
      await rejectsWithCode(s.get('locks/l1'), 'CAIRN_E_NOT_FOUND');
      assert.equal(await s.stat('locks/l1'), undefined);
      assert.deepEqual(keysOf(await s.list('locks/')), ['locks/l2']);
      await s.put('locks/l1', Buffer.from('again'));
      assert.equal((await s.get('locks/l1')).toString(), 'again');
      assert.equal((await s.stat('locks/l1'))?.retainUntil, undefined);
    });

    test('delete is refused while retained, naming the date', async (s) => {
      await s.put('audit/1', Buffer.from('cp'), { retainUntil: later });
      await assert.rejects(s.delete('audit/1'), (err: unknown) => {
        assert.ok(isCairnError(err, 'CAIRN_E_RETAINED'), String(err));
        assert.equal(err.message, `audit/1 is retained until ${later.toISOString()}`);
        assert.deepEqual(err.details, { key: 'audit/1', retainUntil: later.toISOString() });
        return true;
      });
      assert.equal((await s.get('audit/1')).toString(), 'cp');
    });

    test('delete is allowed once retention has passed', async (s) => {
      await s.put('audit/old', Buffer.from('cp'), { retainUntil: past });
      await s.delete('audit/old');
      assert.equal(await s.stat('audit/old'), undefined);
    });

    test('extendRetention extends and never shortens', async (s) => {
      await s.put('snapshots/r', Buffer.from('x'), { retainUntil: later });
      await s.extendRetention('snapshots/r', laterStill);
      assert.deepEqual((await s.stat('snapshots/r'))?.retainUntil, laterStill);
      await s.extendRetention('snapshots/r', later);
      await s.extendRetention('snapshots/r', past);
      assert.deepEqual((await s.stat('snapshots/r'))?.retainUntil, laterStill);
      await rejectsWithCode(s.delete('snapshots/r'), 'CAIRN_E_RETAINED', laterStill.toISOString());
      await rejectsWithCode(s.extendRetention('snapshots/r', new Date(Number.NaN)), 'CAIRN_E_USAGE');
    });

    test('extendRetention retains an object put without retention', async (s) => {
      await s.put('snapshots/n', Buffer.from('x'));
      await s.extendRetention('snapshots/n', later);
      await rejectsWithCode(s.delete('snapshots/n'), 'CAIRN_E_RETAINED', later.toISOString());
    });

    test('concurrent extensions keep the latest date', async (s) => {
      await s.put('snapshots/c', Buffer.from('x'));
      const dates = Array.from({ length: 20 }, (_, i) => new Date(later.getTime() + ((i * 7) % 20) * 1000));
      await Promise.all(dates.map((d) => s.extendRetention('snapshots/c', d)));
      assert.deepEqual((await s.stat('snapshots/c'))?.retainUntil, new Date(later.getTime() + 19_000));
    });

    test('retention shows in stat, and in list where the backend lists it', async (s) => {
      await s.put('audit/r', Buffer.from('x'), { retainUntil: later });
      await s.put('audit/p', Buffer.from('yy'));
      await s.put('audit/h', Buffer.from('zzz'), { retainUntil: laterStill, mode: 'compliance' });
      await s.setLegalHold('audit/h', true);
      const locked = { retainUntil: later, mode: 'governance', legalHold: false } as const;
      const held = { retainUntil: laterStill, mode: 'compliance', legalHold: true } as const;
      assert.deepEqual(await s.stat('audit/r'), { key: 'audit/r', size: 1, ...locked });
      assert.deepEqual(await s.stat('audit/h'), { key: 'audit/h', size: 3, ...held });
      const byKey = new Map((await s.list('audit/')).map((i) => [i.key, i]));
      assert.deepEqual([...byKey.keys()].sort(), ['audit/h', 'audit/p', 'audit/r']);
      assert.equal(byKey.get('audit/p')?.size, 2);
      if (s.listsRetention) {
        assert.deepEqual(byKey.get('audit/r'), { key: 'audit/r', size: 1, ...locked });
        assert.deepEqual(byKey.get('audit/h'), { key: 'audit/h', size: 3, ...held });
        assert.deepEqual(byKey.get('audit/p'), { key: 'audit/p', size: 2, ...unlocked });
      }
    });

    test('put records the lock mode: governance by default, none without a date', async (s) => {
      await s.put('snapshots/g', Buffer.from('g'), { retainUntil: later });
      await s.put('snapshots/c', Buffer.from('c'), { retainUntil: later, mode: 'compliance' });
      await s.put('snapshots/n', Buffer.from('n'), { mode: 'compliance' });
      assert.equal((await s.stat('snapshots/g'))?.mode, 'governance');
      assert.equal((await s.stat('snapshots/c'))?.mode, 'compliance');
      assert.deepEqual(await s.stat('snapshots/n'), { key: 'snapshots/n', size: 1, ...unlocked });
      await rejectsWithCode(s.delete('snapshots/c'), 'CAIRN_E_RETAINED', later.toISOString());
      await s.delete('snapshots/n');
    });

    test('extendRetention raises the mode and never lowers it', async (s) => {
      await s.put('packs/00/m', Buffer.from('m'), { retainUntil: later });
      await s.extendRetention('packs/00/m', later, 'compliance');
      assert.deepEqual(await s.stat('packs/00/m'), { key: 'packs/00/m', size: 1, ...lockOf(later, 'compliance') });
      await s.extendRetention('packs/00/m', laterStill, 'governance');
      assert.deepEqual(await s.stat('packs/00/m'), { key: 'packs/00/m', size: 1, ...lockOf(laterStill, 'compliance') });
      await s.extendRetention('packs/00/m', later);
      assert.deepEqual(await s.stat('packs/00/m'), { key: 'packs/00/m', size: 1, ...lockOf(laterStill, 'compliance') });
      await s.put('packs/00/u', Buffer.from('u'));
      await s.extendRetention('packs/00/u', later, 'compliance');
      assert.deepEqual(await s.stat('packs/00/u'), { key: 'packs/00/u', size: 1, ...lockOf(later, 'compliance') });
      await s.put('packs/00/d', Buffer.from('d'));
      await s.extendRetention('packs/00/d', later);
      assert.equal((await s.stat('packs/00/d'))?.mode, 'governance');
      await rejectsWithCode(s.extendRetention('packs/00/d', later, 'strict' as never), 'CAIRN_E_USAGE');
    });

    test('a legal hold refuses delete whatever the date, and clearing it allows delete', async (s) => {
      await s.put('snapshots/h', Buffer.from('h'));
      await s.setLegalHold('snapshots/h', true);
      assert.equal((await s.stat('snapshots/h'))?.legalHold, true);
      await assert.rejects(s.delete('snapshots/h'), (err: unknown) => {
        assert.ok(isCairnError(err, 'CAIRN_E_RETAINED'), String(err));
        assert.match(err.message, /snapshots\/h .*legal hold/);
        assert.equal(err.details?.legalHold, true);
        return true;
      });
      await s.setLegalHold('snapshots/h', true);
      await s.setLegalHold('snapshots/h', false);
      assert.deepEqual(await s.stat('snapshots/h'), { key: 'snapshots/h', size: 1, ...unlocked });
      await s.delete('snapshots/h');
      assert.equal(await s.stat('snapshots/h'), undefined);
      await s.put('snapshots/r', Buffer.from('r'), { retainUntil: later });
      await s.setLegalHold('snapshots/r', true);
      await s.setLegalHold('snapshots/r', false);
      assert.deepEqual(await s.stat('snapshots/r'), { key: 'snapshots/r', size: 1, ...lockOf(later, 'governance') });
      await rejectsWithCode(s.delete('snapshots/r'), 'CAIRN_E_RETAINED', later.toISOString());
    });

    test('repair replaces the bytes and keeps retention, mode and hold', async (s) => {
      await s.put('packs/ab/x', Buffer.from('damaged'), { retainUntil: later, mode: 'compliance' });
      await s.setLegalHold('packs/ab/x', true);
      await s.repair('packs/ab/x', Buffer.from('the good bytes'));
      assert.equal((await s.get('packs/ab/x')).toString(), 'the good bytes');
      assert.equal((await s.getRange('packs/ab/x', 4, 4)).toString(), 'good');
      const held = { ...lockOf(later, 'compliance'), legalHold: true };
      assert.deepEqual(await s.stat('packs/ab/x'), { key: 'packs/ab/x', size: 14, ...held });
      await rejectsWithCode(s.delete('packs/ab/x'), 'CAIRN_E_RETAINED');
      assert.deepEqual(keysOf(await s.list('packs/ab/')), ['packs/ab/x']);
      await s.put('index/i', Buffer.from('i'));
      await s.repair('index/i', Buffer.from('j'));
      assert.deepEqual(await s.stat('index/i'), { key: 'index/i', size: 1, ...unlocked });
      await s.delete('index/i');
    });

    test('repair of a missing key needs create, and then stores it with the lock asked for', async (s) => {
      await rejectsWithCode(s.repair('packs/cd/y', Buffer.from('y')), 'CAIRN_E_NOT_FOUND', 'packs/cd/y');
      await s.repair('packs/cd/y', Buffer.from('yy'), { create: true, retainUntil: later, mode: 'compliance' });
      assert.equal((await s.get('packs/cd/y')).toString(), 'yy');
      assert.deepEqual(await s.stat('packs/cd/y'), { key: 'packs/cd/y', size: 2, ...lockOf(later, 'compliance') });
      await s.repair('packs/cd/z', Buffer.from('z'), { create: true });
      assert.deepEqual(await s.stat('packs/cd/z'), { key: 'packs/cd/z', size: 1, ...unlocked });
      await rejectsWithCode(s.repair('tmp/x', Buffer.from('z'), { create: true }), 'CAIRN_E_USAGE');
    });

    test('invalid keys and dates are refused with CAIRN_E_USAGE', async (s) => {
      for (const key of invalidKeys) {
        await rejectsWithCode(s.put(key, Buffer.from('x')), 'CAIRN_E_USAGE');
        await rejectsWithCode(s.get(key), 'CAIRN_E_USAGE');
        await rejectsWithCode(s.stat(key), 'CAIRN_E_USAGE');
        await rejectsWithCode(s.delete(key), 'CAIRN_E_USAGE');
      }
      await rejectsWithCode(s.put('k', Buffer.from('x'), { retainUntil: new Date('nope') }), 'CAIRN_E_USAGE');
      assert.deepEqual(await s.list(''), []);
    });

    test('concurrent puts of different keys all land', async (s) => {
      const keys = Array.from({ length: 64 }, (_, i) => `packs/${(i % 4).toString(16).padStart(2, '0')}/${i}`);
      await Promise.all(keys.map((key) => s.put(key, Buffer.from(key))));
      assert.deepEqual(keysOf(await s.list('packs/')), [...keys].sort());
      for (const key of keys) assert.equal((await s.get(key)).toString(), key);
    });

    test('concurrent puts of one key: exactly one wins, whole', async (s) => {
      const bodies = Array.from({ length: 8 }, (_, i) => Buffer.alloc(10_000 + i, i + 1));
      const results = await Promise.allSettled(bodies.map((b) => s.put('config', b)));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of results) if (r.status === 'rejected') assert.ok(isCairnError(r.reason, 'CAIRN_E_EXISTS'));
      const got = await s.get('config');
      assert.ok(bodies.some((b) => b.equals(got)));
    });

    test('1000 small objects are all listed', async (s) => {
      const keys = Array.from({ length: 1000 }, (_, i) => `data/${(i % 16).toString(16)}/${i}`);
      for (let i = 0; i < keys.length; i += 100) {
        await Promise.all(keys.slice(i, i + 100).map((key) => s.put(key, Buffer.from([i % 256]))));
      }
      const listed = await s.list('data/');
      assert.equal(listed.length, 1000);
      assert.deepEqual(keysOf(listed), [...keys].sort());
      assert.ok(listed.every((o) => o.size === 1));
    });
  });
}
