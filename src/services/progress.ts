/** Progress of long work, reported by services and rendered by the CLI (or ignored). */
export interface Progress {
  readonly phase: string;
  readonly files: number;
  readonly totalFiles?: number;
  readonly bytes: number;
  readonly totalBytes?: number;
  readonly item?: string;
}

export type ProgressSink = (p: Progress) => void;

export const noProgress: ProgressSink = () => undefined;
