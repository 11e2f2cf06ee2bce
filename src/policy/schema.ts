/**
 * The JSON Schema of cairn.yaml for editors (yaml-language-server: `# yaml-language-server: $schema=…`).
 * Generated from the validator's own zod schema, so completion and validation in the editor match
 * `cairn policy check` (cross-references such as "tier exists" are beyond JSON Schema and stay in check.ts).
 */
import { z } from 'zod';
import { policySchema } from './schema-zod.js';

export const POLICY_SCHEMA_ID = 'https://cairn.dev/schemas/cairn.yaml/v1.json';

let cached: Record<string, unknown> | undefined;

export function policyJsonSchema(): Record<string, unknown> {
  if (!cached) {
    // `io: 'input'`: the file as written, where defaults (secrets: refuse) make a key optional.
    const { $schema, ...rest } = z.toJSONSchema(policySchema, {
      target: 'draft-2020-12',
      io: 'input',
      unrepresentable: 'any',
    }) as Record<string, unknown>;
    cached = {
      $schema,
      $id: POLICY_SCHEMA_ID,
      title: 'Cairn policy (cairn.yaml)',
      ...rest,
      // Top-level `x-…` keys are the user's (YAML anchors); parse.ts ignores them too.
      patternProperties: { '^x-': {} },
    };
  }
  return structuredClone(cached);
}
