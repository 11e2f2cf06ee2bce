import { readFile } from 'node:fs/promises';
import type { ErrorObject, ValidateFunction } from 'ajv';
import picomatch from 'picomatch';
import { parse as parseYaml } from 'yaml';
import type { DrillGapFound } from '../../catalog/index.js';
import { compileJsonSchema } from '../../policy/index.js';
import { restoredEntries } from './restored-files.js';
import type { ValidatorOutcome } from './validator-command.js';

/** How many of a file's schema errors its gap message names. */
const ERRORS_SHOWN = 5;

/**
 * A `jsonSchema:` validator: every restored file of the item matching `files` (globs relative to the
 * item folder) must parse (JSON; YAML for .yaml/.yml) and validate against the schema. Each file that
 * does not is one `schema-failure` gap keyed by its path. The schema is compiled by the policy layer, as
 * `policy check` compiles it: draft 2020-12 when `$schema` is absent, else the declared 2019-09 or draft-07.
 */
export async function runSchemaValidator(v: {
  schema: string;
  files: readonly string[];
  item: string;
  dir: string;
  /** Schemas compiled already in this drill: each is compiled once, not once per item. */
  compiled?: SchemaCache;
}): Promise<ValidatorOutcome> {
  let validate: ValidateFunction;
  try {
    validate = await cachedSchema(v.compiled, v.schema);
  } catch (err) {
    const error = `schema ${v.schema} cannot be used: ${err instanceof Error ? err.message : String(err)}`;
    return {
      ok: false,
      output: error,
      error,
      gaps: [{ item: v.item, category: 'validator-failed', key: `jsonSchema ${v.schema}`, message: error }],
    };
  }
  const match = picomatch([...v.files], { dot: true });
  const files = (await restoredEntries(v.dir)).filter((e) => e.type === 'file' && match(e.path));
  const gaps: DrillGapFound[] = [];
  const lines: string[] = [];
  for (const f of files) {
    const problem = await checkFile(validate, f.abs, f.path);
    lines.push(`${problem ? 'FAIL' : 'ok  '} ${f.path}${problem ? `: ${problem}` : ''}`);
    if (problem) gaps.push({ item: v.item, category: 'schema-failure', key: f.path, message: `${f.path}: ${problem}` });
  }
  if (files.length === 0) lines.push(`no restored file matches ${v.files.join(', ')}: nothing checked`);
  else
    lines.push(
      `${files.length - gaps.length} of ${files.length} file${files.length === 1 ? '' : 's'} valid against ${v.schema}`,
    );
  return { ok: gaps.length === 0, output: lines.join('\n'), gaps };
}

/** A drill's compiled schemas by path (a failed compilation is kept too: every item reports it). */
export type SchemaCache = Map<string, Promise<ValidateFunction>>;

function cachedSchema(cache: SchemaCache | undefined, path: string): Promise<ValidateFunction> {
  if (!cache) return compileSchema(path);
  let got = cache.get(path);
  if (!got) {
    got = compileSchema(path);
    // Awaited by each item that uses it; never an unhandled rejection meanwhile.
    got.catch(() => undefined);
    cache.set(path, got);
  }
  return got;
}

async function compileSchema(path: string): Promise<ValidateFunction> {
  return compileJsonSchema(JSON.parse(await readFile(path, 'utf8')) as unknown);
}

/** Why a file fails, or undefined when it is valid. */
async function checkFile(validate: ValidateFunction, abs: string, path: string): Promise<string | undefined> {
  const text = await readFile(abs, 'utf8');
  let data: unknown;
  try {
    data = /\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    const kind = /\.ya?ml$/i.test(path) ? 'YAML' : 'JSON';
    return `not valid ${kind}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
  }
  if (validate(data)) return undefined;
  const errors = validate.errors ?? [];
  const shown = errors.slice(0, ERRORS_SHOWN).map(errorText);
  const more = errors.length > ERRORS_SHOWN ? `; … ${errors.length - ERRORS_SHOWN} more` : '';
  return `${shown.join('; ')}${more}`;
}

function errorText(e: ErrorObject): string {
  return `${e.instancePath || '/'} ${e.message ?? e.keyword}`;
}
