import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { GitSource } from '../policy/index.js';

/** Runs git in `dir` with a fixed identity and dates, so commits are reproducible. */
export function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-C', dir, ...args], {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: dir,
      GIT_AUTHOR_NAME: 'Test',
      GIT_AUTHOR_EMAIL: 'test@example.com',
      GIT_COMMITTER_NAME: 'Test',
      GIT_COMMITTER_EMAIL: 'test@example.com',
      GIT_AUTHOR_DATE: '2024-01-01T00:00:00Z',
      GIT_COMMITTER_DATE: '2024-01-01T00:00:00Z',
    },
  }).trim();
}

/**
 * A repository with two commits on main (tag v1 on the first), a branch `feature`, an executable
 * script, a symlink and an envs/prod subfolder. Returns its folder.
 */
export function makeGitRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-git-'));
  const write = (rel: string, text: string, mode = 0o644) => {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text, { mode });
  };
  git(dir, 'init', '-q', '-b', 'main');
  write('envs/prod/main.tf', 'resource "x" "y" { count = 1 }\n');
  write('envs/prod/vars.tfvars', 'replicas = 3\n');
  write('envs/dev/main.tf', 'resource "x" "y" { count = 0 }\n');
  write('scripts/apply.sh', '#!/bin/sh\nterraform apply\n', 0o755);
  write('README.md', 'infra\n');
  symlinkSync('envs/prod/main.tf', join(dir, 'current.tf'));
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'first');
  git(dir, 'tag', 'v1');
  write('envs/prod/vars.tfvars', 'replicas = 6\n');
  git(dir, 'commit', '-q', '-am', 'second');
  git(dir, 'checkout', '-q', '-b', 'feature');
  write('envs/prod/feature.tf', 'feature = true\n');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'feature');
  git(dir, 'checkout', '-q', 'main');
  return dir;
}

export function gitSource(over: Partial<GitSource>): GitSource {
  return { kind: 'git', ref: 'main', subdir: '', include: ['**'], exclude: [], timeoutMs: 30_000, ...over };
}
