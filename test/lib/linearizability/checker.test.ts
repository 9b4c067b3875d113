/**
 * Hand-written histories with a known verdict, on the plain register: the classic stale read
 * and lost write, reads going back in time, unknown-outcome writes that later appear or never
 * do, ties, partitions, malformed input, and the time/memory budgets.
 */
import { describe, expect, test } from "bun:test";
import { checkOperations } from "./checker.ts";
import { registerModel, type RegisterInput, type RegisterOutput, type RegisterValue } from "./models.ts";
import { powerSetModel } from "./nondeterministic.ts";
import { renderResult } from "./report.ts";
import { HistoryError, type NondeterministicModel, type Operation } from "./types.ts";

type Op = Operation<RegisterInput, RegisterOutput>;
const reg = registerModel();
const keyed = registerModel({ keyed: true });

function w(client: number, value: RegisterValue, call: number, ret: number, key?: string): Op {
  return { clientId: client, input: key === undefined ? { op: "write", value } : { op: "write", key, value }, call, output: {}, return: ret };
}
/** A write whose response never came. */
function wLost(client: number, value: RegisterValue, call: number, key?: string): Op {
  return { clientId: client, input: key === undefined ? { op: "write", value } : { op: "write", key, value }, call, output: undefined, return: Infinity };
}
function r(client: number, value: RegisterValue, call: number, ret: number, key?: string): Op {
  return { clientId: client, input: key === undefined ? { op: "read" } : { op: "read", key }, call, output: { value }, return: ret };
}

