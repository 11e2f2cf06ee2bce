/**
 * The one error registry. Every failure a user can see has a stable code, a message that says
 * what to do, an exit code for the CLI and an HTTP status for the server. Layers throw CairnError;
 * the CLI prints `code: message` without a stack trace unless --debug.
 */

export const ExitCode = Object.freeze({
  ok: 0,
  failed: 1,
  usage: 2,
  partial: 3,
});

interface ErrorSpec {
  readonly exit: number;
  readonly http: number;
}

export const errorCodes = Object.freeze({
  CAIRN_E_USAGE: { exit: ExitCode.usage, http: 400 },
  CAIRN_E_POLICY_INVALID: { exit: ExitCode.usage, http: 400 },
  CAIRN_E_POLICY_NOT_FOUND: { exit: ExitCode.usage, http: 400 },
  CAIRN_E_NO_REPOSITORY: { exit: ExitCode.failed, http: 404 },
  CAIRN_E_REPO_EXISTS: { exit: ExitCode.failed, http: 409 },
  CAIRN_E_REPO_LOCKED: { exit: ExitCode.failed, http: 423 },
  CAIRN_E_REPO_FORMAT: { exit: ExitCode.failed, http: 500 },
  CAIRN_E_NO_SECRET: { exit: ExitCode.usage, http: 401 },
  CAIRN_E_WRONG_KEY: { exit: ExitCode.failed, http: 401 },
  CAIRN_E_KEY_PROVIDER: { exit: ExitCode.failed, http: 502 },
  CAIRN_E_KEY_IN_USE: { exit: ExitCode.failed, http: 409 },
  CAIRN_E_NOT_FOUND: { exit: ExitCode.failed, http: 404 },
  CAIRN_E_AMBIGUOUS: { exit: ExitCode.usage, http: 400 },
  CAIRN_E_EXISTS: { exit: ExitCode.failed, http: 409 },
  CAIRN_E_RETAINED: { exit: ExitCode.failed, http: 409 },
  CAIRN_E_INTEGRITY: { exit: ExitCode.failed, http: 500 },
  CAIRN_E_UNSAFE_PATH: { exit: ExitCode.failed, http: 400 },
  CAIRN_E_TARGET_NOT_EMPTY: { exit: ExitCode.failed, http: 409 },
  CAIRN_E_SOURCE: { exit: ExitCode.failed, http: 422 },
  CAIRN_E_TARGET: { exit: ExitCode.failed, http: 502 },
  CAIRN_E_CHANGE_TICKET: { exit: ExitCode.failed, http: 412 },
  CAIRN_E_WEBHOOK: { exit: ExitCode.failed, http: 401 },
  CAIRN_E_SECRET_FOUND: { exit: ExitCode.failed, http: 422 },
  CAIRN_E_NOT_IMPLEMENTED: { exit: ExitCode.failed, http: 501 },
  CAIRN_E_STORAGE: { exit: ExitCode.failed, http: 503 },
  // S3 (issue 4): endpoint unreachable after retries, credentials refused, bucket missing or without Object Lock.
  CAIRN_E_STORAGE_UNAVAILABLE: { exit: ExitCode.failed, http: 503 },
  CAIRN_E_STORAGE_AUTH: { exit: ExitCode.failed, http: 502 },
  CAIRN_E_BUCKET: { exit: ExitCode.failed, http: 412 },
  CAIRN_E_CATALOG: { exit: ExitCode.failed, http: 503 },
  CAIRN_E_CHECK_FAILED: { exit: ExitCode.failed, http: 500 },
  // Server, access control and audit (issue 3).
  CAIRN_E_UNAUTHENTICATED: { exit: ExitCode.failed, http: 401 },
  CAIRN_E_FORBIDDEN: { exit: ExitCode.failed, http: 403 },
  CAIRN_E_DUTY_CONFLICT: { exit: ExitCode.failed, http: 403 },
  CAIRN_E_MFA: { exit: ExitCode.failed, http: 403 },
  CAIRN_E_EXPIRED: { exit: ExitCode.failed, http: 410 },
  CAIRN_E_RATE_LIMITED: { exit: ExitCode.failed, http: 429 },
  CAIRN_E_TOO_LARGE: { exit: ExitCode.usage, http: 413 },
  CAIRN_E_AUDIT: { exit: ExitCode.failed, http: 503 },
  CAIRN_E_SERVER: { exit: ExitCode.failed, http: 502 },
} satisfies Record<string, ErrorSpec>);

export type ErrorCode = keyof typeof errorCodes;

export class CairnError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CairnError';
    this.code = code;
    this.details = details;
  }

  get exitCode(): number {
    return errorCodes[this.code].exit;
  }

  get httpStatus(): number {
    return errorCodes[this.code].http;
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) };
  }
}

export function isCairnError(err: unknown, code?: ErrorCode): err is CairnError {
  return err instanceof CairnError && (code === undefined || err.code === code);
}

/** Errors raised by the OS (ENOENT, EACCES, ENOSPC...) carry a string `code`. */
export function errnoCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
