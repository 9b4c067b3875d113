/**
 * kite's per-key store model on hand-written histories: resourceVersions must match what was
 * written and only move forward, create/cas/delete preconditions, unknown outcomes pinned by a
 * later read, and the cases where the resourceVersion catches what values alone cannot.
 */
import { describe, expect, test } from "bun:test";
import { checkOperations } from "./checker.ts";
import { describeKvState, kvModel, partitionBy, registerModel, type KvInput, type KvOutput } from "./models.ts";
import type { Operation } from "./types.ts";

type Op = Operation<KvInput, KvOutput>;
const kv = kvModel();
let clock = 0;
/** Sequential op: [t, t+1], then the clock moves on. */
function seq(input: KvInput, output: KvOutput | undefined, client = 0): Op {
  const call = (clock += 10);
  return { clientId: client, input, call, output, return: output === undefined ? Infinity : call + 1 };
}
function at(input: KvInput, call: number, ret: number, output: KvOutput, client = 0): Op {
  return { clientId: client, input, call, output, return: ret };
}
const verdict = (h: Op[]) => checkOperations(kv, h).ok;

const read = (key = "k"): KvInput => ({ op: "read", key });
const write = (value: string, key = "k"): KvInput => ({ op: "write", key, value });
const create = (value: string, key = "k"): KvInput => ({ op: "create", key, value });
const cas = (expectedRV: number, value: string, key = "k"): KvInput => ({ op: "cas", key, expectedRV, value });
const del = (expectedRV?: number, key = "k"): KvInput => (expectedRV === undefined ? { op: "delete", key } : { op: "delete", key, expectedRV });
const found = (value: string, rv: number): KvOutput => ({ type: "found", value, rv });
const ok = (rv?: number, prevRV?: number): KvOutput => (rv === undefined ? (prevRV === undefined ? { type: "ok" } : { type: "ok", prevRV }) : prevRV === undefined ? { type: "ok", rv } : { type: "ok", rv, prevRV });
const notFound: KvOutput = { type: "notFound" };
const conflict: KvOutput = { type: "conflict" };
const exists: KvOutput = { type: "exists" };

describe("kvModel: reads and writes", () => {
  test("a read returns the last write's value and resourceVersion", () => {
    expect(verdict([seq(read(), notFound), seq(write("a"), ok(3)), seq(read(), found("a", 3))])).toBe("Ok");
    expect(verdict([seq(write("a"), ok(3)), seq(read(), found("a", 4))])).toBe("Illegal");
    expect(verdict([seq(write("a"), ok(3)), seq(read(), found("b", 3))])).toBe("Illegal");
    expect(verdict([seq(write("a"), ok(3)), seq(read(), notFound)])).toBe("Illegal");
  });

  test("resourceVersions only move forward", () => {
    expect(verdict([seq(write("a"), ok(5)), seq(write("b"), ok(9))])).toBe("Ok");
    expect(verdict([seq(write("a"), ok(5)), seq(write("b"), ok(3))])).toBe("Illegal");
    expect(verdict([seq(write("a"), ok(5)), seq(write("b"), ok(5))])).toBe("Illegal");
  });

  test("a read going back in time is caught by its resourceVersion even where values cannot tell", () => {
    // Two concurrent writes; the reads see b then a. By value alone this is fine (b, read b, a,
    // read a); but a's revision 10 < b's 20 means a was applied first, so a cannot follow b.
    const h = [
      at(write("a"), 0, 100, ok(10), 0),
      at(write("b"), 0, 100, ok(20), 1),
      at(read(), 10, 20, found("b", 20), 2),
      at(read(), 30, 40, found("a", 10), 2),
    ];
    expect(verdict(h)).toBe("Illegal");
    const asRegister = h.map((o) => ({
      ...o,
      input: o.input.op === "write" ? { op: "write" as const, value: o.input.value } : { op: "read" as const },
      output: o.output?.type === "found" ? { value: o.output.value } : {},
    }));
    expect(checkOperations(registerModel(), asRegister).ok).toBe("Ok");
    // With the revisions the other way round it is linearizable.
    expect(verdict([h[0]!, { ...h[1]!, output: ok(5) }, { ...h[2]!, output: found("b", 5) }, h[3]!])).toBe("Ok");
  });

  test("writeCreates: false — a write of an absent key answers notFound", () => {
    const strict = kvModel({ writeCreates: false });
    const c = (h: Op[]) => checkOperations(strict, h).ok;
    expect(c([seq(write("a"), notFound)])).toBe("Ok");
    expect(c([seq(write("a"), ok(2))])).toBe("Illegal");
    expect(c([seq(create("a"), ok(2)), seq(write("b"), ok(3)), seq(read(), found("b", 3))])).toBe("Ok");
    expect(verdict([seq(write("a"), notFound)])).toBe("Illegal");
  });
});

