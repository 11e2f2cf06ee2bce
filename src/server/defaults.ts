/**
 * Where `cairn serve` listens unless told otherwise. A module of its own, importing nothing: the CLI
 * reads these for `serve --help` without loading the server (Fastify, prom-client, …), which it imports
 * only when `serve` runs — every other command would pay for evaluating it at start-up.
 */
/** This machine only, until told otherwise. */
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8420;
