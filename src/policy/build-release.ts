/**
 * Normalises the release-pipeline keys (schema-release.ts) into the model: content sources, restore
 * targets, schedules, maintenance windows, version rules, drift rules, change tickets, webhooks, alerts.
 * Durations become milliseconds, paths absolute against the policy folder, defaults are applied.
 */
import { basename, isAbsolute, relative, resolve, sep } from 'node:path';
import { parseDuration } from './durations.js';
import { parseMaintenanceWindow } from './maintenance-windows.js';
import type { RawEnvironment, RawItem, RawPolicy, RawSchedule, RawSource } from './schema-zod.js';
import type {
  AlertThresholds,
  ChangeTicketPolicy,
  ContentFormat,
  DriftRules,
  Environment,
  ItemVersion,
  MaintenanceWindow,
  RestoreTarget,
  Schedule,
  Source,
  TicketProvider,
  WebhookSettings,
} from './types.js';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const COMMAND_FILE: Record<ContentFormat, string> = { yaml: 'output.yaml', json: 'output.json', text: 'output.txt' };

export function ms(text: string): number {
  const value = parseDuration(text);
  if (value === undefined) throw new Error(`internal: unvalidated duration ${text}`);
  return value;
}

const msOr = (text: string | undefined, fallback: number) => (text === undefined ? fallback : ms(text));

/** Drops undefined properties, so the model has no `key: undefined` noise (and deepEqual is exact). */
export function defined<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) if (value[key] === undefined) delete value[key];
  return value;
}

/** The non-files sources; undefined for a files source (build.ts handles those). */
export function buildReleaseSource(source: RawSource, dir: string): Source | undefined {
  if (source.git) {
    const g = source.git;
    return defined({
      kind: 'git' as const,
      url: g.url,
      path: g.path === undefined ? undefined : resolve(dir, g.path),
      ref: g.ref,
      subdir: (g.subdir ?? '').replace(/^\/+|\/+$/g, ''),
      include: g.include ?? ['**'],
      exclude: g.exclude ?? [],
      timeoutMs: msOr(g.timeout, 120 * SECOND),
    });
  }
  if (source.dotenv) return { kind: 'dotenv', path: resolve(dir, source.dotenv.path) };
  if (source.command) {
    const c = source.command;
    const format = c.format ?? 'yaml';
    return {
      kind: 'command',
      run: c.run,
      timeoutMs: msOr(c.timeout, 60 * SECOND),
      cwd: resolve(dir, c.cwd ?? '.'),
      file: c.file ?? COMMAND_FILE[format],
      format,
      env: c.env ?? [],
    };
  }
  if (source.http) {
    const h = source.http;
    const format = h.format ?? 'json';
    return {
      kind: 'http',
      url: h.url,
      headersEnv: h.headersEnv ?? {},
      headers: h.headers ?? {},
      timeoutMs: msOr(h.timeout, 30 * SECOND),
      file: h.file ?? `response.${format}`,
      format,
    };
  }
  if (source.postgres) {
    const p = source.postgres;
    return defined({
      kind: 'postgres' as const,
      url: p.url,
      urlEnv: p.urlEnv,
      include: p.include ? [...new Set(p.include)] : ['settings' as const, 'roles' as const, 'extensions' as const],
      timeoutMs: msOr(p.timeout, 30 * SECOND),
    });
  }
  if (source.ssh) {
    const options: Record<string, unknown> = { ...source.ssh };
    // Local paths follow the same rule as files.root: relative to the policy file's folder.
    for (const key of ['path', 'keyFile']) {
      const value = options[key];
      if (typeof value === 'string' && !isAbsolute(value)) options[key] = resolve(dir, value);
    }
    if (typeof options.timeout === 'string' && parseDuration(options.timeout) !== undefined)
      options.timeoutMs = ms(options.timeout);
    return { kind: 'ssh', options };
  }
  return undefined;
}

export function buildRestoreTarget(raw: NonNullable<RawItem['restore']>, dir: string): RestoreTarget {
  if (raw.directory !== undefined) return { kind: 'directory', path: resolve(dir, raw.directory) };
  if (raw.command !== undefined) {
    return {
      kind: 'command',
      run: raw.command,
      timeoutMs: msOr(raw.timeout, 60 * SECOND),
      cwd: resolve(dir, raw.cwd ?? '.'),
    };
  }
  const h = raw.http!;
  return {
    kind: 'http',
    method: h.method ?? 'PUT',
    url: h.url,
    headersEnv: h.headersEnv ?? {},
    timeoutMs: msOr(h.timeout, 30 * SECOND),
  };
}

