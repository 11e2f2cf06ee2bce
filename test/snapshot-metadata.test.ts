/**
 * `cairn snapshot` metadata (C3.6, C4.1, C4.2): what the flags give, else what GitHub Actions,
 * GitLab CI or Jenkins say, else the OS user and host; checked through `cairn show ID --json`.
 * runCli leaves the machine's own CI variables out, so each test passes the ones it means.
 */
import assert from 'node:assert/strict';
import { hostname, userInfo } from 'node:os';
import { describe, it } from 'node:test';
import { assertExit, cliMany, type Hit, snapOne } from './e2e.js';
import { type Fixture, fixture } from './helpers.js';

/** `cairn show ID --json` for each id, a few at a time. */
async function show(f: Fixture, ids: readonly string[]): Promise<Hit[]> {
  const results = await cliMany(
    f,
    ids.map((id) => ['show', id, '--json']),
  );
  return results.map((r) => {
    assertExit(r, 0);
    return r.json<Hit>();
  });
}

const GITHUB = {
  GITHUB_ACTIONS: 'true',
  GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
  GITHUB_ACTOR: 'octocat',
  GITHUB_REF_TYPE: 'tag',
  GITHUB_REF_NAME: 'v1.2.3',
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_REPOSITORY: 'acme/payments',
  GITHUB_RUN_ID: '4242',
};

describe('cairn snapshot: metadata', () => {
  it('records the metadata it is given, and the OS user and host', async () => {
    const f = fixture();
    const s = snapOne(f, 'app-prod', [
      ...['--trigger', 'pre-deploy', '--release', '2.4.1', '--commit', 'abc1234def567'],
      ...['--change', 'CHG-1042', '--deployment', 'D-77'],
    ]);
    const [m] = await show(f, [s.id!]);
    assert.ok(m);
    assert.equal(m.id, s.id);
    assert.equal(m.item, 'app-prod');
    assert.equal(m.environment, 'prod');
    assert.equal(m.tier, '2');
    assert.equal(m.trigger, 'pre-deploy');
    assert.equal(m.release, '2.4.1');
    assert.equal(m.commit, 'abc1234def567');
    assert.equal(m.change, 'CHG-1042');
    assert.equal(m.deployment, 'D-77');
    assert.equal(m.pipeline, null);
    assert.equal(m.actor, userInfo().username);
    assert.equal(m.host, hostname());
    assert.equal(m.status, 'complete');
    assert.ok(Math.abs(Date.parse(m.time) - Date.now()) < 120_000, m.time);
  });

  it('takes missing metadata from GitHub Actions; a branch is no release; flags win', async () => {
    const f = fixture();
    const tagged = snapOne(f, 'app-prod', [], GITHUB).id!;
    const onBranch = snapOne(f, 'app-prod', ['--force'], {
      ...GITHUB,
      GITHUB_REF_TYPE: 'branch',
      GITHUB_REF_NAME: 'main',
    }).id!;
    const given = snapOne(f, 'app-prod', ['--force', '--release', '9.9.9', '--commit', 'feedface'], GITHUB).id!;
    const [t, b, g] = await show(f, [tagged, onBranch, given]);

    assert.equal(t?.release, '1.2.3');
    assert.equal(t.commit, GITHUB.GITHUB_SHA);
    assert.match(t.actor, /(^|:)octocat$/);
    assert.equal(t.pipeline, 'https://github.com/acme/payments/actions/runs/4242');
    assert.equal(t.host, hostname());

    assert.equal(b?.release, null);
    assert.equal(b.commit, GITHUB.GITHUB_SHA);

    assert.equal(g?.release, '9.9.9');
    assert.equal(g.commit, 'feedface');
    assert.match(g.actor, /octocat/);
    assert.equal(g.pipeline, t.pipeline);
  });

  it('takes missing metadata from GitLab CI and from Jenkins', async () => {
    const f = fixture();
    const gitlab = snapOne(f, 'app-prod', [], {
      GITLAB_CI: 'true',
      CI_COMMIT_SHA: 'fedcba9876543210fedcba9876543210fedcba98',
      GITLAB_USER_LOGIN: 'gitlab-dev',
      CI_PIPELINE_URL: 'https://gitlab.example.com/acme/app/-/pipelines/77',
      CI_COMMIT_TAG: 'v3.1.0',
    }).id!;
    const jenkins = snapOne(f, 'app-prod', ['--force'], {
      JENKINS_URL: 'https://jenkins.example.com/',
      GIT_COMMIT: '1111222233334444555566667777888899990000',
      BUILD_URL: 'https://jenkins.example.com/job/app/12/',
      BUILD_USER_ID: 'jenkins-alice',
    }).id!;
    const [gl, jk] = await show(f, [gitlab, jenkins]);

    assert.equal(gl?.release, '3.1.0');
    assert.equal(gl.commit, 'fedcba9876543210fedcba9876543210fedcba98');
    assert.match(gl.actor, /(^|:)gitlab-dev$/);
    assert.equal(gl.pipeline, 'https://gitlab.example.com/acme/app/-/pipelines/77');

    assert.equal(jk?.commit, '1111222233334444555566667777888899990000');
    assert.match(jk.actor, /(^|:)jenkins-alice$/);
    assert.equal(jk.pipeline, 'https://jenkins.example.com/job/app/12/');
    assert.equal(jk.release, null);
  });

  it('a verification records its own metadata and leaves the snapshot as it was', async () => {
    const f = fixture();
    const s = snapOne(f, 'app-prod', ['--release', '1.0.0']);
    const v = snapOne(f, 'app-prod', ['--release', '1.0.1', '--change', 'CHG-9'], {
      GITHUB_ACTIONS: 'true',
      GITHUB_ACTOR: 'octocat',
    });
    assert.equal(v.status, 'unchanged');
    const [m] = await show(f, [s.id!]);
    assert.equal(m?.release, '1.0.0');
    assert.equal(m.actor, userInfo().username);
    assert.equal(m.verifications.length, 1);
    const ver = m.verifications[0]!;
    assert.equal(ver.id, v.verification);
    assert.equal(ver.release, '1.0.1');
    assert.equal(ver.change, 'CHG-9');
    assert.match((ver as unknown as { actor: string }).actor, /octocat/);
  });
});
