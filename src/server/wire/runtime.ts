import { join } from 'node:path';
import type { Identity } from '../../auth/index.js';
import { openGovernance, openSession, type SessionOptions } from '../../services/index.js';
import type { ServerDeps } from '../deps.js';
import { AccessGuard } from './access-guard.js';
import { startAlertLoop } from './alert-loop.js';
import { resumeApprovedActions } from './approval-resume.js';
import { type AuditForwarding, type ForwardingOptions, startAuditForwarding } from './audit-forwarding.js';
import { AuditLogSink } from './audit-sink.js';
import { type CanaryLoop, startCanary } from './canary.js';
import { PolicySource } from './policy-source.js';
import { realBackend } from './real-backend.js';
import { type Scheduler, type SchedulerOptions, startScheduler } from './scheduler.js';
import { type WireContext, wireContext } from './wire-context.js';

export interface RuntimeInputs {
  /** The repository, its secret, local state and catalog URL: what the CLI opens a session with. */
  readonly session: SessionOptions;
  /** cairn.yaml; it must load at start, and is loaded again when it changes. */
  readonly policyFile: string;
  readonly version: string;
  /** Where *Env variables of SIEM and alert sinks are read (process.env by default). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Background trouble that refuses no request: a checkpoint not written, a SIEM down, a bad policy edit. */
  readonly onError: (what: string, err: unknown) => void;
  /** How often to look whether an audit checkpoint is due (default every minute). */
  readonly checkpointCheckMs?: number;
  readonly outbox?: ForwardingOptions['outbox'];
  /** Run the policy's schedules (default true; `cairn serve --no-scheduler` serves only). */
  readonly scheduler?: boolean | Pick<SchedulerOptions, 'tickMs' | 'leaseMs'>;
  /** Run the canary (policy `canary:`; default true; `cairn serve --no-canary` does not). */
  readonly canary?: boolean;
}

export interface ServerRuntime {
  readonly deps: ServerDeps<Identity>;
  readonly context: WireContext;
  /** What the server runs with, for its start-up message. */
  readonly facts: {
    readonly repositoryId: string;
    readonly catalog: 'sqlite' | 'postgres';
    readonly policyFile: string;
    readonly auditSinks: readonly string[];
    /** This replica's id in schedule_runs.claimed_by; null when the scheduler is off. */
    readonly scheduler: string | null;
    /** This replica's id in the canary's claims; null when the canary is off here (--no-canary). */
    readonly canary: string | null;
  };
  /** Stops forwarding and the checkpoint timer, writes a last checkpoint, closes the repository and catalog. */
  close(): Promise<void>;
}

/**
 * Everything `cairn serve` runs on, opened from the inputs the CLI has: the repository and its
 * catalog (synced), the policy, the audit log with its checkpoint timer, access control, the SIEM
 * outbox and the anomaly detector, and the Guard, AuditSink and Backend the server is built with.
 */
export async function createServerRuntime(inputs: RuntimeInputs): Promise<ServerRuntime> {
  const policies = await PolicySource.open(inputs.policyFile, (err) => inputs.onError('policy reload', err));
  const session = await openSession(inputs.session);
  let forwarding: AuditForwarding | undefined;
  try {
    const policy = await policies.current();
    const onError = (err: unknown) => inputs.onError('audit log', err);
    const governance = openGovernance(session.repo, session.catalog, policy, { onError });
    const context = wireContext({
      session,
      sessionOptions: inputs.session,
      policies,
      governance,
      version: inputs.version,
      onError,
      report: inputs.onError,
      ...(inputs.env ? { env: inputs.env } : {}),
    });
    forwarding = await startAuditForwarding({
      policy,
      catalog: session.catalog,
      log: governance.audit,
      alerts: context.alerts,
      version: inputs.version,
      onError: inputs.onError,
      ...(inputs.env ? { env: inputs.env } : {}),
      ...(inputs.outbox ? { outbox: inputs.outbox } : {}),
    });
    await resumeApprovedActions(context, inputs.onError);
    governance.audit.startTimer(inputs.checkpointCheckMs);
    const scheduler: Scheduler | undefined =
      inputs.scheduler === false
        ? undefined
        : startScheduler(context, {
            ...(typeof inputs.scheduler === 'object' ? inputs.scheduler : {}),
            ...(inputs.env ? { env: inputs.env } : {}),
            onError: inputs.onError,
          });
    // Escalations and delivery retries of the one AlertCenter (context.alerts), scheduler on or off.
    const alertLoop = startAlertLoop(context.alerts, { onError: inputs.onError });
    // The canary's files live beside the catalog, per repository: <CAIRN_HOME>/canary/<repository id>.
    const canary: CanaryLoop | undefined =
      inputs.canary === false
        ? undefined
        : startCanary(context, {
            dir: join(inputs.session.home, 'canary', session.repo.id.slice(0, 16)),
            onError: inputs.onError,
          });
    const stopForwarding = forwarding;
    return {
      deps: {
        guard: new AccessGuard(() => context.access()),
        audit: new AuditLogSink(governance.audit),
        backend: realBackend(context),
      },
      context,
      facts: {
        repositoryId: session.repo.id,
        catalog: session.catalog.dialect,
        policyFile: policies.file,
        auditSinks: forwarding.sinks,
        scheduler: scheduler?.replica ?? null,
        canary: canary?.replica ?? null,
      },
      async close() {
        await scheduler?.stop();
        await canary?.stop();
        await alertLoop.stop();
        governance.audit.stopTimer();
        await stopForwarding.stop();
        await governance.audit.checkpoint().catch((err: unknown) => inputs.onError('last audit checkpoint', err));
        await session.close();
      },
    };
  } catch (err) {
    await forwarding?.stop();
    await session.close();
    throw err;
  }
}
