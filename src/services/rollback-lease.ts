import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { RollbackRun } from '../catalog/index.js';
import { CairnError } from '../errors/index.js';
import type { Session } from './session.js';

/** Who runs a rollback: a compare-and-set lease in the catalog, renewed at every recorded step. */
export interface Lease {
  readonly holder: string;
  renew(): Promise<void>;
}

/** How long a lease lasts without a recorded step; a run that stops recording is taken over after it. */
export const ROLLBACK_LEASE_MS = 10 * 60_000;

export async function claimLease(
  session: Session,
  id: string,
  deployment: string,
  resume: RollbackRun | undefined,
): Promise<Lease> {
  const rollbacks = session.catalog.rollbacks;
  const holder = `${hostname()} ${process.pid} ${randomBytes(4).toString('hex')}`;
  const until = () => new Date(Date.now() + ROLLBACK_LEASE_MS).toISOString();
  const dead = resume?.leaseHolder && holderIsDead(resume.leaseHolder) ? resume.leaseHolder : undefined;
  const claim = await rollbacks.claim(id, holder, until(), new Date().toISOString(), dead);
  if (!claim.claimed) throw busy(id, deployment, claim.holder, claim.until);
  if (!resume) {
    // Two fresh runs of one deployment may both have been created; one that sees another running gives way.
    const rival = (await rollbacks.leasedFor(deployment, new Date().toISOString())).find((r) => r.id !== id);
    if (rival) {
      await rollbacks.setStatus(id, 'failed', {
        finishedAt: new Date().toISOString(),
        error: `gave way to rollback ${rival.id}, which was running`,
      });
      await rollbacks.release(id, holder);
      throw busy(rival.id, deployment, rival.holder, rival.until);
    }
  }
  return {
    holder,
    async renew() {
      if (!(await rollbacks.renew(id, holder, until()))) {
        const now = await rollbacks.get(id);
        throw busy(id, deployment, now?.leaseHolder ?? null, now?.leaseUntil ?? null);
      }
    },
  };
}

function busy(id: string, deployment: string, holder: string | null, until: string | null): CairnError {
  return new CairnError(
    'CAIRN_E_REPO_LOCKED',
    `rollback ${id} of deployment ${deployment} is being run by ${holder ?? 'another process'}` +
      `${until ? ` (lease until ${until})` : ''}; wait for it to finish, then run the rollback again`,
    { rollback: id, deployment, holder, until },
  );
}

/** A holder "host pid token" on this host whose process is gone. */
function holderIsDead(holder: string): boolean {
  const [host, pid] = holder.split(' ');
  if (host !== hostname() || !pid || !/^\d+$/.test(pid)) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** `R-<yyyymmdd>-<6 random base32>`, not taken yet. */
export async function freshId(session: Session, now: Date): Promise<string> {
  const day = now.toISOString().slice(0, 10).replaceAll('-', '');
  for (;;) {
    const id = `R-${day}-${[...randomBytes(6)].map((b) => BASE32[b % 32]).join('')}`;
    if (!(await session.catalog.rollbacks.get(id))) return id;
  }
}
