import type { Policy } from '../../policy/index.js';
import { failureFigures } from './figures-alerts.js';
import { coverageFigures } from './figures-coverage.js';
import { drillFigures } from './figures-drills.js';
import { approvalFigures, auditFigures, exceptionFigures } from './figures-governance.js';
import { retentionFigures } from './figures-retention.js';
import type { Figure, ReportFacts } from './types.js';

/**
 * Every figure of the report from its facts alone: the same function runs on the catalog's facts when
 * the report is built and on the repository's and the checkpoints' when it is verified.
 */
export function computeFigures(facts: ReportFacts, policy: Policy): Figure[] {
  return [
    ...coverageFigures(facts, policy),
    ...retentionFigures(facts, policy),
    ...drillFigures(facts),
    ...exceptionFigures(facts, policy),
    ...failureFigures(facts),
    ...approvalFigures(facts),
    ...auditFigures(facts),
  ];
}
