import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type DeploymentRecord, redactUrl, type SnapshotHit } from '../catalog/index.js';
import { CairnError } from '../errors/index.js';
import { formatDuration, type Item, type Policy, type Tier } from '../policy/index.js';
import { sourceLabel } from '../sources/index.js';
import { lastDrillLines } from './drill/runbook-section.js';
import { environmentsOf } from './environments.js';
import { targetLabel, verifyMode } from './rollback-plan.js';
import type { Session } from './session.js';

export interface RunbookFile {
  /** File name: `<item>.md`, and README.md for the environment's index. */
  readonly name: string;
  readonly content: string;
}

export interface Runbooks {
  readonly environment: string;
  readonly files: readonly RunbookFile[];
}

/** How many of an item's snapshots a runbook lists. */
export const RUNBOOK_SNAPSHOTS = 5;

/**
 * The runbooks of an environment (C7.6) as Markdown: one per item (where its backups are, the exact
 * restore and rollback commands, owner, RPO/RTO, latest snapshots, last drill) and an index. The same
 * catalog gives the same bytes: items by name, no generation time.
 */
export async function renderRunbooks(
  session: Session,
  policy: Policy,
  opts: { environment: string },
): Promise<Runbooks> {
  const env = opts.environment;
  const known = environmentsOf(policy);
  if (!known.includes(env)) {
    throw new CairnError(
      'CAIRN_E_USAGE',
      `environment ${env} is not in ${policy.file}; environments: ${known.length > 0 ? known.join(', ') : '(none)'}`,
      { environment: env },
    );
  }
  const items = policy.items.filter((i) => i.environment === env).sort((a, b) => (a.name < b.name ? -1 : 1));
  const deployment = await session.catalog.deployments.latest(env);
  const where = backupsOf(session, policy);
  const files: RunbookFile[] = [];
  for (const item of items) {
    const snapshots = await session.catalog.findSnapshots({ item: [item.name], limit: RUNBOOK_SNAPSHOTS });
    const drill = await lastDrillLines(session.catalog, policy, item.name);
    files.push({ name: `${item.name}.md`, content: itemRunbook(policy, item, snapshots, deployment, where, drill) });
  }
  files.push({ name: 'README.md', content: indexPage(policy, env, items, deployment) });
  return { environment: env, files };
}

/** Writes renderRunbooks' files into outDir (created when missing); returns their paths. */
export async function writeRunbooks(
  session: Session,
  policy: Policy,
  opts: { environment: string; outDir: string },
): Promise<{ environment: string; outDir: string; files: string[] }> {
  const books = await renderRunbooks(session, policy, opts);
  const outDir = resolve(opts.outDir);
  await mkdir(outDir, { recursive: true });
  const files: string[] = [];
  for (const f of books.files) {
    const path = join(outDir, f.name);
    await writeFile(path, f.content);
    files.push(path);
  }
  return { environment: books.environment, outDir, files };
}

interface Backups {
  readonly repository: string;
  readonly replica: string | null;
}

function backupsOf(session: Session, policy: Policy): Backups {
  return {
    repository: redactUrl(session.repo.storage.location),
    replica: policy.replication ? redactUrl(policy.replication.to) : null,
  };
}

function tierLine(policy: Policy, item: Item): string {
  const tier: Tier | undefined = policy.tiers[item.tier];
  const rpo = tier?.rpoMs !== undefined ? formatDuration(tier.rpoMs) : 'not set';
  const rto = tier?.rtoMs !== undefined ? formatDuration(tier.rtoMs) : 'not set';
  return `${item.tier}${tier?.description ? ` (${tier.description})` : ''} — RPO ${rpo}, RTO ${rto}`;
}

