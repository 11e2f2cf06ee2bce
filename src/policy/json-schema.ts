/**
 * Compiles a drill's JSON Schema file with ajv: draft 2020-12 (also when `$schema` is absent), 2019-09 or
 * draft-07, chosen by `$schema`. `policy check` uses it to prove a schema is usable before a drill needs
 * it. ajv is loaded on first use only, so commands whose policy has no jsonSchema validator never pay for it.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ValidateFunction } from 'ajv';

type AjvClass = new (opts: Record<string, unknown>) => { compile(schema: unknown): ValidateFunction };

const DRAFTS: ReadonlyArray<{ pattern: RegExp; module: string }> = [
  { pattern: /^https?:\/\/json-schema\.org\/draft\/2020-12\/schema#?$/, module: 'ajv/dist/2020' },
  { pattern: /^https?:\/\/json-schema\.org\/draft\/2019-09\/schema#?$/, module: 'ajv/dist/2019' },
  { pattern: /^https?:\/\/json-schema\.org\/draft-07\/schema#?$/, module: 'ajv' },
];

let load: NodeJS.Require | undefined;

function ajvFor(module: string): AjvClass {
  load ??= createRequire(import.meta.url);
  const loaded = load(module) as { default?: AjvClass } & AjvClass;
  return loaded.default ?? loaded;
}

/** A validate function for a parsed JSON Schema document; throws an Error saying what is wrong with it. */
export function compileJsonSchema(doc: unknown): ValidateFunction {
  if (typeof doc !== 'boolean' && (typeof doc !== 'object' || doc === null || Array.isArray(doc))) {
    throw new Error('a JSON Schema is an object (or true / false)');
  }
  const declared = typeof doc === 'object' ? (doc as { $schema?: unknown }).$schema : undefined;
  let module = 'ajv/dist/2020';
  if (declared !== undefined) {
    const found = DRAFTS.find((d) => typeof declared === 'string' && d.pattern.test(declared));
    if (!found) {
      throw new Error(`unsupported $schema ${JSON.stringify(declared)}: use draft 2020-12, 2019-09 or draft-07`);
    }
    module = found.module;
  }
  const Ajv = ajvFor(module);
  // strict: false: keywords ajv does not know (x-…, examples in old drafts) are allowed by the standard.
  const ajv = new Ajv({ strict: false, allErrors: true, logger: false });
  return ajv.compile(doc);
}

/** Reads and compiles a JSON Schema file; the Error's message says whether reading, parsing or compiling failed. */
export function loadJsonSchema(path: string): ValidateFunction {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'ENOENT' ? `schema file ${path} does not exist` : `cannot read schema file ${path}: ${code}`,
    );
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new Error(`schema file ${path} is not valid JSON: ${oneLine((err as Error).message)}`);
  }
  try {
    return compileJsonSchema(doc);
  } catch (err) {
    throw new Error(`schema file ${path} is not a valid JSON Schema: ${oneLine((err as Error).message)}`);
  }
}

/** A policy error is one line: the parser quotes the file's text, newlines and all. */
function oneLine(message: string): string {
  return message.replace(/\s*[\r\n]+\s*/g, ' ');
}