describe("checkOperations on a register", () => {
  test("empty history is linearizable", () => {
    const res = checkOperations(reg, []);
    expect(res.ok).toBe("Ok");
    expect(res.partitions.length).toBe(1);
  });

  test("sequential write then read", () => {
    const res = checkOperations(reg, [w(0, 1, 0, 10), r(1, 1, 20, 30)]);
    expect(res.ok).toBe("Ok");
    expect(res.partitions[0]!.linearization).toEqual([0, 1]);
  });

  test("stale read: a read after a completed overwrite sees the old value", () => {
    const h = [w(0, 1, 0, 10), w(0, 2, 20, 30), r(1, 1, 40, 50)];
    const res = checkOperations(reg, h);
    expect(res.ok).toBe("Illegal");
    const ill = res.firstIllegal!;
    expect(ill.stuck).toBe(2);
    expect(ill.prefix).toEqual([0, 1]);
    expect(ill.state).toBe(2);
    expect(ill.pending).toEqual([{ index: 2, legal: false }]);
    const text = renderResult(res, reg);
    expect(text).toContain("linearizability: Illegal");
    expect(text).toContain("stuck: #2 client 1");
    expect(text).toContain("read() → 1");
  });

  test("lost write: an acknowledged write is not seen by a later read", () => {
    expect(checkOperations(reg, [w(0, 1, 0, 10), r(1, null, 20, 30)]).ok).toBe("Illegal");
  });

  test("a read may not see a value that was never written", () => {
    expect(checkOperations(reg, [w(0, 1, 0, 10), r(1, 99, 5, 30)]).ok).toBe("Illegal");
  });

  test("reads concurrent with a write may see either value, but not go back in time", () => {
    const base = [w(0, 2, 0, 100), r(1, null, 10, 20), r(1, 2, 30, 40)];
    expect(checkOperations(reg, base).ok).toBe("Ok");
    expect(checkOperations(reg, [...base, r(2, null, 50, 60)]).ok).toBe("Illegal");
    // Two overlapping reads may disagree in either direction.
    expect(checkOperations(reg, [w(0, 2, 0, 100), r(1, 2, 10, 40), r(2, null, 20, 50)]).ok).toBe("Ok");
  });

  test("the linearization respects real time and the model", () => {
    // The write's effect must precede the first read of 2 and follow the read of null.
    const h = [w(0, 2, 0, 100), r(1, null, 10, 20), r(2, 2, 30, 40), r(1, 2, 50, 60)];
    const res = checkOperations(reg, h);
    expect(res.ok).toBe("Ok");
    expect(res.partitions[0]!.linearization).toEqual([1, 0, 2, 3]);
  });

  test("ties: an op called at the instant another returns counts as concurrent", () => {
    expect(checkOperations(reg, [w(0, 1, 0, 10), r(1, null, 10, 20)]).ok).toBe("Ok");
    expect(checkOperations(reg, [w(0, 1, 0, 10), r(1, null, 10.001, 20)]).ok).toBe("Illegal");
  });

  test("unknown-outcome write that later appears", () => {
    expect(checkOperations(reg, [wLost(0, 1, 0), r(1, null, 5, 8), r(1, 1, 50, 60), r(2, 1, 70, 80)]).ok).toBe("Ok");
  });

  test("unknown-outcome write that never appears", () => {
    const res = checkOperations(reg, [wLost(0, 1, 0), r(1, null, 50, 60), r(2, null, 70, 80)]);
    expect(res.ok).toBe("Ok");
    expect(res.partitions[0]!.linearization).toEqual([1, 2]);
  });

  test("unknown-outcome write that appears then disappears", () => {
    expect(checkOperations(reg, [wLost(0, 1, 0), r(1, 1, 50, 60), r(2, null, 70, 80)]).ok).toBe("Illegal");
  });

  test("unknown-outcome write cannot take effect before it was sent", () => {
    expect(checkOperations(reg, [r(1, 1, 0, 10), wLost(0, 1, 20)]).ok).toBe("Illegal");
  });

  test("unknown-outcome write may take effect long after the client gave up", () => {
    const h = [wLost(0, 1, 0), w(1, 2, 10, 20), r(2, 2, 30, 40), r(2, 1, 50, 60)];
    expect(checkOperations(reg, h).ok).toBe("Ok");
    // ...but only once: after it is overwritten by a later acked write, 1 cannot come back.
    expect(checkOperations(reg, [...h, w(1, 3, 70, 80), r(2, 1, 90, 100)]).ok).toBe("Illegal");
  });

  test("many unknown writes do not blow up the search", () => {
    const h: Op[] = [];
    for (let i = 0; i < 40; i++) h.push(wLost(i, 1000 + i, i));
    for (let j = 0; j < 100; j++) h.push(w(100, j, 100 + 20 * j, 105 + 20 * j), r(101, j, 110 + 20 * j, 115 + 20 * j));
    // A lost write may land at any time, so seeing one late is fine...
    const late = [...h, r(102, 1005, 3000, 3010)];
    expect(checkOperations(reg, late, { timeoutMs: 5000 }).ok).toBe("Ok");
    // ...but once it is seen, the older value 99 cannot come back.
    const back = [...late, r(102, 99, 3020, 3030)];
    const res = checkOperations(reg, back, { timeoutMs: 5000 });
    expect(res.ok).toBe("Illegal");
    expect(res.firstIllegal!.stuck).toBe(back.length - 1);
  });
});

describe("partitions", () => {
  test("each key is checked alone; the illegal key is reported", () => {
    const h = [w(0, 1, 0, 10, "a"), r(1, 1, 20, 30, "a"), w(0, 5, 0, 10, "b"), r(1, null, 20, 30, "b")];
    const res = checkOperations(keyed, h);
    expect(res.ok).toBe("Illegal");
    expect(res.partitions.map((p) => p.ok)).toEqual(["Ok", "Illegal"]);
    expect(res.firstIllegal!.partition).toBe(1);
    expect(res.firstIllegal!.operations[res.firstIllegal!.stuck]).toBe(h[3]!);
  });

  test("without partitioning the same history is judged as one register", () => {
    // As one register, whichever write is last, one of the two later reads is stale.
    const h = [w(0, 1, 0, 10, "a"), w(1, 5, 0, 10, "b"), r(2, 1, 20, 30, "a"), r(3, 5, 20, 30, "b")];
    expect(checkOperations(keyed, h).ok).toBe("Ok");
    expect(checkOperations(reg, h).ok).toBe("Illegal");
  });
});

