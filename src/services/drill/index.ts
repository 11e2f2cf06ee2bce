/**
 * Recovery drills (C5, docs/DRILLS.md): restore a plan's items into a sandbox, validate them, measure
 * RTO/RPO against the tiers' SLAs, record the drill and the gaps it found, and sign it off. The
 * sandbox is a temporary folder (or a staging folder that is kept) and the validators run fenced in
 * it where `unshare` allows; nothing here writes anywhere else.
 */
export { listGaps, openGapWarnings } from './gaps.js';
export { isolationAvailable } from './isolation.js';
export { type DrillResultWithWarnings, type DrillRunOptions, drillPlan, runDrill } from './run-drill.js';
export { type SignOffInput, signOffDrill } from './signoff.js';
