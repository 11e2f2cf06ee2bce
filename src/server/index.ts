/**
 * server/ — `cairn serve`: the versioned JSON API (/api/v1), /healthz, /readyz, /metrics and the
 * OpenAPI document, over Fastify. It authenticates bearer tokens through a Guard, checks each
 * route's declared permission against the one matrix in src/auth, audits every request that
 * reaches a route (failing closed when the audit log cannot be written), and calls a Backend whose
 * answers are exactly what the CLI prints with `--json`.
 *
 * It must not open a repository or catalog, hold business rules, or reach into other layers:
 * what it needs is declared in deps.ts and backend*.ts and adapted by whoever wires it together.
 * docs/API.md describes the routes, headers, errors and metrics.
 */
export type * from './backend.js';
export type * from './backend-access.js';
export type * from './backend-storage.js';
export { buildServer } from './build-server.js';
export { DEFAULT_HOST, DEFAULT_PORT } from './defaults.js';
export type * from './deps.js';
export { ANONYMOUS } from './deps.js';
export type { RegisteredRoute } from './fastify-types.js';
export { DEFAULT_BODY_LIMIT, type ServerOptions } from './options.js';
export { ANY_IDENTITY, PERMISSIONS, type Permission, type RoutePermission } from './permissions.js';
export { type RunningServer, type StartOptions, startServer } from './start-server.js';
