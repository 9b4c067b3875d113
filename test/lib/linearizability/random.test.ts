/**
 * Randomized histories from real sequential executions (sim.ts): they must check Ok, for the
 * kite store model and for the plain register. Then each is mutated in ways that are illegal
 * whatever the interleaving — a read swapped to a value that was surely overwritten (stale
 * read), an acknowledged write that a later read does not see (lost write), a resourceVersion
 * that goes backwards, a value nobody wrote — and must check Illegal, at the mutated op.
 */
import { describe, expect, test } from "bun:test";
import { checkOperations } from "./checker.ts";
import { kvModel, registerModel, type KvInput, type KvOutput, type RegisterInput, type RegisterOutput } from "./models.ts";
import { powerSetModel } from "./nondeterministic.ts";
import { renderResult } from "./report.ts";
import { prng, simulateKv } from "./sim.ts";
import type { NondeterministicModel, Operation } from "./types.ts";

type KvOp = Operation<KvInput, KvOutput>;
const kv = kvModel();
const SEEDS = 40;

function history(seed: number): KvOp[] {
  return simulateKv({ seed, clients: 4, opsPerClient: 120, keys: 3, unknownRate: 0.05 });
}

/** A successful op that set the key to a value with a known resourceVersion. */
function isAckedWriter(o: KvOp): o is KvOp & { input: { value: string }; output: { type: "ok"; rv: number } } {
  return o.input.op !== "read" && o.input.op !== "delete" && o.output?.type === "ok" && o.output.rv !== undefined;
}
function isAckedChange(o: KvOp): boolean {
  return o.input.op !== "read" && o.output?.type === "ok";
}
const clone = (h: KvOp[]): KvOp[] => h.map((o) => ({ ...o, output: o.output && { ...o.output } }));

/** Mutation: a read returns W's value though W2 surely overwrote it before the read began. */
function staleRead(h: KvOp[], rnd: () => number): number | undefined {
  const reads = h.map((o, i) => i).filter((i) => h[i]!.input.op === "read" && h[i]!.output?.type === "found");
  for (let tries = 0; tries < 50; tries++) {
    const ri = reads[Math.floor(rnd() * reads.length)];
    if (ri === undefined) return undefined;
    const r = h[ri]!;
    const sameKey = h.filter((o) => o.input.key === r.input.key);
    const w2 = sameKey.find((o) => isAckedChange(o) && o.return < r.call && sameKey.some((w) => isAckedWriter(w) && w.return < o.call));
    if (!w2) continue;
    const ws = sameKey.filter((w): w is KvOp & { input: { value: string }; output: { type: "ok"; rv: number } } => isAckedWriter(w) && w.return < w2.call);
    const w = ws[Math.floor(rnd() * ws.length)]!;
    r.output = { type: "found", value: w.input.value, rv: w.output.rv };
    return ri;
  }
  return undefined;
}

/** Mutation: a read after an acknowledged write says notFound though no delete could have run. */
function lostWrite(h: KvOp[]): number | undefined {
  for (let ri = 0; ri < h.length; ri++) {
    const r = h[ri]!;
    if (r.input.op !== "read" || r.output?.type !== "found") continue;
    const key = r.input.key;
    const w = h.find((o) => o.input.key === key && isAckedWriter(o) && o.return < r.call);
    if (!w) continue;
    const deleteMayIntervene = h.some((o) => o.input.key === key && o.input.op === "delete" && o.output?.type !== "notFound" && o.output?.type !== "conflict" && o.call < r.return && o.return > w.call);
    if (deleteMayIntervene) continue;
    r.output = { type: "notFound" };
    return ri;
  }
  return undefined;
}

/** Mutation: W2 starts after W returned but reports W's resourceVersion (time going backwards). */
function rvBackwards(h: KvOp[]): number | undefined {
  for (let j = h.length - 1; j >= 0; j--) {
    const w2 = h[j]!;
    if (!isAckedWriter(w2)) continue;
    const w = h.find((o) => o.input.key === w2.input.key && isAckedWriter(o) && o.return < w2.call);
    if (!w || !isAckedWriter(w)) continue;
    w2.output = { type: "ok", rv: w.output.rv };
    return j;
  }
  return undefined;
}

