/** The fault schedule is a pure function of the seed (replays), within its bounds. */
import { describe, expect, it } from "bun:test";
import { makeSchedule } from "./nemesis.ts";
import { Prng, seedFromEnv } from "./prng.ts";

describe("makeSchedule", () => {
  it("replays from the seed, and differs between seeds", () => {
    const a = makeSchedule(new Prng(42), { steps: 30, oneWay: true });
    expect(makeSchedule(new Prng(42), { steps: 30, oneWay: true })).toEqual(a);
    expect(makeSchedule(new Prng(43), { steps: 30, oneWay: true })).not.toEqual(a);
  });

  it("keeps durations in range, whole-cluster crashes 20 steps apart, one-way steps only when the network can", () => {
    for (let seed = 0; seed < 50; seed++) {
      const steps = makeSchedule(new Prng(seed), { steps: 40, oneWay: seed % 2 === 0, faultMs: [100, 200], recoverMs: [300, 400] });
      const killAll = steps.flatMap((s, i) => (s.kind === "kill-all" ? [i] : []));
      for (let i = 1; i < killAll.length; i++) expect(killAll[i]! - killAll[i - 1]!).toBeGreaterThanOrEqual(20);
      for (const s of steps) {
        expect(s.faultMs).toBeGreaterThanOrEqual(100);
        expect(s.faultMs).toBeLessThanOrEqual(200);
        expect(s.recoverMs).toBeGreaterThanOrEqual(300);
        expect(s.recoverMs).toBeLessThanOrEqual(400);
        if (seed % 2 === 1) expect(["leader-mute", "leader-deaf"]).not.toContain(s.kind);
        if (seed % 2 === 1) expect(s.mode).toBe("drop");
      }
    }
  });
});

describe("Prng", () => {
  it("is deterministic, stays in bounds, and forks into independent streams", () => {
    const a = new Prng(7);
    const b = new Prng(7);
    const xs = Array.from({ length: 1000 }, () => a.int(3, 9));
    expect(Array.from({ length: 1000 }, () => b.int(3, 9))).toEqual(xs);
    expect(new Set(xs)).toEqual(new Set([3, 4, 5, 6, 7, 8, 9]));
    const f1 = new Prng(7).fork(1);
    const f2 = new Prng(7).fork(2);
    expect(Array.from({ length: 5 }, () => f1.next())).not.toEqual(Array.from({ length: 5 }, () => f2.next()));
  });

  it("takes the seed from KITE_JEPSEN_SEED (decimal or hex) and refuses garbage", () => {
    expect(seedFromEnv({ KITE_JEPSEN_SEED: "1234" })).toBe(1234);
    expect(seedFromEnv({ KITE_JEPSEN_SEED: "0xff" })).toBe(255);
    expect(() => seedFromEnv({ KITE_JEPSEN_SEED: "abc" })).toThrow(TypeError);
    expect(seedFromEnv({})).toBeGreaterThanOrEqual(0);
  });
});
