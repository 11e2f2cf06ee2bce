/**
 * Cross-references of `drills:` (C5): names unique, items and environments exist and agree, validator
 * items belong to the plan, JSON Schema files compile, sign-off teams exist and can be signed by distinct
 * people, and the reserved canary item name is not taken. Reads the raw document defensively, like check.ts.
 */
import { dirname, resolve } from 'node:path';
import type { Report } from './check-release.js';
import { loadJsonSchema } from './json-schema.js';
import { VALIDATOR_KINDS } from './schema-drills.js';
import { didYouMean } from './suggest.js';
import { CANARY_ITEM } from './types.js';

type Raw = Record<string, unknown>;

export function checkDrills(root: Raw, report: Report, file: string, line: (path: PropertyKey[]) => number): void {
  const items = (Array.isArray(root.items) ? root.items : []).map(record);
  items.forEach((item, i) => {
    if (item?.name === CANARY_ITEM) {
      report('error', ['items', i, 'name'], `"${CANARY_ITEM}" is reserved for the canary of cairn serve (C8.6)`);
    }
  });
  if (!Array.isArray(root.drills)) return;

  const byName = new Map<string, Raw>();
  for (const item of items)
    if (item && typeof item.name === 'string' && !byName.has(item.name)) byName.set(item.name, item);
  const environments = record(root.environments);
  const envNames = environments
    ? Object.keys(environments)
    : [...new Set(items.map((i) => i?.environment).filter((e): e is string => typeof e === 'string'))];
  const teams = record(record(root.access)?.teams) ?? {};
  const tiers = record(root.tiers);
  const dir = dirname(resolve(file));
  const seen = new Map<string, number>();

  root.drills.forEach((value, d) => {
    const drill = record(value);
    if (!drill) return;
    const at = (...path: PropertyKey[]) => ['drills', d, ...path];
    const name = typeof drill.name === 'string' ? drill.name : `drills[${d}]`;
    const label = `drill "${name}"`;
    if (typeof drill.name === 'string') {
      const first = seen.get(drill.name);
      if (first !== undefined) {
        report(
          'error',
          at('name'),
          `duplicate drill name "${drill.name}" (first declared on line ${line(['drills', first, 'name'])})`,
        );
      } else seen.set(drill.name, d);
    }

    const env = typeof drill.environment === 'string' ? drill.environment : undefined;
    const envKnown = env === undefined || envNames.includes(env);
    if (!envKnown) {
      report(
        'error',
        at('environment'),
        `${label}: unknown environment "${env}"${didYouMean(env!, envNames)}; defined: ${envNames.join(', ') || 'none'}`,
      );
    }

    let planItems: string[] = [];
    if (Array.isArray(drill.items)) {
      const listed = new Set<string>();
      drill.items.forEach((entry, k) => {
        if (typeof entry !== 'string') return;
        if (listed.has(entry)) report('error', at('items', k), `${label}: item "${entry}" is listed twice`);
        listed.add(entry);
        const item = byName.get(entry);
        if (!item) {
          const known = [...byName.keys()];
          report('error', at('items', k), `${label}: unknown item "${entry}"${didYouMean(entry, known)}`);
        } else if (env !== undefined && envKnown && item.environment !== env) {
          const its = typeof item.environment === 'string' ? `environment ${item.environment}` : 'no environment';
          report('error', at('items', k), `${label}: item "${entry}" has ${its}, not the plan's environment ${env}`);
        }
      });
      planItems = [...listed];
    } else if (env !== undefined && envKnown) {
      planItems = [...byName.values()].filter((i) => i.environment === env).map((i) => String(i.name));
      if (planItems.length === 0) {
        report(
          'error',
          at('environment'),
          `${label}: environment ${env} has no items: the drill would restore nothing`,
        );
      }
    }

    (Array.isArray(drill.validate) ? drill.validate : []).forEach((v, j) => {
      const validator = record(v);
      const kind = VALIDATOR_KINDS.find((k) => validator?.[k] !== undefined);
      if (!validator || !kind) return;
      const body = record(validator[kind]);
      (Array.isArray(body?.items) ? body.items : []).forEach((entry, k) => {
        if (typeof entry === 'string' && !planItems.includes(entry)) {
          report(
            'error',
            at('validate', j, kind, 'items', k),
            `${label}: validator item "${entry}" is not one of the plan's items${didYouMean(entry, planItems)} (${planItems.join(', ') || 'none'})`,
          );
        }
      });
      if (kind === 'jsonSchema' && typeof body?.schema === 'string' && body.schema !== '') {
        try {
          loadJsonSchema(resolve(dir, body.schema));
        } catch (err) {
          report('error', at('validate', j, kind, 'schema'), `${label}: ${(err as Error).message}`);
        }
      }
    });

    checkSignoff(drill, teams, at, label, report);

    const unmeasured = planItems.flatMap((n) => {
      const tier = byName.get(n)?.tier;
      const t = typeof tier === 'string' || typeof tier === 'number' ? record(tiers?.[String(tier)]) : undefined;
      const missing = ['rto', 'rpo'].filter((k) => t?.[k] === undefined);
      return t && missing.length > 0 ? [`${n} (tier ${String(tier)}: no ${missing.join(', no ')})`] : [];
    });
    if (unmeasured.length > 0) {
      report(
        'warning',
        drill.items === undefined ? at() : at('items'),
        `${label}: nothing to measure RTO/RPO against for ${unmeasured.join('; ')}: set rto and rpo on the tier`,
      );
    }
  });
}

function checkSignoff(
  drill: Raw,
  teams: Raw,
  at: (...p: PropertyKey[]) => PropertyKey[],
  label: string,
  report: Report,
) {
  if (!Array.isArray(drill.signoff)) return;
  const known = Object.keys(teams);
  const wanted: string[] = [];
  drill.signoff.forEach((team, k) => {
    if (typeof team !== 'string') return;
    if (wanted.includes(team)) report('error', at('signoff', k), `${label}: team "${team}" is listed twice`);
    else if (!Object.hasOwn(teams, team)) {
      const list = known.length > 0 ? `; access.teams defines: ${known.join(', ')}` : '; access.teams defines none';
      report('error', at('signoff', k), `${label}: unknown sign-off team "${team}"${didYouMean(team, known)}${list}`);
    } else wanted.push(team);
  });
  // One person never signs for two teams, so each team needs a signer of its own (a bipartite matching).
  const members = wanted.map((t) =>
    Array.isArray(teams[t]) ? (teams[t] as unknown[]).filter((m) => typeof m === 'string') : [],
  );
  if (members.some((m) => m.length === 0)) return; // an empty team is reported by the schema
  if (!distinctSigners(members as string[][])) {
    report(
      'error',
      at('signoff'),
      `${label}: teams ${wanted.join(', ')} do not have enough different members to sign: one person cannot sign for two teams`,
    );
  }
}

/** Whether every team can get a different member (Kuhn's augmenting paths; teams are few). */
function distinctSigners(members: readonly string[][]): boolean {
  const owner = new Map<string, number>();
  const assign = (team: number, visited: Set<string>): boolean => {
    for (const person of members[team] ?? []) {
      if (visited.has(person)) continue;
      visited.add(person);
      const other = owner.get(person);
      if (other === undefined || assign(other, visited)) {
        owner.set(person, team);
        return true;
      }
    }
    return false;
  };
  return members.every((_, team) => assign(team, new Set()));
}

function record(value: unknown): Raw | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Raw) : undefined;
}
