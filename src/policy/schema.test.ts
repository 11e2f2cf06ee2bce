import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { POLICY_SCHEMA_ID, policyJsonSchema } from './schema.js';

const EXAMPLE = join(dirname(fileURLToPath(import.meta.url)), 'testdata', 'cairn.example.yaml');

type Schema = Record<string, unknown>;

/** Every keyword the generated schema may use, all from JSON Schema draft 2020-12 (core, applicator, validation, meta-data). */
const KEYWORDS = new Set([
  '$schema',
  '$id',
  '$ref',
  '$defs',
  '$comment',
  'title',
  'description',
  'default',
  'examples',
  'deprecated',
  'readOnly',
  'writeOnly',
  'type',
  'enum',
  'const',
  'properties',
  'required',
  'additionalProperties',
  'propertyNames',
  'patternProperties',
  'items',
  'prefixItems',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minProperties',
  'maxProperties',
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'anyOf',
  'oneOf',
  'allOf',
  'not',
]);
const TYPES = new Set(['object', 'array', 'string', 'number', 'integer', 'boolean', 'null']);
const SUBSCHEMA = ['additionalProperties', 'propertyNames', 'items', 'not'];
const SUBSCHEMA_LISTS = ['anyOf', 'oneOf', 'allOf', 'prefixItems'];
const SUBSCHEMA_MAPS = ['properties', 'patternProperties', '$defs'];

/** Structural check: known keywords only, well-formed values, resolvable local $refs. Returns problems. */
function lint(schema: unknown, root: Schema, at = '#'): string[] {
  if (typeof schema === 'boolean') return [];
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return [`${at}: not a schema`];
  const s = schema as Schema;
  const problems: string[] = [];
  for (const [key, value] of Object.entries(s)) {
    if (!KEYWORDS.has(key)) problems.push(`${at}: unknown keyword ${key}`);
    if (SUBSCHEMA.includes(key)) problems.push(...lint(value, root, `${at}/${key}`));
    if (SUBSCHEMA_LISTS.includes(key)) {
      if (!Array.isArray(value) || value.length === 0) problems.push(`${at}/${key}: not a non-empty list`);
      else {
        for (const [i, v] of value.entries()) problems.push(...lint(v, root, `${at}/${key}/${i}`));
      }
    }
    if (SUBSCHEMA_MAPS.includes(key)) {
      for (const [name, sub] of Object.entries(value as Schema))
        problems.push(...lint(sub, root, `${at}/${key}/${name}`));
    }
  }
  const types = s.type === undefined ? [] : Array.isArray(s.type) ? s.type : [s.type];
  for (const t of types) if (!TYPES.has(t as string)) problems.push(`${at}: bad type ${String(t)}`);
  if (s.required !== undefined && !(Array.isArray(s.required) && s.required.every((r) => typeof r === 'string'))) {
    problems.push(`${at}: required is not a list of names`);
  }
  if (typeof s.pattern === 'string') {
    try {
      new RegExp(s.pattern, 'u');
    } catch {
      problems.push(`${at}: pattern is not a valid regular expression`);
    }
  }
  if (typeof s.$ref === 'string' && resolve(root, s.$ref) === undefined) problems.push(`${at}: unresolved ${s.$ref}`);
  return problems;
}

function resolve(root: Schema, ref: string): unknown {
  if (!ref.startsWith('#')) return undefined;
  return ref
    .slice(1)
    .split('/')
    .filter(Boolean)
    .reduce<unknown>(
      (node, part) => (node as Schema | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')],
      root,
    );
}

/** A small validator for the keywords above, enough to check a document against the schema. */
function validate(value: unknown, schema: unknown, root: Schema, at = ''): string[] {
  if (schema === true || schema === undefined) return [];
  if (schema === false) return [`${at}: not allowed`];
  const s = schema as Schema;
  if (typeof s.$ref === 'string') return validate(value, resolve(root, s.$ref), root, at);
  const errors: string[] = [];
  const typeOf = (v: unknown) =>
    v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v;
  if (s.type !== undefined) {
    const types = (Array.isArray(s.type) ? s.type : [s.type]) as string[];
    const t = typeOf(value);
    if (!types.includes(t) && !(t === 'integer' && types.includes('number')))
      return [`${at}: expected ${types}, got ${t}`];
  }
  if (s.const !== undefined && value !== s.const) errors.push(`${at}: expected ${String(s.const)}`);
  if (Array.isArray(s.enum) && !s.enum.includes(value)) errors.push(`${at}: not one of ${s.enum.join(', ')}`);
  if (typeof value === 'string') {
    if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(value))
      errors.push(`${at}: does not match ${s.pattern}`);
    if (typeof s.minLength === 'number' && value.length < s.minLength) errors.push(`${at}: too short`);
  }
  if (typeof value === 'number') {
    if (typeof s.minimum === 'number' && value < s.minimum) errors.push(`${at}: below ${s.minimum}`);
    if (typeof s.maximum === 'number' && value > s.maximum) errors.push(`${at}: above ${s.maximum}`);
  }
  if (Array.isArray(value)) {
    if (typeof s.minItems === 'number' && value.length < s.minItems) errors.push(`${at}: too few items`);
    for (const [i, v] of value.entries()) errors.push(...validate(v, s.items, root, `${at}[${i}]`));
  }
  if (typeOf(value) === 'object') {
    const obj = value as Schema;
    const props = (s.properties ?? {}) as Schema;
    for (const r of (s.required ?? []) as string[]) if (!(r in obj)) errors.push(`${at}.${r}: required`);
    const count = Object.keys(obj).length;
    if (typeof s.minProperties === 'number' && count < s.minProperties) errors.push(`${at}: too few properties`);
    if (typeof s.maxProperties === 'number' && count > s.maxProperties) errors.push(`${at}: too many properties`);
    for (const [k, v] of Object.entries(obj)) {
      if (s.propertyNames !== undefined) errors.push(...validate(k, s.propertyNames, root, `${at}.${k} (name)`));
      if (k in props) errors.push(...validate(v, props[k], root, `${at}.${k}`));
      else if (s.additionalProperties !== undefined)
        errors.push(...validate(v, s.additionalProperties, root, `${at}.${k}`));
    }
  }
  for (const sub of (s.allOf ?? []) as unknown[]) errors.push(...validate(value, sub, root, at));
  if (Array.isArray(s.anyOf) && !s.anyOf.some((sub) => validate(value, sub, root, at).length === 0)) {
    errors.push(`${at}: matches none of anyOf`);
  }
  if (Array.isArray(s.oneOf) && s.oneOf.filter((sub) => validate(value, sub, root, at).length === 0).length !== 1) {
    errors.push(`${at}: does not match exactly one of oneOf`);
  }
  return errors;
}

