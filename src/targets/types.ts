import type { RestoreTarget } from '../policy/index.js';

export type CommandTarget = Extract<RestoreTarget, { kind: 'command' }>;
export type HttpTarget = Extract<RestoreTarget, { kind: 'http' }>;
/** The targets bytes are sent to; a directory target is the restore service's business. */
export type DeliverableTarget = Exclude<RestoreTarget, { kind: 'directory' }>;

/** One file of a snapshot, on its way back. */
export interface Payload {
  readonly item: string;
  readonly bytes: Buffer;
  readonly contentType?: string;
}

export interface DeliverOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly signal?: AbortSignal;
}

export interface Delivery {
  /** describeTarget of where it went. */
  readonly target: string;
  readonly bytes: number;
  /** The HTTP status of an http target. */
  readonly status?: number;
  /** The tail of the command's standard output, or the start of the HTTP answer's body. */
  readonly output?: string;
}
