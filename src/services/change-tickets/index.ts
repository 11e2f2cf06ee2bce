/**
 * Change tickets (CAB, C3.3): whether the policy requires an approved ticket whose window covers now
 * for a snapshot, a deployment or a rollback, and the providers that answer (a ServiceNow-shaped HTTP
 * Table API, a local file). It reads tickets; it never writes to the ticket system.
 */
export type { TicketState } from '../../catalog/index.js';
export { checkChangeTicket, type TicketCheck, ticketRequired, ticketSource } from './check.js';
export type { RawTicket, TicketSource } from './types.js';
