import type { BundleEntry, DeploymentRecord } from '../../catalog/index.js';
import type { DeploymentView, FailedDeploymentView } from '../../services/index.js';
import { table } from '../output.js';

/** Exit 1 when an item of a bundle failed or a requirement failed: the deployment is recorded all the same. */
export function viewFailed(view: DeploymentView): boolean {
  return [...view.pre, ...view.post].some((e) => e.status === 'failed') || view.requirements.some((r) => !r.ok);
}

export function renderView(view: DeploymentView): string {
  const d = view.deployment;
  const lines = [headline(d)];
  if (d.pipeline) lines.push(`  pipeline: ${d.pipeline}`);
  if (d.reason) lines.push(`  reason: ${d.reason}`);
  if (d.ticket) {
    const t = d.ticket;
    lines.push(
      `  change ticket ${t.id}: ${t.approval ?? '-'} / ${t.state ?? '-'}, window ${t.start ?? '?'} – ${t.end ?? '?'} (${t.provider})`,
    );
  }
  for (const [name, entries] of [
    ['pre-deploy', view.pre],
    ['post-deploy', view.post],
  ] as const) {
    if (entries.length > 0) lines.push(`  ${name}:`, ...entries.map((e) => `    ${entry(e)}`));
  }
  if (view.requirements.length > 0) {
    lines.push('  requirements:', ...view.requirements.map((r) => `    ${r.ok ? 'ok  ' : 'FAIL'} ${r.reason}`));
  }
  return lines.join('\n');
}

export function renderFailed(r: FailedDeploymentView): string {
  const lines = [renderView(r)];
  if (r.rollback) {
    const rb = r.rollback;
    lines.push(
      `  rollback ${rb.rollback}: ${rb.status}`,
      ...rb.items.map((i) => `    ${i.item}: ${i.state}${i.error ? ` ${i.error.code}: ${i.error.message}` : ''}`),
    );
  } else if (r.rollbackError) {
    lines.push(`  rollback FAILED ${r.rollbackError.code}: ${r.rollbackError.message}`);
  } else if (!r.autoRollback) {
    lines.push(
      `  no automatic rollback for ${r.deployment.environment}; run \`cairn rollback --deployment ${r.deployment.id}\` to put the pre-deploy bundle back`,
    );
  }
  return lines.join('\n');
}

export function renderList(list: readonly DeploymentRecord[]): string {
  if (list.length === 0) return 'no deployments';
  return table(
    ['ID', 'ENV', 'RELEASE', 'STATUS', 'STARTED', 'FINISHED', 'CHANGE', 'REQUIREMENTS'],
    list.map((d) => [
      d.id,
      d.environment,
      d.release ?? '-',
      d.status,
      d.startedAt,
      d.finishedAt ?? '-',
      d.change ?? '-',
      d.requirements.length === 0
        ? '-'
        : `${d.requirements.filter((r) => !r.ok).length} failed of ${d.requirements.length}`,
    ]),
  );
}

function headline(d: DeploymentRecord): string {
  const release = d.release ? ` release ${d.release}` : '';
  const commit = d.commit ? ` commit ${d.commit.slice(0, 12)}` : '';
  return `deployment ${d.id} of ${d.environment}${release}${commit}: ${d.status} (by ${d.actor} at ${d.startedAt}, via ${d.source})`;
}

function entry(e: BundleEntry): string {
  if (e.status === 'failed') return `${e.item}: FAILED ${e.error ?? ''}`;
  const id = e.snapshotId?.slice(0, 12) ?? '-';
  return e.status === 'unchanged' ? `${e.item}: unchanged, verified against ${id}` : `${e.item}: ${e.status} ${id}`;
}
