import type { Evidence, Figure, FigureValue, ReportSection, ReportTable } from './types.js';

/** Sorted, deduplicated evidence: equal facts give byte-equal evidence, whatever order they came in. */
export function evidence(
  e: {
    snapshots?: Iterable<string>;
    events?: Iterable<number>;
    verifications?: Iterable<string>;
    checkpoints?: Iterable<string>;
    eventRange?: { from: number; to: number } | undefined;
  } = {},
): Evidence {
  const strings = (v: Iterable<string> | undefined) => [...new Set(v ?? [])].sort();
  const verifications = strings(e.verifications);
  const checkpoints = strings(e.checkpoints);
  return {
    snapshots: strings(e.snapshots),
    events: [...new Set(e.events ?? [])].sort((a, b) => a - b),
    ...(verifications.length > 0 ? { verifications } : {}),
    ...(checkpoints.length > 0 ? { checkpoints } : {}),
    ...(e.eventRange ? { eventRange: e.eventRange } : {}),
  };
}

export function figure(
  section: ReportSection,
  id: string,
  label: string,
  value: FigureValue,
  ev: Evidence,
  note?: string,
): Figure {
  return { id: `${section}.${id}`, section, label, value, evidence: ev, ...(note ? { note } : {}) };
}

export function table(columns: readonly string[], rows: ReadonlyArray<ReadonlyArray<unknown>>): ReportTable {
  return { columns, rows: rows.map((r) => r.map(cell)) };
}

function cell(v: unknown): string | number | boolean | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') return v;
  return JSON.stringify(v);
}

export function isTable(v: FigureValue): v is ReportTable {
  return typeof v === 'object' && v !== null && Array.isArray((v as ReportTable).columns) && 'rows' in v;
}

export function byString<T>(key: (t: T) => string): (a: T, b: T) => number {
  return (a, b) => {
    const x = key(a);
    const y = key(b);
    return x < y ? -1 : x > y ? 1 : 0;
  };
}

export function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

export function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** 64-hex snapshot ids named by an event: details.removed / snapshots / snapshotIds, else in its target. */
export function snapshotIdsOf(details: Readonly<Record<string, unknown>>, target: string | null): string[] {
  for (const key of ['removed', 'snapshots', 'snapshotIds', 'ids']) {
    const list = details[key];
    if (Array.isArray(list)) {
      const ids = list
        .map((x) => (typeof x === 'string' ? x : str((x as { id?: unknown } | null)?.id)))
        .filter((x): x is string => x !== null && /^[0-9a-f]{64}$/.test(x));
      if (ids.length > 0) return ids;
    }
  }
  return (target ?? '').split(/[\s,]+/).filter((t) => /^[0-9a-f]{64}$/.test(t));
}

/** A duration in ms for people: 850 ms, 42 s, 12.5 min, 6.2 h, 3.1 d. */
export function fmtMs(ms: number): string {
  const a = Math.abs(ms);
  if (a < 1000) return `${Math.round(ms)} ms`;
  if (a < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (a < 3_600_000) return `${(ms / 60_000).toFixed(1)} min`;
  if (a < 172_800_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  return `${(ms / 86_400_000).toFixed(1)} d`;
}
