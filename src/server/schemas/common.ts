/**
 * JSON Schema building blocks for route schemas. Objects are closed (`additionalProperties: false`)
 * so an unknown field is a 400 on input and never leaks on output; strings are bounded.
 */

export type JsonSchema = Readonly<Record<string, unknown>>;

export function str(maxLength = 256, extra: JsonSchema = {}): JsonSchema {
  return { type: 'string', maxLength, ...extra };
}

export function nullable(schema: JsonSchema): JsonSchema {
  return { ...schema, type: [schema.type as string, 'null'] };
}

export function obj(properties: Record<string, JsonSchema>, required: readonly string[] = []): JsonSchema {
  return { type: 'object', additionalProperties: false, properties, ...(required.length ? { required } : {}) };
}

export function arr(items: JsonSchema, maxItems = 1000): JsonSchema {
  return { type: 'array', items, maxItems };
}

/** An object whose fields are not described (a policy, an action's parameters or result). */
export const openObject: JsonSchema = { type: 'object', additionalProperties: true };

export const int: JsonSchema = { type: 'integer' };
export const num: JsonSchema = { type: 'number' };
export const bool: JsonSchema = { type: 'boolean' };

/** A snapshot id or unique prefix (≥ 4 hex digits). */
export const snapshotId = str(64, { pattern: '^[0-9a-f]{4,64}$' });

/** An opaque id of a token, a request, an approval or a key. */
export const opaqueId = str(128, { pattern: '^[A-Za-z0-9._:-]+$' });

/** A TOTP code. */
export const totp = str(10, { pattern: '^[0-9]{6,8}$' });

/** An ISO 8601 date (`2026-11-29`) or date and time, checked again when parsed. */
export const isoTime = str(40, { pattern: '^\\d{4}-\\d{2}-\\d{2}([T ][0-9:.]+(Z|[+-]\\d{2}:?\\d{2})?)?$' });

export const idParams = obj({ id: opaqueId }, ['id']);

/** Every error: `{ error: { code, message, details? } }`. */
export const errorSchema: JsonSchema = obj(
  {
    error: {
      type: 'object',
      additionalProperties: false,
      required: ['code', 'message'],
      properties: { code: str(64), message: { type: 'string' }, details: openObject },
    },
  },
  ['error'],
);
