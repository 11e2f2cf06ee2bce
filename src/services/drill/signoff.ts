import type { AuditLog } from '../../audit/index.js';
import type { Catalog, DrillRecord } from '../../catalog/index.js';
import { CairnError, type ErrorCode, isCairnError } from '../../errors/index.js';
import type { Policy } from '../../policy/index.js';

export interface SignOffInput {
  readonly drillId: string;
  readonly team: string;
  /** Who signs: the caller's token or OIDC subject, as access.teams lists them. */
  readonly subject: string;
  /** Checks and uses up the signer's TOTP code; throws CAIRN_E_MFA on a wrong or used one. */
  readonly verifyCode: () => Promise<void>;
}

/**
 * Signs a drill off for one team (C5.6). A drill that passed its checks waits for every team its
 * plan names; it counts as passed once all have signed. Refused (and audited as
 * drill.signoff-refused): a drill not awaiting sign-off, a drill superseded by a newer finished drill
 * of its plan (signing it would mark the plan passed), a team the plan does not ask, someone not
 * in that team, a second signature by the same person (for another team), a team that signed
 * already, and a wrong or reused TOTP code.
 */
export async function signOffDrill(
  catalog: Catalog,
  log: AuditLog,
  policy: Policy,
  o: SignOffInput,
): Promise<DrillRecord> {
  const drill = await catalog.drills.get(o.drillId);
  if (!drill) throw new CairnError('CAIRN_E_NOT_FOUND', `no drill ${o.drillId} in the catalog`, { drill: o.drillId });
  const refuse = async (code: ErrorCode, reason: string, message: string): Promise<never> => {
    await log.record({
      identity: o.subject,
      action: 'drill.signoff-refused',
      target: drill.id,
      result: 'denied',
      details: { drill: drill.id, plan: drill.plan, team: o.team, reason },
    });
    throw new CairnError(code, message, { drill: drill.id, team: o.team, reason });
  };
  if (drill.status !== 'awaiting-signoff') {
    const why = drill.status === 'passed' ? 'it has passed already' : `it is ${drill.status}`;
    await refuse('CAIRN_E_USAGE', 'not-awaiting-signoff', `drill ${drill.id} cannot be signed off: ${why}`);
  }
  const newer = (await catalog.drills.list({ plan: drill.plan, since: new Date(drill.startedAt) })).find(
    (d) => d.id !== drill.id && d.startedAt > drill.startedAt && d.finishedAt !== null,
  );
  if (newer) {
    await refuse(
      'CAIRN_E_USAGE',
      'superseded',
      `drill ${drill.id} cannot be signed off: drill ${newer.id} of plan ${drill.plan} is newer (${newer.status}, finished ${newer.finishedAt})`,
    );
  }
  if (!drill.signoffRequired.includes(o.team)) {
    await refuse(
      'CAIRN_E_USAGE',
      'team-not-required',
      `drill ${drill.id} does not need sign-off by ${o.team}; it needs ${drill.signoffRequired.join(', ')}`,
    );
  }
  const members = policy.access.teams[o.team] ?? [];
  if (!members.includes(o.subject)) {
    await refuse(
      'CAIRN_E_FORBIDDEN',
      'not-in-team',
      `${o.subject} is not in team ${o.team} (access.teams.${o.team} in ${policy.file}), so cannot sign for it`,
    );
  }
  const before = await catalog.drills.signoffs(drill.id);
  const mine = before.find((s) => s.subject === o.subject);
  if (mine) {
    await refuse(
      'CAIRN_E_FORBIDDEN',
      'subject-signed',
      `${o.subject} signed drill ${drill.id} already (for ${mine.team}); each team needs a different person`,
    );
  }
  if (before.some((s) => s.team === o.team)) {
    await refuse('CAIRN_E_EXISTS', 'team-signed', `${o.team} has signed drill ${drill.id} already`);
  }
  try {
    await o.verifyCode();
  } catch (err) {
    if (isCairnError(err, 'CAIRN_E_MFA')) await refuse('CAIRN_E_MFA', 'mfa', err.message);
    throw err;
  }
  const added = await catalog.drills.addSignoff({
    drillId: drill.id,
    team: o.team,
    subject: o.subject,
    at: new Date().toISOString(),
  });
  if (added === 'subject-signed') {
    await refuse('CAIRN_E_FORBIDDEN', 'subject-signed', `${o.subject} signed drill ${drill.id} already`);
  }
  if (added === 'team-signed')
    await refuse('CAIRN_E_EXISTS', 'team-signed', `${o.team} has signed drill ${drill.id} already`);
  const signed = new Set((await catalog.drills.signoffs(drill.id)).map((s) => s.team));
  const complete = drill.signoffRequired.every((t) => signed.has(t));
  const passed = complete && (await catalog.drills.setStatus(drill.id, 'awaiting-signoff', 'passed'));
  await log.record({
    identity: o.subject,
    action: 'drill.signoff',
    target: drill.id,
    result: 'ok',
    details: {
      drill: drill.id,
      plan: drill.plan,
      team: o.team,
      signed: [...signed],
      remaining: drill.signoffRequired.filter((t) => !signed.has(t)),
      ...(passed ? { status: 'passed' } : {}),
    },
  });
  return (await catalog.drills.get(drill.id)) ?? drill;
}
