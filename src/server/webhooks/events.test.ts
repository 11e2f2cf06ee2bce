import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCairnError } from '../../errors/index.js';
import { commandFor, eventName, releaseFromRef } from './events.js';

const deployment = {
  id: 1234567890,
  environment: 'production',
  ref: 'v2.4.1',
  sha: 'a1b2c3',
  payload: {},
  description: null,
};

describe('webhook payloads to deployment commands', () => {
  it('starts a deployment on a GitHub deployment event, release from a version tag', () => {
    assert.deepEqual(commandFor('github', 'deployment', { action: 'created', deployment }), {
      kind: 'start',
      environment: 'production',
      externalId: '1234567890',
      release: '2.4.1',
      commit: 'a1b2c3',
      change: null,
      pipeline: null,
    });
    const branch = commandFor('github', 'deployment', {
      deployment: { ...deployment, ref: 'main', payload: { change: 'CHG0042' } },
    });
    assert.deepEqual(
      [branch.kind === 'start' && branch.release, branch.kind === 'start' && branch.change],
      [null, 'CHG0042'],
    );
    assert.equal(releaseFromRef('refs/tags/1.2.3-rc.1'), '1.2.3-rc.1');
    assert.equal(releaseFromRef('release-1.2'), null);
  });

  it('finishes, fails or only records on GitHub deployment_status', () => {
    const status = (state: string) =>
      commandFor('github', 'deployment_status', {
        deployment,
        deployment_status: { state, description: 'smoke tests red' },
      });
    assert.deepEqual(status('success'), { kind: 'finish', environment: 'production', externalId: '1234567890' });
    assert.deepEqual(status('failure'), {
      kind: 'fail',
      environment: 'production',
      externalId: '1234567890',
      reason: 'smoke tests red',
    });
    assert.equal(status('error').kind, 'fail');
    for (const s of ['in_progress', 'queued', 'pending']) assert.equal(status(s).kind, 'ignore', s);
    assert.deepEqual(commandFor('github', 'ping', { zen: 'x' }), { kind: 'ping' });
    assert.equal(commandFor('github', 'push', {}).kind, 'ignore');
  });

  it('maps GitLab deployment hooks by status', () => {
    const hook = (status: string) => ({
      object_kind: 'deployment',
      status,
      deployment_id: 15,
      environment: 'production',
      sha: 'deadbeef',
      ref: 'v3.0.0',
      deployable_url: 'https://gitlab.example.com/g/p/-/jobs/1',
    });
    assert.deepEqual(commandFor('gitlab', 'Deployment Hook', hook('running')), {
      kind: 'start',
      environment: 'production',
      externalId: '15',
      release: '3.0.0',
      commit: 'deadbeef',
      change: null,
      pipeline: 'https://gitlab.example.com/g/p/-/jobs/1',
    });
    assert.equal(commandFor('gitlab', 'Deployment Hook', hook('success')).kind, 'finish');
    assert.equal(commandFor('gitlab', 'Deployment Hook', hook('failed')).kind, 'fail');
    assert.equal(commandFor('gitlab', 'Deployment Hook', hook('canceled')).kind, 'fail');
    assert.equal(commandFor('gitlab', 'Deployment Hook', hook('created')).kind, 'ignore');
    assert.equal(eventName('gitlab', { 'x-gitlab-event': 'Deployment Hook' }, {}), 'Deployment Hook');
  });

  it('reads the generic body, and names the field that is wrong', () => {
    assert.deepEqual(
      commandFor('generic', 'start', { event: 'start', environment: 'prod', release: '1.0.0', deployment: 'b-1' }),
      {
        kind: 'start',
        environment: 'prod',
        externalId: 'b-1',
        release: '1.0.0',
        commit: null,
        change: null,
        pipeline: null,
      },
    );
    assert.deepEqual(
      commandFor('generic', 'fail', { event: 'fail', environment: 'prod', deployment: 'b-1', reason: 'x' }),
      {
        kind: 'fail',
        environment: 'prod',
        externalId: 'b-1',
        reason: 'x',
      },
    );
    const refused = (p: Record<string, unknown>, field: string) =>
      assert.throws(
        () => commandFor('generic', String(p.event), p),
        (e) => isCairnError(e, 'CAIRN_E_USAGE') && e.details?.field === field,
        field,
      );
    refused({ event: 'finish', environment: 'prod' }, 'deployment');
    refused({ event: 'restart', environment: 'prod' }, 'event');
    refused({ event: 'start' }, 'environment');
    refused({ event: 'start', environment: 'prod', release: 7 }, 'release');
    assert.throws(
      () => commandFor('github', 'deployment', { deployment: { environment: 'prod' } }),
      (e) => isCairnError(e, 'CAIRN_E_USAGE') && e.details?.field === 'deployment.id',
    );
  });
});
