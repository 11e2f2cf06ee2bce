/**
 * What the background loops of `cairn serve` (scheduler.ts, canary.ts, alert-loop.ts) share: the
 * replica id they claim slots under, the run states that are not finished yet, and their tick
 * settings read from the environment.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** A loop that claims slots in the catalog's schedule_runs under its replica id. */
export interface ReplicaLoop {
  /** hostname:pid:random, as recorded in schedule_runs.claimed_by. */
  readonly replica: string;
  /** Stops the loop and waits for the work in flight (runs, rounds, the alerts raised and their deliveries). */
  stop(): Promise<void>;
}

/** hostname:pid:random: one per loop, so two loops of one process never take each other's claims. */
export function newReplicaId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

/** The schedule_runs states of a run claimed and not finished. */
export const UNFINISHED_RUN: ReadonlySet<string> = new Set(['claimed', 'running']);

/** A positive number from the environment variable `name`; undefined when unset, empty or not one. */
export function envNumber(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}
