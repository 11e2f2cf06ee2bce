import { CairnError, errnoCode, isCairnError } from '../errors/index.js';
import type { CatalogDialect } from './migrations/index.js';
import { redactUrl, scrubUrl } from './redact-url.js';

export interface CatalogLocation {
  readonly dialect: CatalogDialect;
  /** The URL or path exactly as configured: never put in a message, only scrubbed against. */
  readonly raw: string;
}

/**
 * Why a catalog could not be opened, as a CairnError that names where and says what to do. For
 * PostgreSQL the message and details carry the URL without its password, and the driver's error is
 * not attached as the cause: some (an unparseable URL's TypeError) hold the URL as written.
 */
export function openFailure(err: unknown, at: CatalogLocation): CairnError {
  if (isCairnError(err)) return err;
  const code = errnoCode(err);
  const message = err instanceof Error && err.message ? err.message : (code ?? String(err));
  if (at.dialect === 'postgres') {
    const url = redactUrl(at.raw);
    const reason = scrubUrl(message, at.raw);
    const hint =
      'check that PostgreSQL is running there and that the host, port, user, password and database are right';
    return new CairnError('CAIRN_E_CATALOG', `cannot connect to the catalog at ${url}: ${reason}; ${hint}`, {
      url,
      reason,
      ...(code === undefined ? {} : { code }),
      hint,
    });
  }
  const hint =
    'check that its directory is writable and the file is a Cairn catalog; ' +
    'a damaged catalog can be moved aside and rebuilt from the repository with `cairn catalog rebuild`';
  return new CairnError(
    'CAIRN_E_CATALOG',
    `cannot open the catalog at ${at.raw}: ${message}; ${hint}`,
    { path: at.raw, reason: message, ...(code === undefined ? {} : { code }), hint },
    { cause: err },
  );
}