export function buildSchedule(raw: RawSchedule): Schedule {
  if (typeof raw === 'string') return { cron: raw, timezone: 'UTC', maintenanceWindowsOnly: false };
  return {
    cron: raw.cron,
    timezone: raw.timezone ?? 'UTC',
    maintenanceWindowsOnly: raw.maintenanceWindowsOnly ?? false,
  };
}

/**
 * The item's version file, and where its snapshots store it when it lies under one of its files sources:
 * with one source, relative to that root; with several, under `<index>-<basename(root)>/` as the snapshot
 * pipeline lays them out (services/snapshot.ts).
 */
export function buildItemVersion(file: string, sources: readonly Source[], dir: string): ItemVersion {
  const abs = resolve(dir, file);
  for (const [i, source] of sources.entries()) {
    if (source.kind !== 'files') continue;
    const rel = relative(source.root, abs);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) continue;
    const inside = rel.split(sep).join('/');
    const snapshotPath = sources.length === 1 ? inside : `${i}-${basename(source.root)}/${inside}`;
    return { file: abs, snapshotPath };
  }
  return { file: abs };
}

export function buildDrift(raw: RawItem['drift']): DriftRules {
  return { ignore: raw?.ignore ?? [], ignoreLines: raw?.ignoreLines ?? [] };
}

export function buildEnvironment(name: string, env: RawEnvironment | null | undefined): Environment {
  const windows: MaintenanceWindow[] = [];
  for (const text of env?.maintenanceWindows ?? []) {
    const parsed = parseMaintenanceWindow(text);
    if (typeof parsed === 'string') throw new Error(`internal: unvalidated maintenance window ${parsed}`);
    windows.push(parsed);
  }
  return defined({
    name,
    maintenanceWindows: windows,
    autoRollback: env?.autoRollback ?? false,
    driftSchedule: env?.driftSchedule === undefined ? undefined : buildSchedule(env.driftSchedule),
  });
}

export function buildChangeTickets(raw: RawPolicy['changeTickets'], dir: string): ChangeTicketPolicy | undefined {
  if (!raw) return undefined;
  let provider: TicketProvider;
  if (raw.provider.file) provider = { kind: 'file', path: resolve(dir, raw.provider.file.path) };
  else {
    const h = raw.provider.http!;
    const f = h.fields ?? {};
    provider = defined({
      kind: 'http' as const,
      url: h.url,
      tokenEnv: h.tokenEnv,
      userEnv: h.userEnv,
      passwordEnv: h.passwordEnv,
      timeoutMs: msOr(h.timeout, 15 * SECOND),
      fields: {
        number: f.number ?? 'number',
        state: f.state ?? 'state',
        approval: f.approval ?? 'approval',
        start: f.start ?? 'start_date',
        end: f.end ?? 'end_date',
      },
      approvedValues: h.approvedValues ?? ['approved'],
      approvedStates: h.approvedStates ?? ['scheduled', 'implement'],
    });
  }
  const r = raw.requireFor ?? {};
  return {
    provider,
    requireFor: {
      tiers: (r.tiers ?? []).map(String),
      environments: r.environments ?? [],
      actions: r.actions ? [...new Set(r.actions)] : ['snapshot', 'deploy', 'rollback'],
    },
  };
}

export function buildWebhooks(raw: RawPolicy['webhooks']): WebhookSettings {
  return defined({
    github: raw?.github ? { secretEnv: raw.github.secretEnv } : undefined,
    gitlab: raw?.gitlab ? { tokenEnv: raw.gitlab.tokenEnv } : undefined,
    generic: raw?.generic
      ? { secretEnv: raw.generic.secretEnv, replayWindowMs: msOr(raw.generic.replayWindow, 5 * MINUTE) }
      : undefined,
    environmentMap: { ...(raw?.environmentMap ?? {}) },
  });
}

export function buildAlertThresholds(raw: RawPolicy['alerts']): AlertThresholds {
  return {
    consecutiveFailures: raw?.consecutiveFailures ?? 2,
    lateAfterMs: msOr(raw?.lateAfter, 15 * MINUTE),
    escalateAfterMs: msOr(raw?.escalateAfter, 30 * MINUTE),
  };
}
