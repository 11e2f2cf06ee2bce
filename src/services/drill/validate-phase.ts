import { relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { DrillGapFound, DrillResult } from '../../catalog/index.js';
import type { DrillPlan, DrillValidator, Policy } from '../../policy/index.js';
import type { ProgressSink } from '../progress.js';
import type { Session } from '../session.js';
import { type Fence, openFence } from './fence.js';
import { redactGap, redactText } from './redact-output.js';
import type { RestoredState } from './restored-files.js';
import type { Sandbox } from './sandbox.js';
import { type BaselineFound, findBaseline, runBaselineValidator } from './validator-baseline.js';
import { runCommandValidator, type ValidatorOutcome } from './validator-command.js';
import { runSchemaValidator, type SchemaCache } from './validator-schema.js';

export type ValidatorRecord = DrillResult['validators'][number];

/** How a validator is named in records, gap keys and output: its policy text, never sandbox paths. */
export function validatorLabel(policy: Policy, v: DrillValidator): string {
  if (v.kind === 'run') return `run: ${v.command}`;
  if (v.kind === 'jsonSchema') return `jsonSchema: ${relative(policy.dir, v.schema) || v.schema}`;
  return `baseline: ${v.snapshot}`;
}

interface Planned {
  readonly index: number;
  readonly v: DrillValidator;
  readonly item: string;
  readonly label: string;
  readonly baseline?: BaselineFound;
}

/**
 * The fence of the plan's `run` validators, set up once for the whole drill (it may be started before
 * the restore: the sandbox bound into it shows what is restored later). Undefined when nothing is
 * isolated; an Error when it cannot be set up (each `run` validator then fails saying why).
 */
export function startFence(plan: DrillPlan, sandbox: Sandbox, isolate: boolean): Promise<Fence | Error> | undefined {
  if (!isolate || !plan.validate.some((v) => v.kind === 'run')) return undefined;
  return openFence({ sandbox: sandbox.path, network: plan.network }).catch((e: unknown) =>
    e instanceof Error ? e : new Error(String(e)),
  );
}

/** Whether the restore should record the restored files' state (a `baseline` validator will compare them). */
export function needsRestoredState(plan: DrillPlan): boolean {
  return plan.validate.some((v) => v.kind === 'baseline');
}

/**
 * Runs each validator of the plan once per item it applies to (its `items`, else every item of the
 * plan), in policy order. An item that was not restored gets its validators recorded as failed
 * without running them (its restore-failed gap says why). A baseline named by snapshot id applies to
 * that snapshot's item only.
 */
export async function runValidators(
  session: Session,
  policy: Policy,
  o: {
    plan: DrillPlan;
    restored: ReadonlySet<string>;
    sandbox: Sandbox;
    isolate: boolean;
    /** From startFence; without it, each isolated `run` validator sets up a fence of its own. */
    fence?: Promise<Fence | Error>;
    /** By item, the files as the restore left them (recordRestored). */
    restoredState?: ReadonlyMap<string, RestoredState>;
    signal: AbortSignal;
    progress: ProgressSink;
  },
): Promise<{ validators: ValidatorRecord[]; gaps: DrillGapFound[] }> {
  const planned = await plan(session, policy, o.plan);
  const ctx: RunContext = { ...o, schemas: new Map() };
  const validators: ValidatorRecord[] = [];
  const gaps: DrillGapFound[] = [];
  let done = 0;
  for (const p of planned) {
    if (o.signal.aborted) break;
    o.progress({ phase: 'validate', item: p.item, files: done, totalFiles: planned.length, bytes: 0 });
    const t0 = performance.now();
    let out: ValidatorOutcome;
    if (!o.restored.has(p.item)) {
      const error = `not run: ${p.item} was not restored`;
      out = { ok: false, output: error, error, gaps: [] };
    } else {
      out = await runOne(session, ctx, p);
    }
    done++;
    validators.push({
      index: p.index,
      kind: p.v.kind,
      item: p.item,
      label: p.label,
      ok: out.ok,
      durationMs: Math.round(performance.now() - t0),
      output: redactText(out.output),
      ...(out.exitCode !== undefined ? { exitCode: out.exitCode } : {}),
      ...(out.timedOut ? { timedOut: true } : {}),
      ...(out.error ? { error: redactText(out.error) } : {}),
    });
    gaps.push(...out.gaps.map(redactGap));
  }
  o.progress({ phase: 'validate', files: done, totalFiles: planned.length, bytes: 0 });
  return { validators, gaps };
}

async function plan(session: Session, policy: Policy, drill: DrillPlan): Promise<Planned[]> {
  const out: Planned[] = [];
  for (const [index, v] of drill.validate.entries()) {
    const label = validatorLabel(policy, v);
    const targets = v.items ?? drill.items;
    if (v.kind !== 'baseline') {
      for (const item of targets) out.push({ index, v, item, label });
      continue;
    }
    let others: string | undefined;
    for (const item of targets) {
      const found = await findBaseline(session.catalog, v.snapshot, item);
      if ('otherItem' in found) others = found.otherItem;
      else out.push({ index, v, item, label, baseline: found });
    }
    if (others !== undefined && !out.some((p) => p.index === index)) {
      const missing = `baseline snapshot ${v.snapshot} is of item ${others}, which this drill does not restore`;
      out.push({ index, v, item: targets[0] ?? drill.items[0] ?? others, label, baseline: { missing } });
    }
  }
  return out;
}

interface RunContext {
  readonly plan: DrillPlan;
  readonly sandbox: Sandbox;
  readonly isolate: boolean;
  readonly fence?: Promise<Fence | Error>;
  readonly restoredState?: ReadonlyMap<string, RestoredState>;
  readonly signal: AbortSignal;
  readonly schemas: SchemaCache;
}

async function runOne(session: Session, o: RunContext, p: Planned): Promise<ValidatorOutcome> {
  const dir = o.sandbox.itemDir(p.item);
  const { v } = p;
  if (v.kind === 'run') {
    return runCommandValidator({
      template: v.command,
      label: p.label,
      item: p.item,
      plan: o.plan.name,
      sandbox: o.sandbox,
      timeoutMs: v.timeoutMs,
      isolate: o.isolate,
      network: o.plan.network,
      ...(o.isolate && o.fence ? { fence: await o.fence } : {}),
      signal: o.signal,
    });
  }
  if (v.kind === 'jsonSchema') {
    return runSchemaValidator({ schema: v.schema, files: v.files, item: p.item, dir, compiled: o.schemas });
  }
  return runBaselineValidator(session.repo, {
    ref: v.snapshot,
    allowChanges: v.allowChanges,
    item: p.item,
    dir,
    found: p.baseline!,
    ...(o.restoredState?.has(p.item) ? { restored: o.restoredState.get(p.item)! } : {}),
  });
}
