import type { DriftCheckRecord } from '../catalog/index.js';
import type { DriftReport, GateReport } from '../services/index.js';
import type { Caller } from './backend.js';
import type { Identity } from './deps.js';

/**
 * The release gate and drift use cases of the Backend, each answering what `cairn gate|drift --json`
 * print. A failed gate is an answer (passed: false), not an error.
 */
export interface GateBackend<I extends Identity = Identity> {
  /** `cairn gate --env E --release V --json`. */
  gate(input: { environment: string; release: string }): Promise<GateReport>;
  /** `cairn drift --env E [--item X] --json`: compares now and records the result. */
  runDrift(input: { environment: string; items?: readonly string[] }, caller: Caller<I>): Promise<DriftReport>;
  /** The latest recorded drift check of each item of the environment. */
  latestDrift(input: { environment: string }): Promise<{ environment: string; items: readonly DriftCheckRecord[] }>;
}
