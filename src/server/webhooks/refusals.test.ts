import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RefusalLimiter, type RefusalSummary } from './refusals.js';

describe('RefusalLimiter', () => {
  it('lets `max` refusals a window through, limits the rest, and summarises each window once', async () => {
    let now = Date.parse('2026-11-29T10:00:00Z');
    const summaries: RefusalSummary[] = [];
    const limiter = new RefusalLimiter(
      async (s) => void summaries.push(s),
      3,
      60_000,
      () => now,
    );
    assert.deepEqual(
      [1, 2, 3, 4, 5].map(() => limiter.refuse('10.0.0.1', 'generic')),
      [0, 0, 0, 60, 60],
    );
    assert.equal(limiter.refuse('10.0.0.2', 'github'), 0, 'per IP');
    now += 30_000;
    assert.equal(limiter.refuse('10.0.0.1', 'github'), 30);
    // The next window: the previous one is summarised (once), and refusals are audited again.
    now += 30_000;
    assert.equal(limiter.refuse('10.0.0.1', 'generic'), 0);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(summaries, [
      {
        ip: '10.0.0.1',
        suppressed: 3,
        providers: ['generic', 'github'],
        windowStart: '2026-11-29T10:00:00.000Z',
        windowEnd: '2026-11-29T10:01:00.000Z',
      },
    ]);
    await limiter.close();
    assert.equal(summaries.length, 1, 'windows without a limited refusal write no summary');
  });

  it('writes the summary when the window ends, without another request', async () => {
    const summaries: RefusalSummary[] = [];
    const limiter = new RefusalLimiter(async (s) => void summaries.push(s), 1, 20);
    limiter.refuse('10.0.0.1', 'gitlab');
    limiter.refuse('10.0.0.1', 'gitlab');
    for (let i = 0; i < 400 && summaries.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(summaries[0]?.suppressed, 1);
    await limiter.close();
    assert.equal(summaries.length, 1);
  });
});