function itemRunbook(
  policy: Policy,
  item: Item,
  snapshots: readonly SnapshotHit[],
  deployment: DeploymentRecord | undefined,
  where: Backups,
  drill: readonly string[],
): string {
  const tier = policy.tiers[item.tier];
  const lines: string[] = [`# Runbook: ${item.name}`, ''];
  if (item.description) lines.push(item.description, '');
  lines.push(
    `- Owner: ${item.owner}`,
    `- Environment: ${item.environment ?? '-'}${item.component ? `, component ${item.component}` : ''}`,
    `- Tier: ${tierLine(policy, item)}`,
    `- Policy: ${policy.file}:${item.at.line}`,
    '',
    '## Sources',
    '',
    ...item.sources.map((s) => `- ${sourceLabel(s)}`),
    '',
    '## Where the backups are',
    '',
    `- Repository: ${where.repository}`,
    `- Replica: ${where.replica ? `${where.replica}${tier?.replicate ? ' (replicated after every snapshot of this tier)' : ' (replicated by `cairn replicate`)'}` : 'none (no replication.to in the policy)'}`,
    `- Lock: ${tier?.lock ? `${tier.lock.mode}, ${formatDuration(tier.lock.forMs)} from each snapshot` : 'none (tier has no lock)'}`,
    `- Retention: ${retention(policy, tier)}`,
    '',
    `## Latest snapshots (newest ${RUNBOOK_SNAPSHOTS})`,
    '',
  );
  if (snapshots.length === 0) lines.push('No snapshots recorded in the catalog.');
  else {
    lines.push('| Snapshot | Time | Release | Trigger | Status |', '|---|---|---|---|---|');
    for (const s of snapshots) {
      lines.push(`| \`${s.id.slice(0, 12)}\` | ${s.time} | ${s.release ?? '-'} | ${s.trigger} | ${s.status} |`);
    }
  }
  const latest = snapshots[0]?.id.slice(0, 12) ?? '<snapshot>';
  lines.push('', '## Restore', '');
  if (item.restore) {
    lines.push(
      `Restore target: ${targetLabel(item.restore)} (checked afterwards by ${verifyMode(item) === 'live' ? 'reading the source again' : 'the target accepting the bytes'}).`,
      '',
      'The newest snapshot into the target (`--dry-run` first shows what would be written):',
      '',
      '```sh',
      `cairn restore ${latest} --to-target`,
      '```',
      '',
    );
  } else lines.push('No restore target: add `restore:` to the item in the policy for `--to-target` and rollbacks.', '');
  lines.push(
    'A given snapshot into a folder, to inspect or copy by hand:',
    '',
    '```sh',
    `cairn restore ${latest} --target ./restore-${item.name}`,
    '```',
    '',
  );
  lines.push('## Roll back a deployment', '');
  if (deployment) {
    lines.push(
      `Latest deployment of ${deployment.environment}: ${deployment.id} (release ${deployment.release ?? '-'}, ${deployment.status}, started ${deployment.startedAt}). See the diff first, then roll back:`,
      '',
      '```sh',
      `cairn rollback --deployment ${deployment.id} --dry-run`,
      `cairn rollback --deployment ${deployment.id}`,
      '```',
      '',
    );
  } else {
    lines.push(
      `No deployment of ${item.environment ?? 'this environment'} recorded yet; once there is one (\`cairn deploy list --env ${item.environment ?? 'ENV'}\`):`,
      '',
      '```sh',
      'cairn rollback --deployment <deployment id> --dry-run',
      'cairn rollback --deployment <deployment id>',
      '```',
      '',
    );
  }
  lines.push(
    '## Restored together with',
    '',
    `- bundleWith: ${item.bundleWith.length > 0 ? item.bundleWith.join(', ') : 'none'}`,
    `- bundled by: ${bundledBy(policy, item)}`,
    `- requires: ${item.requires.length > 0 ? item.requires.map(requirement).join('; ') : 'none'}`,
    '',
    '## Drift rules',
    '',
    `- ignore: ${item.drift.ignore.length > 0 ? item.drift.ignore.map((k) => `\`${k}\``).join(', ') : 'none'}`,
    `- ignoreLines: ${item.drift.ignoreLines.length > 0 ? item.drift.ignoreLines.map((k) => `\`${k}\``).join(', ') : 'none'}`,
    '',
    '## Last drill',
    '',
    ...drill,
    '',
  );
  return lines.join('\n');
}

function bundledBy(policy: Policy, item: Item): string {
  const by = policy.items
    .filter((i) => i.bundleWith.includes(item.name))
    .map((i) => i.name)
    .sort();
  return by.length > 0 ? by.join(', ') : 'none';
}

function requirement(r: Item['requires'][number]): string {
  return `${r.item}${r.version ? ` ${r.version}` : ''}${r.when ? ` (when this is ${r.when})` : ''}`;
}

function retention(policy: Policy, tier: Tier | undefined): string {
  if (!tier) return 'tier not in the policy';
  const keep = Object.entries(tier.keep)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => (k === 'withinMs' ? `within ${formatDuration(v as number)}` : `${k} ${v}`));
  const cls = tier.retentionClass ? policy.retentionClasses[tier.retentionClass] : undefined;
  const parts = [keep.length > 0 ? `keep ${keep.join(', ')}` : 'no keep rules'];
  if (cls) parts.push(`retention class ${cls.name} (${formatDuration(cls.keepMs)})`);
  return parts.join('; ');
}

function indexPage(
  policy: Policy,
  env: string,
  items: readonly Item[],
  deployment: DeploymentRecord | undefined,
): string {
  const lines = [`# Runbooks: ${env}`, '', `Policy: ${policy.file}`, ''];
  if (deployment) {
    lines.push(
      `Latest deployment: ${deployment.id} (release ${deployment.release ?? '-'}, ${deployment.status}, started ${deployment.startedAt}).`,
      '',
      '```sh',
      `cairn rollback --deployment ${deployment.id} --dry-run`,
      '```',
      '',
    );
  } else lines.push(`No deployment of ${env} recorded yet.`, '');
  if (items.length === 0) lines.push('No items in this environment.', '');
  else {
    lines.push('| Item | Owner | Tier | Restore target |', '|---|---|---|---|');
    for (const i of items) {
      lines.push(
        `| [${i.name}](${i.name}.md) | ${i.owner} | ${tierLine(policy, i)} | ${i.restore ? targetLabel(i.restore) : 'none'} |`,
      );
    }
    lines.push('');
  }
  return lines.join('\n');
}