describe('policyJsonSchema', () => {
  const schema = policyJsonSchema();

  test('is a draft 2020-12 document with an id, a title and descriptions on the main fields', () => {
    assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
    assert.equal(schema.$id, POLICY_SCHEMA_ID);
    assert.equal(typeof schema.title, 'string');
    assert.equal(schema.type, 'object');
    assert.equal(schema.additionalProperties, false);
    const props = schema.properties as Record<string, Schema>;
    for (const key of ['version', 'governance', 'tiers', 'environments', 'exclude', 'items', 'exceptions']) {
      assert.equal(typeof props[key]?.description, 'string', `${key} has a description`);
    }
    const item = (props.items!.items as Schema).properties as Record<string, Schema>;
    for (const key of ['name', 'owner', 'tier', 'sources', 'secrets']) {
      assert.equal(typeof item[key]?.description, 'string', `items[].${key} has a description`);
    }
    assert.deepEqual((props.items!.items as Schema).required, ['name', 'owner', 'tier', 'sources']);
  });

  test('is structurally valid (known keywords, valid patterns, resolvable refs)', () => {
    assert.deepEqual(lint(schema, schema), []);
  });

  test('validates the example policy', async () => {
    const example = parse(await readFile(EXAMPLE, 'utf8'));
    assert.deepEqual(validate(example, schema, schema), []);
  });

  test('rejects what policy check rejects at the shape level', () => {
    const bad = {
      version: 1,
      tiers: { 0: { rpo: '15 minutes' } },
      items: [{ name: 'x', tier: 0, sources: [{ files: { root: 'a' }, git: { url: 'u', ref: 'm' } }], onwer: 'y' }],
    };
    const errors = validate(bad, schema, schema);
    assert.ok(
      errors.some((e) => e.startsWith('.tiers.0.rpo: does not match')),
      errors.join('\n'),
    );
    assert.ok(errors.includes('.items[0].owner: required'), errors.join('\n'));
    assert.ok(errors.includes('.items[0].sources[0]: too many properties'), errors.join('\n'));
    assert.ok(errors.includes('.items[0].onwer: not allowed'), errors.join('\n'));
  });

  test('covers drills, canary, sign-off teams and every alert sink kind', () => {
    const props = schema.properties as Record<string, Schema>;
    for (const key of ['drills', 'canary', 'alerts', 'access']) {
      assert.equal(typeof props[key]?.description, 'string', `${key} has a description`);
    }
    const good = {
      version: 1,
      access: { teams: { ops: ['alice'] } },
      drills: [{ name: 'd', items: ['a'], validate: [{ run: 'true' }, { baseline: { snapshot: 'abcdef' } }] }],
      alerts: { sinks: [{ email: { smtp: 'smtp://m', to: ['a@b.c'], for: ['drill'] } }] },
      canary: false,
    };
    assert.deepEqual(validate(good, schema, schema), []);
    const bad = {
      version: 1,
      drills: [{ name: 'd', items: ['a'], validate: [{ baseline: { snapshot: 'latest' } }] }],
      alerts: { sinks: [{ pagerduty: { for: ['nope'] } }] },
      canary: { evry: '5m' },
    };
    const errors = validate(bad, schema, schema);
    assert.ok(
      errors.some((e) => e.startsWith('.drills[0].validate[0].baseline.snapshot: does not match')),
      errors.join('\n'),
    );
    assert.ok(errors.includes('.alerts.sinks[0].pagerduty.routingKeyEnv: required'), errors.join('\n'));
    assert.ok(
      errors.includes(
        '.alerts.sinks[0].pagerduty.for[0]: not one of late, failure, anomaly, drift, drill, canary, coverage, escalation',
      ),
      errors.join('\n'),
    );
    assert.ok(errors.includes('.canary: matches none of anyOf'), errors.join('\n'));
  });

  test('returns a fresh copy each time', () => {
    const a = policyJsonSchema();
    (a as Schema).title = 'changed';
    assert.notEqual(policyJsonSchema().title, 'changed');
  });
});
