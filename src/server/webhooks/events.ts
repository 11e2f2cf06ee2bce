import { CairnError } from '../../errors/index.js';
import { type HookHeaders, type HookProvider, header } from './verify.js';

/**
 * What a verified delivery asks Cairn to do, read from the provider's payload. Pure; a payload that
 * is not what its event promises is CAIRN_E_USAGE naming the field. `environment` is the provider's
 * name for it: the backend maps it through the policy's webhooks.environmentMap.
 */
export type HookCommand =
  | { readonly kind: 'ping' }
  | { readonly kind: 'ignore'; readonly reason: string }
  | {
      readonly kind: 'start';
      readonly environment: string;
      readonly externalId: string | null;
      readonly release: string | null;
      readonly commit: string | null;
      readonly change: string | null;
      readonly pipeline: string | null;
    }
  | { readonly kind: 'finish'; readonly environment: string | null; readonly externalId: string }
  | {
      readonly kind: 'fail';
      readonly environment: string | null;
      readonly externalId: string;
      readonly reason: string | null;
    };

type Json = Record<string, unknown>;

/** The event's name as the provider gives it (header, or the generic body's `event`). */
export function eventName(provider: HookProvider, headers: HookHeaders, payload: Json): string {
  if (provider === 'github') return header(headers, 'x-github-event') ?? 'unknown';
  if (provider === 'gitlab') return header(headers, 'x-gitlab-event') ?? String(payload.object_kind ?? 'unknown');
  return typeof payload.event === 'string' ? payload.event.slice(0, 64) : 'unknown';
}

export function commandFor(provider: HookProvider, event: string, payload: Json): HookCommand {
  if (provider === 'github') return githubCommand(event, payload);
  if (provider === 'gitlab') return gitlabCommand(payload);
  return genericCommand(payload);
}

/** `v1.2.3` or `refs/tags/1.2.3-rc.1` → the version; a branch name or a sha → null. */
export function releaseFromRef(ref: string | null): string | null {
  if (ref === null) return null;
  const m = /^(?:refs\/tags\/)?v?(\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]+)?)$/.exec(ref);
  return m?.[1] ?? null;
}

export function githubCommand(event: string, p: Json): HookCommand {
  if (event === 'ping') return { kind: 'ping' };
  if (event !== 'deployment' && event !== 'deployment_status')
    return { kind: 'ignore', reason: `GitHub event ${event} is not acted on (deployment, deployment_status are)` };
  const d = object(p, 'deployment');
  const id = idOf(d, 'id', 'deployment.id');
  const environment = text(d, 'environment', 'deployment.environment', true);
  if (event === 'deployment') {
    if (p.action !== undefined && p.action !== 'created')
      return { kind: 'ignore', reason: `deployment action ${String(p.action)} is not acted on` };
    const ref = text(d, 'ref', 'deployment.ref');
    const extra = typeof d.payload === 'object' && d.payload !== null ? (d.payload as Json) : {};
    return {
      kind: 'start',
      environment,
      externalId: id,
      release: text(extra, 'release', 'deployment.payload.release') ?? releaseFromRef(ref),
      commit: text(d, 'sha', 'deployment.sha'),
      change: text(extra, 'change', 'deployment.payload.change'),
      pipeline: text(extra, 'pipeline', 'deployment.payload.pipeline'),
    };
  }
  const s = object(p, 'deployment_status');
  const state = text(s, 'state', 'deployment_status.state', true);
  const env = text(s, 'environment', 'deployment_status.environment') ?? environment;
  if (state === 'success') return { kind: 'finish', environment: env, externalId: id };
  if (state === 'failure' || state === 'error')
    return {
      kind: 'fail',
      environment: env,
      externalId: id,
      reason: text(s, 'description', 'deployment_status.description') ?? `GitHub deployment status ${state}`,
    };
  return { kind: 'ignore', reason: `deployment status ${state} is recorded, not acted on` };
}

export function gitlabCommand(p: Json): HookCommand {
  if (p.object_kind !== 'deployment')
    return { kind: 'ignore', reason: `GitLab ${String(p.object_kind)} hooks are not acted on (deployment is)` };
  const status = text(p, 'status', 'status', true);
  const environment = text(p, 'environment', 'environment', true);
  const externalId = idOf(p, 'deployment_id', 'deployment_id');
  if (status === 'running') {
    const ref = text(p, 'ref', 'ref');
    return {
      kind: 'start',
      environment,
      externalId,
      release: releaseFromRef(ref),
      commit: text(p, 'sha', 'sha'),
      change: null,
      pipeline: text(p, 'deployable_url', 'deployable_url'),
    };
  }
  if (status === 'success') return { kind: 'finish', environment, externalId };
  if (status === 'failed' || status === 'canceled')
    return { kind: 'fail', environment, externalId, reason: `GitLab deployment ${status}` };
  return { kind: 'ignore', reason: `deployment status ${status} is recorded, not acted on` };
}

export function genericCommand(p: Json): HookCommand {
  const event = text(p, 'event', 'event', true);
  const environment = text(p, 'environment', 'environment', true);
  const externalId = text(p, 'deployment', 'deployment');
  if (event === 'start')
    return {
      kind: 'start',
      environment,
      externalId,
      release: text(p, 'release', 'release'),
      commit: text(p, 'commit', 'commit'),
      change: text(p, 'change', 'change'),
      pipeline: text(p, 'pipeline', 'pipeline'),
    };
  if (event !== 'finish' && event !== 'fail')
    throw new CairnError('CAIRN_E_USAGE', `field event must be start, finish or fail, not ${event}`, {
      field: 'event',
    });
  if (externalId === null)
    throw new CairnError('CAIRN_E_USAGE', `field deployment (the id given at start) is required to ${event}`, {
      field: 'deployment',
    });
  if (event === 'finish') return { kind: 'finish', environment, externalId };
  return { kind: 'fail', environment, externalId, reason: text(p, 'reason', 'reason') };
}

function object(p: Json, key: string): Json {
  const v = p[key];
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new CairnError('CAIRN_E_USAGE', `the payload has no object ${key}`, { field: key });
  return v as Json;
}

function text(p: Json, key: string, field: string, required: true): string;
function text(p: Json, key: string, field: string, required?: false): string | null;
function text(p: Json, key: string, field: string, required = false): string | null {
  const v = p[key];
  if (v === undefined || v === null || v === '') {
    if (required) throw new CairnError('CAIRN_E_USAGE', `the payload has no ${field}`, { field });
    return null;
  }
  if (typeof v !== 'string' || v.length > 1024)
    throw new CairnError('CAIRN_E_USAGE', `${field} must be a string of at most 1024 characters`, { field });
  return v;
}

function idOf(p: Json, key: string, field: string): string {
  const v = p[key];
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  if (typeof v === 'string' && /^[\w.:-]{1,200}$/.test(v)) return v;
  throw new CairnError('CAIRN_E_USAGE', `the payload's ${field} must be a number or an id`, { field });
}
