/**
 * Maps a path in the parsed data (['items', 2, 'owner']) back to the YAML node it came from, so every
 * problem names a line and column a person can jump to. Missing fields fall back to the nearest node
 * that does exist (usually the enclosing mapping), which is where the field would have to be added.
 */

import type { Document, LineCounter, Node } from 'yaml';
import { isAlias, isMap, isScalar, isSeq } from 'yaml';

export type PathSegment = string | number;

export interface Position {
  readonly line: number; // 1-based
  readonly column: number; // 1-based
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$-]*$|^[0-9]+$/;

/** `['items', 2, 'owner']` → `items[2].owner`; keys that are not plain words are quoted. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else {
      const key = String(seg);
      if (IDENTIFIER.test(key)) out += out === '' ? key : `.${key}`;
      else out += `[${JSON.stringify(key)}]`;
    }
  }
  return out;
}

export class PositionIndex {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /**
   * Where the value at `path` is written; with `key: true`, where its key is written (for "unknown key"
   * messages the key is the thing to fix). Falls back to the deepest node that exists along the path.
   */
  locate(path: readonly PropertyKey[], options: { key?: boolean } = {}): Position {
    let node: unknown = this.doc.contents;
    let best: Node | undefined = isNodeWithRange(node) ? node : undefined;
    for (let i = 0; i < path.length; i++) {
      node = this.deref(node);
      const seg = path[i];
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
        if (!pair) break;
        if (last && options.key && isNodeWithRange(pair.key)) return this.at(pair.key);
        // `owner:` with nothing after it has a null value node (or none): point at the key then.
        const value = this.deref(pair.value);
        if (isNodeWithRange(value) && !(isScalar(value) && value.value === null)) best = value;
        else if (isNodeWithRange(pair.key)) best = pair.key;
        node = value;
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = this.deref(node.items[seg]);
        if (!isNodeWithRange(item)) break;
        best = item;
        node = item;
      } else break;
    }
    return best ? this.at(best) : { line: 1, column: 1 };
  }

  /** The position of a byte offset in the source text (used for YAML syntax errors). */
  offset(offset: number): Position {
    const { line, col } = this.lines.linePos(offset);
    return { line, column: col };
  }

  private at(node: Node): Position {
    return this.offset(node.range?.[0] ?? 0);
  }

  private deref(node: unknown): unknown {
    return isAlias(node) ? node.resolve(this.doc) : node;
  }
}

function isNodeWithRange(node: unknown): node is Node {
  return (isMap(node) || isSeq(node) || isScalar(node) || isAlias(node)) && Array.isArray(node.range);
}
