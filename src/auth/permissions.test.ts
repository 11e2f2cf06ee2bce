import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROLES } from '../policy/index.js';
import { can, isRole, PERMISSION_NAMES, PERMISSIONS, type Permission, permissionsOf } from './permissions.js';

describe('permissions', () => {
  it('lets anonymous callers reach health checks and nothing else', () => {
    assert.deepEqual(permissionsOf([]), ['health.read']);
    assert.equal(can([], 'metrics.read'), false);
  });

  it('gives every role the viewer reads, and own access requests and MFA enrolment', () => {
    const viewer = permissionsOf(['viewer']);
    assert.deepEqual(viewer, [
      'health.read',
      'metrics.read',
      'policy.read',
      'items.read',
      'snapshots.read',
      'stats.read',
      'replication.read',
      'schedules.read',
      'deployments.read',
      'gate.read',
      'drift.read',
      'runbooks.read',
      'drills.read',
      'alerts.read',
      'access.request',
      'mfa.enroll',
    ]);
    for (const role of ROLES) {
      for (const permission of viewer) assert.ok(can([role], permission), `${role} lacks ${permission}`);
    }
  });

  it('gives each role its duties', () => {
    const extra = (role: (typeof ROLES)[number]) =>
      permissionsOf([role]).filter((permission) => !can(['viewer'], permission));
    assert.deepEqual(extra('operator'), [
      'snapshots.create',
      'drift.run',
      'deployments.write',
      'check.run',
      'drills.run',
      'drills.signoff',
      'alerts.ack',
      'forget.request',
      'prune.run',
      'replication.run',
      'holds.read',
      'holds.manage',
    ]);
    // A rollback writes into live targets: the restorer's duty, like a restore.
    assert.deepEqual(extra('restorer'), ['restore.run', 'rollback.run', 'drills.run', 'drills.signoff', 'alerts.ack']);
    assert.deepEqual(extra('approver'), [
      'drills.signoff',
      'holds.read',
      'approvals.read',
      'approvals.grant',
      'access.approve',
      'access.revoke',
    ]);
    assert.deepEqual(extra('auditor'), [
      'drills.signoff',
      'reports.generate',
      'holds.read',
      'approvals.read',
      'audit.read',
      'audit.verify',
      'audit.export',
    ]);
  });

  it('gives admin everything except approving', () => {
    const missing = PERMISSION_NAMES.filter((permission) => !can(['admin'], permission));
    assert.deepEqual(missing, ['approvals.grant', 'access.approve']);
    for (const permission of ['tokens.manage', 'keys.manage', 'mfa.reset'] as const)
      assert.ok(can(['admin'], permission));
  });

  it('combines roles and refuses what is not in the matrix', () => {
    assert.ok(can(['viewer', 'restorer'], 'restore.run'));
    assert.equal(can(['operator'], 'restore.run'), false);
    assert.equal(can(['admin'], 'no.such' as Permission), false);
  });

  it('describes every permission and names only real roles', () => {
    for (const [name, spec] of Object.entries(PERMISSIONS)) {
      assert.match(name, /^[a-z]+\.[a-z]+$/);
      assert.ok(spec.description.length > 5, name);
      for (const role of spec.roles) assert.ok(isRole(role), `${name}: ${role}`);
    }
    assert.equal(isRole('root'), false);
  });
});
