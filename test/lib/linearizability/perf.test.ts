/**
 * Performance guard: histories the size of a real fault test must check in seconds. On an idle
 * 2-core machine the Ok cases below take 0.05-0.5 s; the limits leave room for a loaded CI
 * box. The time budget is set well above the limit, so a regression fails the time assertion
 * rather than hiding behind an Unknown verdict.
 */
import { describe, expect, test } from "bun:test";
import { checkOperations } from "./checker.ts";
import { kvModel, type KvInput, type KvOutput } from "./models.ts";
import { renderResult } from "./report.ts";
import { simulateKv } from "./sim.ts";
import type { Operation } from "./types.ts";

const kv = kvModel();

function timed(h: Operation<KvInput, KvOutput>[]) {
  const t0 = performance.now();
  const res = checkOperations(kv, h, { timeoutMs: 30_000 });
  return { res, ms: performance.now() - t0 };
}

describe("checker performance", () => {
  test("5 clients x 2,000 ops on 10 keys, 2% lost responses", () => {
    const h = simulateKv({ seed: 101, clients: 5, opsPerClient: 2000, keys: 10, unknownRate: 0.02 });
    expect(h.length).toBe(10_000);
    const { res, ms } = timed(h);
    if (res.ok !== "Ok") throw new Error(renderResult(res, kv));
    expect(ms).toBeLessThan(5000);
  });

  test("the same load on one hot key", () => {
    const { res, ms } = timed(simulateKv({ seed: 102, clients: 5, opsPerClient: 2000, keys: 1, unknownRate: 0.02 }));
    expect(res.ok).toBe("Ok");
    expect(res.partitions[0]!.operations.length).toBe(10_000);
    expect(ms).toBeLessThan(8000);
  });

  test("20 concurrent clients on one key", () => {
    const { res, ms } = timed(simulateKv({ seed: 103, clients: 20, opsPerClient: 250, keys: 1 }));
    expect(res.ok).toBe("Ok");
    expect(ms).toBeLessThan(8000);
  });

  test("a stale read in the middle of 10,000 ops is found", () => {
    const h = simulateKv({ seed: 104, clients: 5, opsPerClient: 2000, keys: 10, unknownRate: 0.02 });
    // Make a read in the middle return the value of a write that a later acknowledged write
    // to the same key had surely replaced before the read began.
    let mutated = -1;
    for (let ri = h.length >> 1; ri < h.length && mutated < 0; ri++) {
      const r = h[ri]!;
      if (r.input.op !== "read" || r.output?.type !== "found") continue;
      const key = r.input.key;
      const w2 = h.findLast((o) => o.input.key === key && o.output?.type === "ok" && o.input.op !== "read" && o.return < r.call);
      const w = w2 && h.findLast((o) => o.input.key === key && o.output?.type === "ok" && (o.input.op === "write" || o.input.op === "create" || o.input.op === "cas") && o.return < w2.call);
      if (!w || w.output?.type !== "ok" || !("value" in w.input)) continue;
      r.output = { type: "found", value: w.input.value, rv: w.output.rv! };
      mutated = ri;
    }
    expect(mutated).toBeGreaterThan(0);
    const { res, ms } = timed(h);
    expect(res.ok).toBe("Illegal");
    const ill = res.firstIllegal!;
    expect(ill.operations[ill.stuck]).toBe(h[mutated]!);
    expect(ms).toBeLessThan(5000);
  });
});
