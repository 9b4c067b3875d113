/**
 * The checker against a dumb oracle (like etcd-io/raft's quick_test.go): on thousands of small
 * random histories — random times with ties, random outputs, unknown outcomes — the verdict
 * must equal that of an exhaustive search over every real-time-respecting order, where
 * unknown-outcome ops may be placed anywhere after their call or left out. This is what
 * guards the memoisation and the dominance pruning of unknown ops.
 */
import { describe, expect, test } from "bun:test";
import { checkOperations } from "./checker.ts";
import { kvModel, registerModel, type KvInput, type KvOutput, type RegisterInput, type RegisterOutput } from "./models.ts";
import { prng, simulateKv } from "./sim.ts";
import type { Model, Operation } from "./types.ts";

/** Exhaustive search, no memoisation: true iff some order explains every known op. */
function oracle<S, I, O>(model: Model<S, I, O>, ops: Operation<I, O>[]): boolean {
  const placed = new Array<boolean>(ops.length).fill(false);
  const go = (state: S, left: number): boolean => {
    if (left === 0) return true;
    // Earliest response among unplaced known ops: nothing called after it may go first.
    let horizon = Infinity;
    for (let i = 0; i < ops.length; i++) if (!placed[i] && ops[i]!.return < horizon) horizon = ops[i]!.return;
    for (let i = 0; i < ops.length; i++) {
      const o = ops[i]!;
      if (placed[i] || o.call > horizon) continue;
      const next = model.step(state, o.input, o.output);
      if (next === undefined) continue;
      placed[i] = true;
      const ok = go(next, left - (o.return === Infinity ? 0 : 1));
      placed[i] = false;
      if (ok) return true;
    }
    return false;
  };
  return go(model.init(), ops.filter((o) => o.return !== Infinity).length);
}

function times(rnd: () => number, unknownRate: number): { call: number; ret: number } {
  const call = Math.floor(rnd() * 12);
  const ret = rnd() < unknownRate ? Infinity : call + Math.floor(rnd() * 6);
  return { call, ret };
}

function randomRegisterHistory(rnd: () => number, n: number): Operation<RegisterInput, RegisterOutput>[] {
  const ops: Operation<RegisterInput, RegisterOutput>[] = [];
  const unknownRate = rnd() * 0.5;
  for (let i = 0; i < n; i++) {
    const { call, ret } = times(rnd, unknownRate);
    const known = ret !== Infinity;
    if (rnd() < 0.5) ops.push({ clientId: i, input: { op: "write", value: Math.floor(rnd() * 3) }, call, output: known ? {} : undefined, return: ret });
    else {
      const v = Math.floor(rnd() * 4);
      ops.push({ clientId: i, input: { op: "read" }, call, output: known ? { value: v === 3 ? null : v } : undefined, return: ret });
    }
  }
  return ops;
}

/**
 * Random single-key store histories. With `unique`, every writer writes its own value and
 * reads return one of them (so the history annotation — unobserved values, inferred and
 * pinned resourceVersions, pure reads — comes into play); otherwise values repeat.
 */
function randomKvHistory(rnd: () => number, n: number, unique = false): Operation<KvInput, KvOutput>[] {
  const ops: Operation<KvInput, KvOutput>[] = [];
  const pickOf = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const rv = () => 1 + Math.floor(rnd() * 4);
  let fresh = 0;
  const written = ["v0"];
  const val = () => (unique ? (written.push(`v${++fresh}`), `v${fresh}`) : pickOf(["a", "b"]));
  const seen = () => (unique ? pickOf(written) : pickOf(["a", "b"]));
  const unknownRate = rnd() * 0.5;
  for (let i = 0; i < n; i++) {
    const { call, ret } = times(rnd, unknownRate);
    const kind = pickOf(["read", "read", "write", "create", "cas", "delete"] as const);
    let input: KvInput;
    let output: KvOutput;
    switch (kind) {
      case "read":
        input = { op: "read", key: "k" };
        output = rnd() < 0.25 ? { type: "notFound" } : { type: "found", value: seen(), rv: rv() };
        break;
      case "write":
        input = { op: "write", key: "k", value: val() };
        output = pickOf<KvOutput>([{ type: "ok", rv: rv() }, { type: "ok", rv: rv() }, { type: "ok" }, { type: "notFound" }]);
        break;
      case "create":
        input = { op: "create", key: "k", value: val() };
        output = rnd() < 0.6 ? { type: "ok", rv: rv() } : { type: "exists" };
        break;
      case "cas":
        input = { op: "cas", key: "k", expectedRV: rv(), value: val() };
        output = pickOf<KvOutput>([{ type: "ok", rv: rv() }, { type: "conflict" }, { type: "notFound" }, { type: "ok" }]);
        break;
      case "delete":
        input = rnd() < 0.5 ? { op: "delete", key: "k" } : { op: "delete", key: "k", expectedRV: rv() };
        output = pickOf<KvOutput>([{ type: "ok" }, { type: "ok", prevRV: rv(), rv: rv() }, { type: "notFound" }, { type: "conflict" }]);
        break;
    }
    ops.push({ clientId: i, input, call, output: ret === Infinity ? undefined : output, return: ret });
  }
  return ops;
}

