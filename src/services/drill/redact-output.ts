import type { DrillGapFound } from '../../catalog/index.js';
import { findSecrets, redactSecrets } from '../../policy/index.js';

/**
 * Validators run over decrypted configuration, so what they print (a failing `grep`, `nginx -t`
 * quoting a line, a JSON parse error showing the text around it) can hold a secret. Before a
 * validator's output, error or gap message is kept in the catalog, every value the snapshot secret
 * scanner (C1.5) would flag is replaced by `[REDACTED:<kind>]`.
 */
export function redactText(text: string): string {
  if (text === '') return text;
  const bytes = Buffer.from(text, 'utf8');
  const found = findSecrets(bytes, 'validator-output.txt');
  return found.length === 0 ? text : redactSecrets(bytes, found).toString('utf8');
}

export function redactGap(g: DrillGapFound): DrillGapFound {
  return { ...g, key: redactText(g.key), message: redactText(g.message) };
}