describe("kvModel: create, cas, delete", () => {
  test("create succeeds only on an absent key", () => {
    expect(verdict([seq(create("a"), ok(2)), seq(create("b"), exists), seq(read(), found("a", 2))])).toBe("Ok");
    expect(verdict([seq(create("a"), ok(2)), seq(create("b"), ok(3))])).toBe("Illegal");
    expect(verdict([seq(create("a"), exists)])).toBe("Illegal");
  });

  test("cas succeeds exactly when the resourceVersion matches", () => {
    expect(verdict([seq(create("a"), ok(2)), seq(cas(2, "b"), ok(7)), seq(read(), found("b", 7))])).toBe("Ok");
    expect(verdict([seq(create("a"), ok(2)), seq(cas(1, "b"), ok(7))])).toBe("Illegal");
    expect(verdict([seq(create("a"), ok(2)), seq(cas(2, "b"), conflict)])).toBe("Illegal");
    expect(verdict([seq(create("a"), ok(2)), seq(cas(1, "b"), conflict), seq(read(), found("a", 2))])).toBe("Ok");
    expect(verdict([seq(cas(1, "b"), notFound)])).toBe("Ok");
    expect(verdict([seq(cas(1, "b"), conflict)])).toBe("Illegal");
    // The new revision must be past the expected one.
    expect(verdict([seq(create("a"), ok(2)), seq(cas(2, "b"), ok(2))])).toBe("Illegal");
  });

  test("two clients racing a cas on the same revision: at most one wins", () => {
    const base = [at(create("a"), 0, 1, ok(2))];
    expect(verdict([...base, at(cas(2, "x"), 100, 110, ok(5), 1), at(cas(2, "y"), 100, 110, conflict, 2)])).toBe("Ok");
    expect(verdict([...base, at(cas(2, "x"), 100, 110, ok(5), 1), at(cas(2, "y"), 100, 110, ok(6), 2)])).toBe("Illegal");
  });

  test("delete", () => {
    expect(verdict([seq(create("a"), ok(2)), seq(del(), ok(3, 2)), seq(read(), notFound), seq(del(), notFound)])).toBe("Ok");
    expect(verdict([seq(create("a"), ok(2)), seq(del(), ok()), seq(read(), found("a", 2))])).toBe("Illegal");
    expect(verdict([seq(create("a"), ok(2)), seq(del(), notFound)])).toBe("Illegal");
    // Preconditions and the reported previous revision.
    expect(verdict([seq(create("a"), ok(2)), seq(del(1), conflict), seq(del(2), ok())])).toBe("Ok");
    expect(verdict([seq(create("a"), ok(2)), seq(del(2), conflict)])).toBe("Illegal");
    expect(verdict([seq(create("a"), ok(2)), seq(del(), ok(undefined, 1))])).toBe("Illegal");
    // Revisions after a delete keep moving forward.
    expect(verdict([seq(create("a"), ok(2)), seq(del(), ok(6)), seq(create("b"), ok(7))])).toBe("Ok");
    expect(verdict([seq(create("a"), ok(2)), seq(del(), ok(6)), seq(create("b"), ok(4))])).toBe("Illegal");
  });
});

describe("kvModel: unknown outcomes", () => {
  test("a lost write seen later pins its resourceVersion", () => {
    const h = [seq(write("a"), ok(2)), seq(write("b"), undefined), seq(read(), found("b", 9))];
    expect(verdict(h)).toBe("Ok");
    expect(verdict([...h, seq(read(), found("b", 9))])).toBe("Ok");
    expect(verdict([...h, seq(read(), found("b", 10))])).toBe("Illegal");
    // A later acknowledged write must be past the pinned revision.
    expect(verdict([...h, seq(write("c"), ok(8))])).toBe("Illegal");
    // The lost write's revision cannot be at or below what the key had before it.
    expect(verdict([seq(write("a"), ok(2)), seq(write("b"), undefined), seq(read(), found("b", 2))])).toBe("Illegal");
  });

  test("a lost write never seen is fine; seen then unseen is not", () => {
    expect(verdict([seq(write("a"), ok(2)), seq(write("b"), undefined), seq(read(), found("a", 2))])).toBe("Ok");
    expect(verdict([seq(write("a"), ok(2)), seq(write("b"), undefined), seq(read(), found("b", 5)), seq(read(), found("a", 2))])).toBe("Illegal");
  });

  test("a lost create may explain a later exists, a lost delete a later notFound", () => {
    expect(verdict([seq(create("a"), undefined), seq(create("b"), exists)])).toBe("Ok");
    expect(verdict([seq(create("a"), ok(2)), seq(del(), undefined), seq(read(), notFound), seq(create("c"), ok(9))])).toBe("Ok");
    expect(verdict([seq(create("a"), ok(2)), seq(del(), undefined), seq(read(), notFound), seq(read(), found("a", 2))])).toBe("Illegal");
  });

  test("a lost cas takes effect only if its precondition held", () => {
    const h = [seq(create("a"), ok(2)), seq(cas(2, "b"), undefined)];
    expect(verdict([...h, seq(read(), found("b", 4))])).toBe("Ok");
    expect(verdict([seq(create("a"), ok(2)), seq(cas(1, "b"), undefined), seq(read(), found("b", 4))])).toBe("Illegal");
  });
});

describe("partitionBy", () => {
  test("groups by key in first-seen order, keeping op order", () => {
    const h = [seq(read("x"), notFound), seq(read("y"), notFound), seq(write("1", "x"), ok(1))];
    const parts = partitionBy<KvInput, KvOutput>((i) => i.key)(h);
    expect(parts).toEqual([[h[0]!, h[2]!], [h[1]!]]);
  });

  test("kvModel checks keys independently", () => {
    const h = [seq(write("a", "x"), ok(5)), seq(write("b", "y"), ok(3)), seq(read("x"), found("a", 5))];
    const res = checkOperations(kv, h);
    expect(res.ok).toBe("Ok");
    expect(res.partitions.length).toBe(2);
  });

  test("state description", () => {
    expect(describeKvState({ exists: true, value: "v", rv: 4, rvExact: false, not: [] })).toBe('"v"@>4');
    expect(describeKvState({ exists: true, value: "v", rv: 4, rvExact: false, not: [6, 9] })).toBe('"v"@>4 not 6,9');
    expect(describeKvState({ exists: false, value: "", rv: 0, rvExact: false, not: [] })).toBe("absent");
  });
});
