/**
 * When a failed alert delivery is tried again, and whether it is worth trying again at all.
 * A delivery is retried with exponential backoff (base ×2 per attempt, capped at an hour) while
 * it is younger than the give-up age; an error the sink calls permanent fails it at once.
 */
import { isCairnError } from '../../errors/index.js';
import { isTransientSinkError } from '../../notify/index.js';

export const DEFAULT_BACKOFF_MS = 30_000;
export const MAX_BACKOFF_MS = 60 * 60_000;
export const DEFAULT_GIVE_UP_AFTER_MS = 24 * 60 * 60_000;

/** The wait after the `attempts`-th failed attempt (1-based): base, 2×base, 4×base … at most an hour. */
export function retryDelayMs(attempts: number, baseMs = DEFAULT_BACKOFF_MS): number {
  const exponent = Math.max(0, Math.min(attempts - 1, 30));
  return Math.min(baseMs * 2 ** exponent, Math.max(MAX_BACKOFF_MS, baseMs));
}

/**
 * Whether another attempt may succeed. The sink's own verdict (`details.transient`) wins; then the
 * HTTP rule: no answer, 408, 429 and 5xx are transient, any other answer is not. Errors that are not
 * about the other side (no secret set, a sink kind not built, a bad URL) are permanent; an error that
 * is not a CairnError (a sink's bug) is retried rather than lost.
 */
export function isTransient(err: unknown): boolean {
  return isCairnError(err) ? isTransientSinkError(err) : true;
}

/** A one-line reason for the delivery row and the audit event; never a stack. */
export function errorText(err: unknown): string {
  if (isCairnError(err)) return `${err.code}: ${err.message}`.slice(0, 1000);
  return `unexpected error in the sink: ${err instanceof Error ? err.name : typeof err}`;
}
