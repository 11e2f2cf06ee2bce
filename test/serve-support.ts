/**
 * What the end-to-end tests of `cairn serve` share: the server as a child process of the built
 * bundle (`node bin/cairn.js serve --port 0 --json`), a small HTTP client that sends a bearer token
 * and a user agent, tokens made with `cairn token create`, and TOTP codes computed as an
 * authenticator app would.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { generate } from 'otplib';
import { cliEnv, spawnCairn } from './e2e.js';
import type { Fixture } from './helpers.js';

export const USER_AGENT = 'cairn-e2e/1.0';

export interface ServeProcess {
  readonly url: string;
  readonly facts: Record<string, unknown>;
  readonly child: ChildProcess;
  /** Everything the server wrote on stderr so far: its log. */
  log(): string;
  /** SIGTERM, then the exit code (SIGKILL after 20 s). */
  stop(): Promise<number | null>;
}

/**
 * Starts `cairn serve --port 0 --json ARGS` and waits for its start-up document on stdout. The canary
 * (a snapshot of its own item every canary.every, first at start) would add snapshots, audit events
 * and lock holds to every test: it runs only when ARGS has `--canary` (taken out, not passed on).
 */
export async function startServe(
  f: Fixture,
  args: readonly string[] = [],
  env: Record<string, string | undefined> = {},
): Promise<ServeProcess> {
  const canary = args.includes('--canary') ? [] : ['--no-canary'];
  const rest = args.filter((a) => a !== '--canary');
  const spawned = spawnCairn(['serve', '--port', '0', '--json', ...canary, ...rest], {
    env: cliEnv(f, env),
    cwd: f.dir,
  });
  const { child } = spawned;
  const exited = once(child, 'exit');
  const deadline = Date.now() + 60_000;
  let facts: Record<string, unknown> | undefined;
  while (!facts) {
    try {
      facts = JSON.parse(spawned.stdout()) as Record<string, unknown>;
    } catch {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(
          `cairn serve did not start (exit ${child.exitCode}):\n${spawned.stdout()}\n${spawned.stderr()}`,
        );
      }
      await sleep(25);
    }
  }
  return {
    url: String(facts.url),
    facts,
    child,
    log: spawned.stderr,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const [code] = (await exited) as [number | null];
      clearTimeout(timer);
      return code;
    },
  };
}

export interface Reply<T = Record<string, unknown>> {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly body: T;
}

/** One request to the server as the holder of `token` (none: anonymous). */
export async function call<T = Record<string, unknown>>(
  url: string,
  method: string,
  path: string,
  opts: { token?: string | undefined; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = { 'user-agent': USER_AGENT, ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${url}${path}`, {
    method,
    headers,
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: res.status, headers: res.headers, text, body: body as T };
}

/** A client bound to one server and token; `ok` asserts the status and returns the body. */
export function client(url: string, token?: string) {
  const as = (method: string) => (path: string, body?: unknown) =>
    call(url, method, path, { token, ...(body !== undefined ? { body } : {}) });
  return {
    get: as('GET'),
    post: as('POST'),
    del: as('DELETE'),
    async ok<T = Record<string, unknown>>(reply: Promise<Reply>, status = 200): Promise<T> {
      const r = await reply;
      assert.equal(r.status, status, `expected ${status}, got ${r.status}: ${r.text}`);
      return r.body as T;
    },
  };
}

/** `cairn token create --json` against the fixture's repository: the secret. */
export function localToken(f: Fixture, name: string, roles: readonly string[], expires = '1d'): string {
  const r = f.cli([
    'token',
    'create',
    '--name',
    name,
    ...roles.flatMap((role) => ['--role', role]),
    '--expires',
    expires,
    '--json',
  ]);
  assert.equal(r.code, 0, `token create ${name}: ${r.stdout}\n${r.stderr}`);
  return r.json<{ token: string }>().token;
}

/** A token made through the API by `admin`: the creator counts as the same person as its tokens. */
export async function apiToken(url: string, admin: string, name: string, roles: readonly string[]): Promise<string> {
  const r = await call<{ token: string }>(url, 'POST', '/api/v1/tokens', {
    token: admin,
    body: { name, roles, expires: '1d' },
  });
  assert.equal(r.status, 201, r.text);
  return r.body.token;
}

/** The code an authenticator shows for `secret`, `steps` 30-second steps from now. */
export function totp(secret: string, steps = 0): Promise<string> {
  return generate({ secret, epoch: Math.floor(Date.now() / 1000) + steps * 30 });
}

/** Enrols the token's identity in MFA through the API and confirms it with the current code (returned too). */
export async function enrolMfa(url: string, token: string): Promise<{ secret: string; used: string }> {
  const c = client(url, token);
  const { secret } = await c.ok<{ secret: string }>(c.post('/api/v1/mfa/enroll'));
  const used = await totp(secret);
  await c.ok(c.post('/api/v1/mfa/confirm', { totp: used }));
  return { secret, used };
}

export async function until<T>(what: string, probe: () => T | Promise<T>, done: (v: T) => boolean, ms = 20_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)?.slice(0, 500)}`);
    await sleep(50);
  }
}

/**
 * A `--json` answer with the figures that depend on the moment they were worked out (times, ages,
 * durations, projections over the item's age) replaced by their type, so that an answer from a
 * server and one from local mode, taken moments apart, can be compared.
 */
export function timeless(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(timeless);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, MOVING.has(k) || k.endsWith('Ms') ? typeof v : timeless(v)]),
  );
}

const MOVING = new Set(['time', 'since', 'historyDays', 'growthBytes', 'storedBytes']);
