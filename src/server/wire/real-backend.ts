import type { Identity } from '../../auth/index.js';
import type { Backend } from '../backend.js';
import { accessOps } from './access-ops.js';
import { approvalsOps } from './approvals-ops.js';
import { auditOps } from './audit-ops.js';
import { catalogReads } from './catalog-reads.js';
import { drillOps } from './drill-ops.js';
import { gateOps } from './gate-ops.js';
import { hooksOps } from './hooks-ops.js';
import { monitoringOps } from './monitoring-ops.js';
import { releaseOps } from './release-ops.js';
import { reportOps } from './report-ops.js';
import { repositoryOps } from './repository-ops.js';
import { rollbackOps } from './rollback-ops.js';
import { schedulesOps } from './schedules-ops.js';
import { replicationWatch, storageOps } from './storage-ops.js';
import type { WireContext } from './wire-context.js';

/** The server's Backend over the services, the access layer and the audit log. */
export type RealBackend = Backend<Identity>;

export function realBackend(ctx: WireContext): RealBackend {
  const watch = replicationWatch(ctx);
  const schedules = schedulesOps(ctx);
  return {
    ...catalogReads(ctx),
    ...repositoryOps(ctx, () => watch.invalidate()),
    ...storageOps(ctx, watch),
    ...approvalsOps(ctx),
    ...accessOps(ctx),
    ...auditOps(ctx),
    ...gateOps(ctx),
    // After catalogReads: its metrics() replaces theirs, adding the schedule gauges.
    ...schedules,
    ...hooksOps(ctx),
    ...releaseOps(ctx),
    ...rollbackOps(ctx),
    ...drillOps(ctx),
    // After schedulesOps: its metrics() with the monitoring gauges added.
    ...monitoringOps(ctx, schedules.metrics),
    ...reportOps(ctx),
  };
}
