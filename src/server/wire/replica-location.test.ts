import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCairnError } from '../../errors/index.js';
import type { Policy } from '../../policy/index.js';
import { replicaLocation } from './replica-location.js';

const policy = (to?: string) => ({ file: '/etc/cairn.yaml', ...(to ? { replication: { to } } : {}) }) as Policy;

describe('replicaLocation', () => {
  it("is the policy's replica when `to` is left out or names it", () => {
    assert.equal(replicaLocation(policy('/srv/replica'), undefined), '/srv/replica');
    assert.equal(replicaLocation(policy('/srv/replica'), '/srv/replica/'), '/srv/replica');
    assert.equal(replicaLocation(policy('/srv/replica'), '/srv/x/../replica'), '/srv/replica');
    assert.equal(replicaLocation(policy('s3://bucket/cairn'), 's3://bucket/cairn/'), 's3://bucket/cairn');
  });

  it('refuses any other place (403), a relative path included, naming the one allowed', () => {
    for (const asked of ['/srv/other', 'replica', 's3://attacker/cairn', 's3://bucket/cairn2', '/tmp']) {
      assert.throws(
        () => replicaLocation(policy('/srv/replica'), asked),
        (err) => isCairnError(err, 'CAIRN_E_FORBIDDEN') && err.message.includes('replication.to: /srv/replica') && true,
        asked,
      );
    }
    assert.throws(
      () => replicaLocation(policy('s3://bucket/cairn'), '/srv/replica'),
      (err) => isCairnError(err, 'CAIRN_E_FORBIDDEN'),
    );
  });

  it('is a usage error when the policy names no replica', () => {
    assert.throws(
      () => replicaLocation(policy(), undefined),
      (err) => isCairnError(err, 'CAIRN_E_USAGE') && /\/etc\/cairn\.yaml.*replication\.to/.test(err.message),
    );
  });
});