describe("input validation", () => {
  test("malformed ops are refused with HistoryError naming the op", () => {
    expect(() => checkOperations(reg, [w(0, 1, NaN, 10)])).toThrow(HistoryError);
    expect(() => checkOperations(reg, [w(0, 1, 0, 10), w(0, 1, 20, 10)])).toThrow("operation 1: returns (10) before it is called (20)");
    expect(() => checkOperations(reg, [{ ...w(0, 1, 0, 10), output: undefined }])).toThrow("no output");
    expect(() => checkOperations(reg, [w(0, 1, Infinity, Infinity)])).toThrow(HistoryError);
  });
});

describe("budgets", () => {
  // 22 mutually concurrent writes and a read of a value nobody wrote: proving it illegal means
  // trying every subset of the writes, which the budgets cut short.
  const hard: Op[] = [];
  for (let i = 0; i < 22; i++) hard.push(w(i, i, 0, 1000));
  hard.push(r(99, 12345, 500, 2000));

  test("time budget gives Unknown", () => {
    const t0 = performance.now();
    const res = checkOperations(reg, hard, { timeoutMs: 100 });
    expect(res.ok).toBe("Unknown");
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  test("state budget gives Unknown", () => {
    const res = checkOperations(reg, hard, { maxStates: 1000 });
    expect(res.ok).toBe("Unknown");
    expect(res.partitions[0]!.explored).toBeGreaterThan(1000);
  });

  test("an illegal partition wins over an unknown one", () => {
    const h = [...hard.map((o) => ({ ...o, input: { ...o.input, key: "hard" } })), w(0, 1, 0, 10, "easy"), r(0, 2, 20, 30, "easy")];
    const res = checkOperations(keyed, h, { maxStates: 1000 });
    expect(res.partitions.map((p) => p.ok)).toEqual(["Unknown", "Illegal"]);
    expect(res.ok).toBe("Illegal");
  });
});

describe("powerSetModel", () => {
  // A register where a write that failed ambiguously (output {value: "failed"}) may or may not
  // have happened: the nondeterministic step forks, like etcd's NonDeterministicModel.
  const nd: NondeterministicModel<RegisterValue, RegisterInput, RegisterOutput> = {
    init: () => [null],
    step(s, i, o) {
      if (i.op === "write") return o?.value === "failed" ? [s, i.value] : [i.value];
      return o?.value === s ? [s] : [];
    },
    equal: (a, b) => a === b,
    hash: (s) => (typeof s === "number" ? s : s === null ? 0 : s.length),
  };
  const model = powerSetModel(nd);
  const wFailed = (value: number, call: number, ret: number): Op => ({ clientId: 0, input: { op: "write", value }, call, output: { value: "failed" }, return: ret });

  test("an ambiguous write may have happened", () => {
    expect(checkOperations(model, [wFailed(1, 0, 10), r(1, 1, 20, 30)]).ok).toBe("Ok");
    expect(checkOperations(model, [wFailed(1, 0, 10), r(1, null, 20, 30)]).ok).toBe("Ok");
  });

  test("but not both happened and not happened", () => {
    const res = checkOperations(model, [wFailed(1, 0, 10), r(1, 1, 20, 30), r(1, null, 40, 50)]);
    expect(res.ok).toBe("Illegal");
    expect(model.describeState!(res.firstIllegal!.state)).toBe("1");
  });

  test("state sets compare as sets", () => {
    expect(model.equal([1, 2], [2, 1])).toBe(true);
    expect(model.hash([1, 2])).toBe(model.hash([2, 1]));
    expect(model.equal([1, 2], [1, 3])).toBe(false);
    expect(model.step([1, 1 as RegisterValue], { op: "write", value: 3 }, { value: "failed" })).toEqual([1, 3]);
  });
});
