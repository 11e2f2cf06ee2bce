import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { ItemResult } from '../services/index.js';
import type { CatalogMetrics } from './backend.js';
import type { ReplicationMetrics } from './backend-storage.js';
import { monitoringGauges } from './metrics-monitoring.js';

/**
 * The server's Prometheus metrics, in a registry of its own (several servers in one process, as in
 * tests, do not share counters). Catalog-derived gauges are set from one backend.metrics() call per
 * scrape; the others are counted as requests go by.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  private catalog: CatalogMetrics = { snapshots: [], items: [] };
  private replication: ReplicationMetrics | null = null;

  readonly httpDuration = new Histogram({
    name: 'cairn_http_request_duration_seconds',
    help: 'HTTP requests by route template, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  readonly auditEvents = new Counter({
    name: 'cairn_audit_events_total',
    help: 'Audit events written, by result',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly auditWriteFailures = new Counter({
    name: 'cairn_audit_write_failures_total',
    help: 'Audit events that could not be written (each refused a request)',
    registers: [this.registry],
  });

  readonly authFailures = new Counter({
    name: 'cairn_auth_failures_total',
    help: 'Failed authentications (missing, malformed, unknown, expired or revoked credentials)',
    registers: [this.registry],
  });

  readonly snapshotDuration = new Histogram({
    name: 'cairn_snapshot_duration_seconds',
    help: 'Time to snapshot one item, for snapshots taken through this server',
    labelNames: ['item', 'status'] as const,
    buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.scheduleGauges();
    monitoringGauges(this.registry, () => this.catalog.monitoring);
    const holder = this;
    new Gauge({
      name: 'cairn_snapshots',
      help: 'Snapshots in the catalog, by item and status',
      labelNames: ['item', 'status'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const s of holder.catalog.snapshots) this.set({ item: s.item, status: s.status }, s.count);
      },
    });
    new Gauge({
      name: 'cairn_snapshot_bytes',
      help: "Logical size of each item's newest snapshot",
      labelNames: ['item'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const i of holder.catalog.items)
          if (i.lastSnapshotBytes !== null) this.set({ item: i.item }, i.lastSnapshotBytes);
      },
    });
    new Gauge({
      name: 'cairn_last_success_timestamp_seconds',
      help: "Unix time of each item's newest snapshot or verification",
      labelNames: ['item'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const i of holder.catalog.items) {
          const t = i.lastSuccess ? Date.parse(i.lastSuccess) : Number.NaN;
          if (!Number.isNaN(t)) this.set({ item: i.item }, t / 1000);
        }
      },
    });
    new Gauge({
      name: 'cairn_replication_behind_snapshots',
      help: "Snapshots of each item the policy's replica lacks, as of cairn_replication_status_timestamp_seconds",
      labelNames: ['item'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const i of holder.replication?.items ?? []) this.set({ item: i.item }, i.behind);
      },
    });
    new Gauge({
      name: 'cairn_replication_lag_seconds',
      help: 'Age of the oldest snapshot of each item the replica lacks (0 when it lacks none)',
      labelNames: ['item'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        const now = Date.now();
        for (const i of holder.replication?.items ?? []) {
          const t = i.oldestMissing ? Date.parse(i.oldestMissing) : Number.NaN;
          this.set({ item: i.item }, Number.isNaN(t) ? 0 : Math.max(0, now - t) / 1000);
        }
      },
    });
    new Gauge({
      name: 'cairn_replication_status_timestamp_seconds',
      help: 'Unix time the replication gauges were worked out (they are refreshed in the background), by replica',
      labelNames: ['replica'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        const r = holder.replication;
        const t = r ? Date.parse(r.computedAt) : Number.NaN;
        if (r && !Number.isNaN(t)) this.set({ replica: r.to }, t / 1000);
      },
    });
  }

  /** The schedule gauges, from CatalogMetrics.schedules (set by the server's backend on each scrape). */
  private scheduleGauges(): void {
    const holder = this;
    new Gauge({
      name: 'cairn_schedule_last_success_timestamp_seconds',
      help: 'Unix time the latest successful run of each schedule finished (tier:, item:, drift:, drill: keys; the canary has cairn_canary_* gauges)',
      labelNames: ['schedule'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const s of holder.catalog.schedules ?? []) {
          const t = s.lastSuccess ? Date.parse(s.lastSuccess) : Number.NaN;
          if (!Number.isNaN(t)) this.set({ schedule: s.schedule }, t / 1000);
        }
      },
    });
    new Gauge({
      name: 'cairn_schedule_late',
      help: "1 when the schedule's current slot (tier:, item:, drift:, drill: keys) has not finished by due + alerts.lateAfter, else 0",
      labelNames: ['schedule'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const s of holder.catalog.schedules ?? []) this.set({ schedule: s.schedule }, s.late ? 1 : 0);
      },
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * The exposition text, with the catalog gauges set from `catalog` (one backend call per scrape) and
   * the replication gauges from the status last worked out (none when null).
   */
  async render(catalog: CatalogMetrics, replication: ReplicationMetrics | null = null): Promise<string> {
    this.catalog = catalog;
    this.replication = replication;
    return this.registry.metrics();
  }

  observeSnapshots(results: readonly ItemResult[]): void {
    for (const r of results) this.snapshotDuration.observe({ item: r.item, status: r.status }, r.durationMs / 1000);
  }
}
