import assert from 'node:assert/strict';
import { it } from 'node:test';
import { storageContract } from '../contract.js';
import { MemStorage } from './mem-storage.js';

storageContract('MemStorage', async () => ({ storage: new MemStorage(), cleanup: async () => {} }));

it('MemStorage reports its location', () => {
  assert.equal(new MemStorage().location, 'mem:');
  assert.equal(new MemStorage('mem:x').location, 'mem:x');
});
