import { hostname, userInfo } from 'node:os';
import type { RunMetadata, Trigger } from '../catalog/index.js';

export interface RunOptions {
  readonly trigger?: Trigger;
  readonly release?: string;
  readonly commit?: string;
  readonly change?: string;
  readonly deployment?: string;
  readonly actor?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Who, where and why (C3.6, C4.2): what the command was given, else what the CI system says
 * (GitHub Actions, GitLab CI, Jenkins), else the OS user and host.
 */
export function runMetadata(
  opts: RunOptions,
  item: { name: string; environment?: string | undefined; tier: string; component?: string | undefined },
  now: Date,
  env: Env = process.env,
): RunMetadata {
  const ci = fromCi(env);
  return {
    item: item.name,
    environment: item.environment ?? null,
    tier: item.tier,
    component: item.component ?? null,
    trigger: opts.trigger ?? 'manual',
    release: opts.release ?? ci.release ?? null,
    commit: opts.commit ?? ci.commit ?? null,
    change: opts.change ?? env.CAIRN_CHANGE_ID ?? null,
    deployment: opts.deployment ?? env.CAIRN_DEPLOYMENT_ID ?? null,
    pipeline: ci.pipeline ?? null,
    actor: opts.actor ?? env.CAIRN_ACTOR ?? ci.actor ?? osUser(),
    host: hostname(),
    time: now.toISOString(),
  };
}

interface CiFacts {
  release?: string | undefined;
  commit?: string | undefined;
  pipeline?: string | undefined;
  actor?: string | undefined;
}

const VERSION_TAG = /^v?(\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?)$/;

function releaseFromTag(tag: string | undefined): string | undefined {
  return tag ? VERSION_TAG.exec(tag)?.[1] : undefined;
}

export function fromCi(env: Env): CiFacts {
  if (env.GITHUB_ACTIONS === 'true') {
    const run = env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID;
    return {
      commit: env.GITHUB_SHA,
      actor: env.GITHUB_ACTOR ? `github:${env.GITHUB_ACTOR}` : undefined,
      release: env.GITHUB_REF_TYPE === 'tag' ? releaseFromTag(env.GITHUB_REF_NAME) : undefined,
      pipeline: run ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}` : undefined,
    };
  }
  if (env.GITLAB_CI === 'true') {
    return {
      commit: env.CI_COMMIT_SHA,
      actor: env.GITLAB_USER_LOGIN ? `gitlab:${env.GITLAB_USER_LOGIN}` : undefined,
      release: releaseFromTag(env.CI_COMMIT_TAG),
      pipeline: env.CI_PIPELINE_URL,
    };
  }
  if (env.JENKINS_URL || env.BUILD_URL) {
    return {
      commit: env.GIT_COMMIT,
      actor: env.BUILD_USER_ID ? `jenkins:${env.BUILD_USER_ID}` : undefined,
      release: releaseFromTag(env.TAG_NAME),
      pipeline: env.BUILD_URL,
    };
  }
  return {};
}

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}
