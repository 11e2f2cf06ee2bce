/**
 * Cross-references of the release-pipeline keys: requires/bundleWith name items, change tickets and
 * webhooks name tiers and environments, auto-rollback has somewhere to restore to, and a schedule that
 * waits for maintenance windows has windows to wait for. Reads the raw document defensively, like check.ts.
 */
import { didYouMean } from './suggest.js';
import type { PolicyIssue } from './types.js';

type Raw = Record<string, unknown>;
export type Report = (severity: PolicyIssue['severity'], path: PropertyKey[], message: string) => void;

export function checkReleaseReferences(root: Raw, report: Report, line: (path: PropertyKey[]) => number): void {
  const tiers = record(root.tiers);
  const environments = record(root.environments);
  const items = (Array.isArray(root.items) ? root.items : []).map(record);
  const names = items.map((i) => (typeof i?.name === 'string' ? i.name : undefined));
  const known = names.filter((n): n is string => n !== undefined);
  const envNames = Object.keys(environments ?? {});

  const unknownItem = (name: string) => `unknown item "${name}"${didYouMean(name, known)}; items: ${known.join(', ')}`;

  items.forEach((item, i) => {
    if (!item) return;
    const self = names[i];
    const label = self ? `item "${self}"` : `items[${i}]`;
    (Array.isArray(item.requires) ? item.requires : []).forEach((req, r) => {
      const target = record(req)?.item;
      if (typeof target !== 'string') return;
      if (target === self) report('error', ['items', i, 'requires', r, 'item'], `${label} cannot require itself`);
      else if (!known.includes(target))
        report('error', ['items', i, 'requires', r, 'item'], `${label}: requires ${unknownItem(target)}`);
    });
    (Array.isArray(item.bundleWith) ? item.bundleWith : []).forEach((target, b) => {
      if (typeof target !== 'string') return;
      if (target === self) report('error', ['items', i, 'bundleWith', b], `${label} cannot be bundled with itself`);
      else if (!known.includes(target))
        report('error', ['items', i, 'bundleWith', b], `${label}: bundleWith ${unknownItem(target)}`);
    });

    const envName = typeof item.environment === 'string' ? item.environment : undefined;
    const env = envName === undefined ? undefined : record(environments?.[envName]);
    if (env?.autoRollback === true && item.restore === undefined) {
      report(
        'warning',
        ['items', i],
        `${label} has no restore target, but environment ${envName} rolls back automatically ` +
          `(line ${line(['environments', envName!, 'autoRollback'])}): add restore: { directory | command | http }`,
      );
    }

    // A schedule that only runs in maintenance windows never runs without any.
    const own = record(item.schedule);
    const tierName = typeof item.tier === 'string' || typeof item.tier === 'number' ? String(item.tier) : undefined;
    const tierSchedule = tierName === undefined ? undefined : record(record(tiers?.[tierName])?.schedule);
    const waiting = item.schedule !== undefined ? own : tierSchedule;
    const windows = Array.isArray(env?.maintenanceWindows) ? env.maintenanceWindows : [];
    if (waiting?.maintenanceWindowsOnly === true && windows.length === 0) {
      const from = item.schedule !== undefined ? 'its schedule' : `tier ${tierName}'s schedule`;
      const why =
        envName === undefined ? 'but it has no environment' : `but environment ${envName} has no maintenanceWindows`;
      report(
        'error',
        item.schedule !== undefined ? ['items', i, 'schedule', 'maintenanceWindowsOnly'] : ['items', i, 'tier'],
        `${label}: ${from} runs only in maintenance windows, ${why}: it would never run`,
      );
    }
  });

  const tickets = record(root.changeTickets);
  const requireFor = record(tickets?.requireFor);
  (Array.isArray(requireFor?.tiers) ? requireFor.tiers : []).forEach((tier, t) => {
    if ((typeof tier === 'string' || typeof tier === 'number') && !(tiers && Object.hasOwn(tiers, String(tier)))) {
      const list = Object.keys(tiers ?? {});
      report(
        'error',
        ['changeTickets', 'requireFor', 'tiers', t],
        `unknown tier "${tier}"${didYouMean(String(tier), list)}; defined: ${list.join(', ') || 'none'}`,
      );
    }
  });
  (Array.isArray(requireFor?.environments) ? requireFor.environments : []).forEach((env, e) => {
    if (typeof env === 'string' && !envNames.includes(env)) {
      report(
        'error',
        ['changeTickets', 'requireFor', 'environments', e],
        `unknown environment "${env}"${didYouMean(env, envNames)}; defined: ${envNames.join(', ') || 'none'}`,
      );
    }
  });

  const map = record(record(root.webhooks)?.environmentMap);
  for (const [from, to] of Object.entries(map ?? {})) {
    if (typeof to === 'string' && !envNames.includes(to)) {
      report(
        'error',
        ['webhooks', 'environmentMap', from],
        `"${from}" maps to unknown environment "${to}"${didYouMean(to, envNames)}; defined: ${envNames.join(', ') || 'none'}`,
      );
    }
  }
}

function record(value: unknown): Raw | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Raw) : undefined;
}
