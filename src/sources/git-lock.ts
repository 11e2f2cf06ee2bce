import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

const RETRY_MS = 50;

/**
 * Takes `<dir>.lock` (a folder: mkdir is atomic) for one cache repository, so two fetches never
 * meet on git's own shallow.lock. A lock whose owner process is gone (same host), or older than
 * `staleMs`, is taken over. Waits at most `waitMs`; returns the release function, or undefined
 * when the wait ran out or `signal` fired.
 */
export async function lockCache(
  dir: string,
  waitMs: number,
  staleMs: number,
  signal?: AbortSignal,
): Promise<(() => void) | undefined> {
  const lock = `${dir}.lock`;
  const owner = join(lock, 'owner');
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(owner, `${process.pid} ${hostname()}\n`);
      return () => rmSync(lock, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (isStale(lock, owner, staleMs)) {
      rmSync(lock, { recursive: true, force: true });
      continue;
    }
    if (signal?.aborted || Date.now() >= deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
  }
}

function isStale(lock: string, owner: string, staleMs: number): boolean {
  let text: string;
  try {
    text = readFileSync(owner, 'utf8');
  } catch {
    // Made but not yet written (or written by a crashed process): stale only by age.
    return age(lock) > Math.min(staleMs, 10_000);
  }
  const [pid, host] = text.trim().split(' ');
  if (host === hostname() && pid && !alive(Number(pid))) return true;
  return age(lock) > staleMs;
}

function age(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
