import { CairnError, errnoCode, isCairnError } from '../errors/index.js';

/**
 * Any error a request can meet, as the CairnError the client is shown. `internal` marks the ones
 * the client must not learn anything about (a bug, an OS error): their message is generic and the
 * stack goes to the log only.
 */
export function toCairnError(err: unknown, bodyLimit: number): { error: CairnError; internal: boolean } {
  if (isCairnError(err)) return { error: err, internal: false };
  const e = err as { code?: unknown; statusCode?: unknown; validation?: unknown; validationContext?: unknown };
  if (Array.isArray(e.validation))
    return { error: validationError(e.validation, e.validationContext), internal: false };
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        error: new CairnError('CAIRN_E_TOO_LARGE', `the request body is larger than the limit of ${bodyLimit} bytes`),
        internal: false,
      };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { error: new CairnError('CAIRN_E_USAGE', 'the request body is not valid JSON'), internal: false };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return {
        error: new CairnError('CAIRN_E_USAGE', 'the request says it carries JSON but its body is empty'),
        internal: false,
      };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { error: new CairnError('CAIRN_E_USAGE', 'send the request body as application/json'), internal: false };
  }
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (status >= 400 && status < 500 && typeof e.code === 'string' && e.code.startsWith('FST_')) {
    const message = err instanceof Error ? err.message : 'bad request';
    return { error: new CairnError('CAIRN_E_USAGE', message), internal: false };
  }
  const errno = errnoCode(err);
  if (errno === 'ENOSPC')
    return { error: new CairnError('CAIRN_E_STORAGE', 'the server is out of disk space'), internal: true };
  if (errno === 'EACCES' || errno === 'EPERM')
    return { error: new CairnError('CAIRN_E_STORAGE', 'the server was denied access to its storage'), internal: true };
  // The CLI reports unexpected errors with this code too (src/cli/index.ts).
  return {
    error: new CairnError('CAIRN_E_CHECK_FAILED', 'internal error; the server log has the details'),
    internal: true,
  };
}

interface AjvError {
  readonly keyword?: string;
  readonly instancePath?: string;
  readonly message?: string;
  readonly params?: { readonly additionalProperty?: string; readonly missingProperty?: string };
}

/** The first schema violation, naming the field (`body.roles[0]`, `querystring.limit`). */
function validationError(errors: readonly AjvError[], context: unknown): CairnError {
  const first = errors[0] ?? {};
  const part = typeof context === 'string' ? context : 'request';
  const path = (first.instancePath ?? '')
    .split('/')
    .filter(Boolean)
    .map((seg) => (/^\d+$/.test(seg) ? `[${seg}]` : `.${seg}`))
    .join('');
  let field = `${part}${path}`;
  let message: string;
  if (first.keyword === 'additionalProperties' && first.params?.additionalProperty !== undefined) {
    field = `${field}.${first.params.additionalProperty}`;
    message = `${field}: unknown field`;
  } else if (first.keyword === 'required' && first.params?.missingProperty !== undefined) {
    field = `${field}.${first.params.missingProperty}`;
    message = `${field}: is required`;
  } else {
    message = `${field}: ${first.message ?? 'is not valid'}`;
  }
  return new CairnError('CAIRN_E_USAGE', message, { field });
}
