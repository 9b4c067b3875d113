import { describe, expect, test } from "bun:test";
import { FieldSet, type FieldPath } from "./fieldset.ts";

/** Deterministic pseudo-random sets over a small alphabet, so operations overlap a lot. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => ((x = (x * 1103515245 + 12345) >>> 0) / 2 ** 32);
}
function randomPaths(r: () => number, n: number): FieldPath[] {
  const els = ["f:a", "f:b", "f:c", 'k:{"name":"x"}', "v:1", "i:0"];
  return Array.from({ length: n }, () => Array.from({ length: 1 + Math.floor(r() * 4) }, () => els[Math.floor(r() * els.length)]!));
}
const setOf = (paths: FieldPath[]) => paths.reduce((s, p) => s.insert(p), new FieldSet());
const key = (p: FieldPath) => JSON.stringify(p);
const sorted = (s: FieldSet) => s.members().map(key).sort();

describe("FieldSet set operations match their definitions on member paths", () => {
  test("union, difference, intersection, without over random sets", () => {
    const r = rng(42);
    for (let i = 0; i < 300; i++) {
      const pa = randomPaths(r, Math.floor(r() * 12));
      const pb = randomPaths(r, Math.floor(r() * 12));
      const a = setOf(pa);
      const b = setOf(pb);
      const inA = new Set(a.members().map(key));
      const inB = new Set(b.members().map(key));
      expect(sorted(a.union(b))).toEqual([...new Set([...inA, ...inB])].sort());
      expect(sorted(a.difference(b))).toEqual([...inA].filter((k) => !inB.has(k)).sort());
      expect(sorted(a.intersection(b))).toEqual([...inA].filter((k) => inB.has(k)).sort());
      const cuts = randomPaths(r, Math.floor(r() * 3)).map((p) => p.slice(0, 1 + Math.floor(r() * p.length)));
      const kept = a.members().filter((p) => !cuts.some((q) => q.length <= p.length && q.every((el, j) => p[j] === el)));
      expect(sorted(a.without(cuts))).toEqual(kept.map(key).sort());
      // The operands are not modified, and results have no empty branches.
      expect(sorted(a)).toEqual([...inA].sort());
      for (const res of [a.union(b), a.difference(b), a.intersection(b), a.without(cuts)]) {
        expect(JSON.stringify(res.toFieldsV1())).toBe(JSON.stringify(setOf(res.members()).toFieldsV1()));
      }
    }
  });

  test("fieldsV1 round trip", () => {
    const s = setOf([["f:metadata", "f:labels", "f:app"], ["f:data"], ["f:data", "f:a"]]);
    expect(s.toFieldsV1()).toEqual({ "f:metadata": { "f:labels": { "f:app": {} } }, "f:data": { ".": {}, "f:a": {} } });
    expect(sorted(FieldSet.fromFieldsV1(s.toFieldsV1()))).toEqual(sorted(s));
  });
});

describe("FieldSet nodes", () => {
  test("empty branches (nodes created but never made members) do not show in fieldsV1 or members", () => {
    const s = new FieldSet();
    const item = s.node(["f:spec", 'k:{"name":"a"}']);
    item.member = true;
    item.child("f:unset").child("f:deeper"); // created, nothing inserted
    expect(s.toFieldsV1()).toEqual({ "f:spec": { 'k:{"name":"a"}': {} } });
    expect(s.members()).toEqual([["f:spec", 'k:{"name":"a"}']]);
    expect(s.difference(new FieldSet()).toFieldsV1()).toEqual(s.toFieldsV1());
  });
});
