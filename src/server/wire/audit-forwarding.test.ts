import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { throttled } from './audit-forwarding.js';

describe('the outbox wake-up (throttled)', () => {
  it('wakes at once after a quiet spell, and once at the end of the gap for the events within it', async () => {
    let wakes = 0;
    const wake = throttled(() => wakes++, 40);
    wake.call();
    assert.equal(wakes, 1, 'the first event wakes the outbox at once');
    for (let i = 0; i < 5; i++) wake.call();
    assert.equal(wakes, 1, 'events within the gap wait for its end');
    await sleep(100);
    assert.equal(wakes, 2, 'and then wake it once, whatever their number');
    await sleep(60);
    wake.call();
    assert.equal(wakes, 3, 'after a quiet spell, at once again');
  });

  it('cancel drops a pending wake-up', async () => {
    let wakes = 0;
    const wake = throttled(() => wakes++, 40);
    wake.call();
    wake.call();
    wake.cancel();
    await sleep(100);
    assert.equal(wakes, 1);
  });
});
