import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCairnError } from '../errors/index.js';
import { checkDuties, type DutyPairs, dutyConflicts } from './duties.js';

const pairs: DutyPairs = [
  ['operator', 'auditor'],
  ['restorer', 'auditor'],
  ['admin', 'admin'],
];

describe('separation of duties', () => {
  it('finds every rule a set of roles breaks, in policy order', () => {
    assert.deepEqual(dutyConflicts(['viewer', 'operator'], pairs), []);
    assert.deepEqual(dutyConflicts(['auditor', 'restorer', 'operator'], pairs), [
      { pair: ['operator', 'auditor'], rule: 0 },
      { pair: ['restorer', 'auditor'], rule: 1 },
    ]);
    assert.deepEqual(dutyConflicts(['admin'], pairs), [], 'a role never conflicts with itself');
    assert.deepEqual(dutyConflicts(['operator', 'auditor'], []), []);
  });

  it('refuses with CAIRN_E_DUTY_CONFLICT naming the pair, the rule and what to do', () => {
    checkDuties(['operator', 'restorer'], pairs, 'token x', 'fix it');
    assert.throws(
      () => checkDuties(['restorer', 'operator', 'auditor'], pairs, 'oidc:alice', 'ask for another role'),
      (err: unknown) => {
        assert.ok(isCairnError(err, 'CAIRN_E_DUTY_CONFLICT'));
        assert.equal(
          err.message,
          "oidc:alice would hold both operator and auditor, which the policy's access.separationOfDuties[0] " +
            'forbids one identity to hold together (and 1 more rule); ask for another role',
        );
        assert.deepEqual(err.details?.pair, ['operator', 'auditor']);
        assert.equal(err.details?.rule, 0);
        assert.equal(err.httpStatus, 403);
        return true;
      },
    );
    assert.throws(
      () => checkDuties(['operator', 'auditor'], pairs),
      /^CairnError: one identity would hold both operator and auditor, .*; drop one of the two roles$/,
    );
  });
});
