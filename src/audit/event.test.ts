import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { type AuditEvent, eventHash, eventLine, GENESIS_HASH, hashMatches } from './event.js';

const body: Omit<AuditEvent, 'hash'> = {
  seq: 1,
  id: '3f1c2a4e-9a7b-4c1d-8e2f-0a1b2c3d4e5f',
  time: '2026-11-02T09:00:01.000Z',
  identity: 'token:ci-bot',
  roles: ['operator'],
  ip: '10.0.0.7',
  userAgent: null,
  action: 'snapshot.create',
  target: 'nginx',
  result: 'ok',
  changeId: 'CHG-1042',
  approvalId: null,
  details: { files: 3 },
  prevHash: GENESIS_HASH,
};

describe('event hash', () => {
  it('is SHA-256 of prevHash followed by the canonical JSON of every other field', () => {
    // Written out by hand, as an auditor would recompute it from docs/AUDIT.md.
    const canonical =
      '{"action":"snapshot.create","approvalId":null,"changeId":"CHG-1042","details":{"files":3},' +
      '"id":"3f1c2a4e-9a7b-4c1d-8e2f-0a1b2c3d4e5f","identity":"token:ci-bot","ip":"10.0.0.7",' +
      `"prevHash":"${GENESIS_HASH}","result":"ok","roles":["operator"],"seq":1,"target":"nginx",` +
      '"time":"2026-11-02T09:00:01.000Z","userAgent":null}';
    const expected = createHash('sha256')
      .update(GENESIS_HASH + canonical)
      .digest('hex');
    assert.equal(eventHash(body), expected);
    assert.equal(eventHash({ ...body, hash: 'ignored' }), expected);
  });

  it('changes with any field, the seq and the previous hash included', () => {
    const event = { ...body, hash: eventHash(body) };
    assert.ok(hashMatches(event));
    for (const change of [{ seq: 2 }, { target: 'haproxy' }, { details: { files: 4 } }, { prevHash: 'f'.repeat(64) }]) {
      assert.equal(hashMatches({ ...event, ...change }), false, JSON.stringify(change));
    }
  });

  it('writes an event as one line of canonical JSON, hash included', () => {
    const event = { ...body, hash: eventHash(body) };
    const line = eventLine(event);
    assert.ok(!line.includes('\n'));
    assert.deepEqual(JSON.parse(line), event);
  });
});