describe("real executions check Ok", () => {
  test("kite store model, 3 keys, 4 clients, 5% lost responses", () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      const h = history(seed);
      const res = checkOperations(kv, h, { timeoutMs: 5000 });
      if (res.ok !== "Ok") throw new Error(`seed ${seed}: ${renderResult(res, kv)}`);
      expect(res.partitions.length).toBe(3);
      // The linearization covers every op with a known outcome.
      const placed = res.partitions.reduce((n, p) => n + p.linearization!.length, 0);
      expect(placed).toBeGreaterThanOrEqual(h.filter((o) => o.return !== Infinity).length);
    }
  });

  test("register model and its power-set twin on the same executions", () => {
    // Project the store's reads and blind writes onto a register per key.
    const toRegister = (h: KvOp[]): Operation<RegisterInput, RegisterOutput>[] =>
      h.map((o) => ({
        clientId: o.clientId,
        call: o.call,
        return: o.return,
        input: o.input.op === "write" ? { op: "write", key: o.input.key, value: o.input.value } : { op: "read", key: o.input.key },
        output: o.output === undefined ? undefined : o.output.type === "found" ? { value: o.output.value } : o.output.type === "notFound" ? { value: null } : {},
      }));
    const nd: NondeterministicModel<string | number | null, RegisterInput, RegisterOutput> = {
      partition: registerModel({ keyed: true }).partition!,
      init: () => [null],
      step: (s, i, o) => (i.op === "write" ? [i.value] : o === undefined || (o.value ?? null) === s ? [s] : []),
      equal: (a, b) => a === b,
      hash: (s) => (s === null ? 0 : String(s).length),
    };
    for (let seed = 1; seed <= 10; seed++) {
      const h = toRegister(simulateKv({ seed, clients: 4, opsPerClient: 100, keys: 2, unknownRate: 0.05, mix: { read: 50, write: 50, cas: 0, create: 0, delete: 0 } }));
      expect(checkOperations(registerModel({ keyed: true }), h).ok).toBe("Ok");
      expect(checkOperations(powerSetModel(nd), h).ok).toBe("Ok");
      // A read of a value never written is caught by both.
      const r = h.find((o) => o.input.op === "read" && o.output !== undefined)!;
      r.output = { value: "never-written" };
      expect(checkOperations(registerModel({ keyed: true }), h).ok).toBe("Illegal");
      expect(checkOperations(powerSetModel(nd), h).ok).toBe("Illegal");
    }
  });
});

describe("mutated executions check Illegal", () => {
  const mutations: [string, (h: KvOp[], rnd: () => number) => number | undefined][] = [
    ["stale read", staleRead],
    ["lost write", lostWrite],
    ["resourceVersion backwards", rvBackwards],
    [
      "value never written",
      (h) => {
        const i = h.findIndex((o) => o.input.op === "read" && o.output?.type === "found");
        if (i < 0) return undefined;
        h[i]!.output = { type: "found", value: "never-written", rv: (h[i]!.output as { rv: number }).rv };
        return i;
      },
    ],
  ];
  for (const [name, mutate] of mutations) {
    test(name, () => {
      let applied = 0;
      for (let seed = 1; seed <= SEEDS; seed++) {
        const h = clone(history(seed));
        const at = mutate(h, prng(seed * 7919));
        if (at === undefined) continue;
        applied++;
        const res = checkOperations(kv, h, { timeoutMs: 5000 });
        if (res.ok !== "Illegal") throw new Error(`seed ${seed} (${name} at op ${at}): expected Illegal, got ${res.ok}`);
        // The report points into the partition holding the mutated op.
        expect(res.firstIllegal!.operations.some((o) => o.clientId === h[at]!.clientId && o.call === h[at]!.call)).toBe(true);
      }
      expect(applied).toBeGreaterThanOrEqual(SEEDS / 2);
    });
  }
});
