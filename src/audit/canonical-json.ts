/**
 * Canonical JSON: JSON.stringify's output with every object's keys sorted (by UTF-16 code unit, as
 * Array#sort does) at every depth, and no whitespace. Equal values give equal bytes, so hashes and
 * signatures over it can be recomputed by anyone from an exported event (docs/AUDIT.md).
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sorted(value)) ?? 'null';
}

function sorted(value: unknown): unknown {
  const plain = hasToJSON(value) ? value.toJSON() : value;
  if (Array.isArray(plain)) return plain.map(sorted);
  if (plain === null || typeof plain !== 'object') return plain;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(plain).sort()) out[key] = sorted((plain as Record<string, unknown>)[key]);
  return out;
}

function hasToJSON(value: unknown): value is { toJSON(): unknown } {
  return typeof value === 'object' && value !== null && typeof (value as { toJSON?: unknown }).toJSON === 'function';
}
