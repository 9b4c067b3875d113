import { expect, test } from "bun:test";
import { applyMergePatch, jsonEqual, mergePatch } from "./merge-diff.ts";

test("equal values give no patch", () => {
  expect(mergePatch({ a: 1, b: { c: [1, { d: 2 }] } }, { b: { c: [1, { d: 2 }] }, a: 1 })).toBeUndefined();
});

test("changed, added and removed keys; arrays replaced whole", () => {
  const from = { phase: "Pending", podIP: "10.0.0.1", conditions: [{ type: "Ready", status: "False" }], x: { keep: 1, drop: 2 } };
  const to = { phase: "Running", conditions: [{ type: "Ready", status: "True" }], x: { keep: 1 }, hostIP: "1.2.3.4" };
  const p = mergePatch(from, to)!;
  expect(p).toEqual({ phase: "Running", podIP: null, conditions: [{ type: "Ready", status: "True" }], x: { drop: null }, hostIP: "1.2.3.4" });
  expect(jsonEqual(applyMergePatch(from, p), to)).toBe(true);
});

test("state switch inside a container status removes the old state", () => {
  const from = { state: { running: { startedAt: "t1" } } };
  const to = { state: { terminated: { exitCode: 1 } } };
  const p = mergePatch(from, to)!;
  expect(p).toEqual({ state: { running: null, terminated: { exitCode: 1 } } });
  expect(applyMergePatch(from, p)).toEqual(to);
});

test("random round trips", () => {
  const rnd = (d: number): unknown => {
    const r = Math.random();
    if (d > 2 || r < 0.3) return Math.floor(Math.random() * 3);
    if (r < 0.45) return [rnd(d + 1), rnd(d + 1)];
    const o: Record<string, unknown> = {};
    for (const k of ["a", "b", "c"]) if (Math.random() < 0.6) o[k] = rnd(d + 1);
    return o;
  };
  for (let i = 0; i < 500; i++) {
    const a = { v: rnd(0), w: rnd(0) };
    const b = { v: rnd(0), w: rnd(0) };
    const p = mergePatch(a, b);
    expect(jsonEqual(p === undefined ? a : applyMergePatch(a, p), b)).toBe(true);
  }
});
