/**
 * A real repository, catalog and policy for the drift and gate service tests: files under a scratch
 * folder, a command source, and helpers to snapshot and edit.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type Policy, parsePolicy } from '../src/policy/index.js';
import { initRepository, openSession, type Session, takeSnapshots } from '../src/services/index.js';

export interface World {
  readonly dir: string;
  readonly policy: Policy;
  readonly session: Session;
  write(rel: string, content: string): string;
  /** Rewrites a file and moves its mtime on, so that no clock granularity hides the edit. */
  edit(rel: string, content: string): void;
  capture(environment: string, release: string): Promise<void>;
  close(): Promise<void>;
}

export async function world(policyText: (dir: string) => string, files: Record<string, string>): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-drift-'));
  const write = (rel: string, content: string) => {
    const p = join(dir, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, content);
    return p;
  };
  for (const [rel, content] of Object.entries(files)) write(rel, content);
  const file = write('cairn.yaml', policyText(dir));
  const loaded = parsePolicy(policyText(dir), file);
  const errors = loaded.issues.filter((i) => i.severity === 'error');
  if (errors.length > 0) throw new Error(`policy: ${JSON.stringify(errors)}`);
  const secret = { kind: 'password', value: 'test passphrase' } as const;
  const repository = join(dir, 'repo');
  await initRepository({ repository, secret });
  const session = await openSession({ repository, secret, home: join(dir, 'home') });
  return {
    dir,
    policy: loaded.policy,
    session,
    write,
    edit(rel, content) {
      const p = join(dir, rel);
      const before = statSync(p).mtimeMs;
      writeFileSync(p, content);
      const t = new Date(Math.max(before, Date.now()) + 2000);
      utimesSync(p, t, t);
    },
    async capture(environment, release) {
      await takeSnapshots(session, loaded.policy, { environment, run: { trigger: 'pre-deploy', release } });
    },
    async close() {
      await session.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
