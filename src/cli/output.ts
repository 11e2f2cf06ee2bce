import type { Progress, ProgressSink } from '../services/index.js';

/**
 * How a command talks back: one JSON document on stdout with --json, readable lines otherwise;
 * notes and warnings on stderr; progress on stderr only when it is a terminal.
 */
export interface Output {
  readonly json: boolean;
  /** The command's result: printed as JSON, or rendered by `human` for people. */
  result(value: unknown, human: () => string): void;
  note(line: string): void;
  warn(line: string): void;
  progress(): ProgressSink & { done(): void };
}

export function makeOutput(opts: { json: boolean; quiet: boolean }): Output {
  return {
    json: opts.json,
    result(value, human) {
      if (opts.json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
      else {
        const text = human();
        if (text) process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
      }
    },
    note(line) {
      if (!opts.quiet) process.stderr.write(`${line}\n`);
    },
    warn(line) {
      process.stderr.write(`warning: ${line}\n`);
    },
    progress() {
      if (opts.quiet || !process.stderr.isTTY) return Object.assign((_p: Progress) => undefined, { done() {} });
      return terminalProgress();
    },
  };
}

function terminalProgress(): ProgressSink & { done(): void } {
  const start = Date.now();
  let last = 0;
  let shown = false;
  const sink = (p: Progress) => {
    const now = Date.now();
    if (now - last < 100 && !(p.totalFiles && p.files === p.totalFiles)) return;
    last = now;
    shown = true;
    const elapsed = (now - start) / 1000;
    const frac = p.totalBytes ? p.bytes / p.totalBytes : p.totalFiles ? p.files / p.totalFiles : 0;
    const eta = frac > 0.01 && frac < 1 ? ` ETA ${fmtDuration((elapsed / frac) * (1 - frac))}` : '';
    const files = p.totalFiles !== undefined ? `${p.files}/${p.totalFiles} files` : `${p.files} files`;
    const bytes = p.totalBytes
      ? ` ${fmtBytes(p.bytes)}/${fmtBytes(p.totalBytes)}`
      : p.bytes
        ? ` ${fmtBytes(p.bytes)}`
        : '';
    const pct = frac ? ` ${(frac * 100).toFixed(0)}%` : '';
    const line = `[${fmtDuration(elapsed)}] ${p.phase}${p.item ? ` ${p.item}` : ''}:${pct} ${files}${bytes}${eta}`;
    process.stderr.write(`\r\x1b[K${line.slice(0, (process.stderr.columns || 100) - 1)}`);
  };
  return Object.assign(sink, {
    done() {
      if (shown) process.stderr.write('\r\x1b[K');
    },
  });
}

export function fmtBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

export function fmtDuration(s: number): string {
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)}s`;
  const m = Math.floor(s / 60);
  return m < 60
    ? `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`
    : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Left-aligned columns for people. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