/** Small real executions (linearizable), half of them with one output nudged: near-miss cases. */
function nudgedExecution(rnd: () => number): Operation<KvInput, KvOutput>[] {
  const ops = simulateKv({ seed: Math.floor(rnd() * 2 ** 31), clients: 3, opsPerClient: 3, keys: 1, unknownRate: 0.3 });
  if (rnd() < 0.5) return ops;
  const known = ops.filter((o) => o.output !== undefined);
  if (known.length === 0) return ops;
  const victim = known[Math.floor(rnd() * known.length)]!;
  const out = victim.output!;
  const values = ops.flatMap((o) => ("value" in o.input ? [o.input.value] : []));
  const nudge = (rv: number) => rv + (rnd() < 0.5 ? -1 : 1);
  if (out.type === "found") victim.output = rnd() < 0.5 || values.length === 0 ? { ...out, rv: nudge(out.rv) } : { ...out, value: values[Math.floor(rnd() * values.length)]! };
  else if (out.type === "ok") victim.output = out.rv !== undefined && rnd() < 0.7 ? { ...out, rv: nudge(out.rv) } : victim.input.op === "create" ? { type: "exists" } : { type: "conflict" };
  else if (out.type === "notFound") victim.output = values.length ? { type: "found", value: values[0]!, rv: 1 + Math.floor(rnd() * 6) } : out;
  else victim.output = { type: "ok" };
  return ops;
}

function compare<S, I, O>(model: Model<S, I, O>, gen: (rnd: () => number, n: number) => Operation<I, O>[], seeds: number): { ok: number; illegal: number } {
  const tally = { ok: 0, illegal: 0 };
  for (let seed = 1; seed <= seeds; seed++) {
    const rnd = prng(seed);
    const ops = gen(rnd, 2 + Math.floor(rnd() * 8));
    const expected = oracle(model, ops) ? "Ok" : "Illegal";
    const got = checkOperations(model, ops).ok;
    if (got !== expected) throw new Error(`seed ${seed}: checker says ${got}, oracle says ${expected}\n${JSON.stringify(ops)}`);
    tally[expected === "Ok" ? "ok" : "illegal"]++;
  }
  return tally;
}

describe("checker agrees with exhaustive search", () => {
  test("register histories", () => {
    const tally = compare(registerModel(), randomRegisterHistory, 3000);
    // Both verdicts must be well represented, or the comparison proves little.
    expect(tally.ok).toBeGreaterThan(300);
    expect(tally.illegal).toBeGreaterThan(300);
  });

  test("kite store histories (create, cas, delete, resourceVersions)", () => {
    const tally = compare(kvModel(), randomKvHistory, 3000);
    expect(tally.ok).toBeGreaterThan(150);
    expect(tally.illegal).toBeGreaterThan(300);
  });

  test("kite store histories with unique values (annotated: unobserved values, inferred resourceVersions)", () => {
    const tally = compare(kvModel(), (rnd, n) => randomKvHistory(rnd, n, true), 3000);
    expect(tally.ok).toBeGreaterThan(150);
    expect(tally.illegal).toBeGreaterThan(300);
  });

  test("small real executions of the store, some nudged into near-misses", () => {
    const tally = compare(kvModel(), (rnd) => nudgedExecution(rnd), 1500);
    expect(tally.ok).toBeGreaterThan(700);
    expect(tally.illegal).toBeGreaterThan(200);
  });

  test("kite store histories with writeCreates: false", () => {
    const tally = compare(kvModel({ writeCreates: false }), (rnd, n) => randomKvHistory(rnd, n, rnd() < 0.5), 2000);
    expect(tally.ok).toBeGreaterThan(100);
    expect(tally.illegal).toBeGreaterThan(300);
  });

  test("the oracle itself is not trivially agreeable", () => {
    const m = registerModel();
    const w = (value: number, call: number, ret: number) => ({ clientId: 0, input: { op: "write" as const, value }, call, output: {}, return: ret });
    const r = (value: number | null, call: number, ret: number) => ({ clientId: 1, input: { op: "read" as const }, call, output: { value }, return: ret });
    expect(oracle(m, [w(1, 0, 1), r(1, 2, 3)])).toBe(true);
    expect(oracle(m, [w(1, 0, 1), w(2, 2, 3), r(1, 4, 5)])).toBe(false);
  });
});
