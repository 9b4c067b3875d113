/**
 * @module linearizability/keyed
 * Helpers for models of keyed objects: the per-key history split (P-compositionality) and a
 * string hash for model states.
 */
import type { Operation } from "./types.ts";

/** Split a history by a key function, keeping op order; partitions come in first-seen key order. */
export function partitionBy<I, O>(keyOf: (input: I) => string): (history: readonly Operation<I, O>[]) => Operation<I, O>[][] {
  return (history) => {
    const byKey = new Map<string, Operation<I, O>[]>();
    for (const op of history) {
      const k = keyOf(op.input);
      let list = byKey.get(k);
      if (list === undefined) byKey.set(k, (list = []));
      list.push(op);
    }
    return [...byKey.values()];
  };
}

/** FNV-1a over UTF-16 code units, 32-bit. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h | 0;
}
