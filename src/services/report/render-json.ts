import type { SignedReport } from './types.js';

/** `{ report, signature }`, indented for people; verify signs and compares its canonical form. */
export function renderJson(r: SignedReport): Uint8Array {
  return Buffer.from(`${JSON.stringify(r, null, 2)}\n`);
}
