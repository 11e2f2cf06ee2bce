import type { Command } from 'commander';
import { Context } from './context.js';

/** A command's body: returns its exit code; errors propagate to main, which prints them. */
export type Body<A extends unknown[]> = (ctx: Context, ...args: A) => Promise<number>;

let exitCode = 0;

export function lastExitCode(): number {
  return exitCode;
}

/** Wires a body to commander: the last two arguments commander passes are the options and the command. */
export function action<A extends unknown[]>(body: Body<A>) {
  return async (...args: unknown[]): Promise<void> => {
    const cmd = args[args.length - 1] as Command;
    const ctx = Context.of(cmd);
    exitCode = await body(ctx, ...(args.slice(0, -1) as A));
  };
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
