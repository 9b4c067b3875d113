import { describe, expect, test } from "bun:test";
import { Algorithm, FitError } from "./algorithm.ts";
import { CycleState } from "./framework.ts";
import { defaultProfile } from "./profile.ts";
import { NominatedPods, pickOneNode, Preemption, splitByPDB } from "./preemption.ts";
import { cacheWith, makeNode, makePod, pi } from "./testing.ts";
import type { SchedulerCache } from "./cache.ts";
import type { PodInfo } from "./pod-info.ts";

function run(snap: SchedulerCache, pod: PodInfo, pdbs: unknown[] = []) {
  const a = new Algorithm(defaultProfile({ defaultSelector: () => null }), new NominatedPods());
  const p = new Preemption({ algorithm: a, pdbs: () => pdbs as never, random: () => 0 });
  const state = new CycleState();
  try {
    a.schedule(state, pod, snap);
  } catch (e) {
    if (!(e instanceof FitError)) throw e;
    const out = p.preempt(state, pod, snap, e.diagnosis, e.filters);
    if (out.message) e.diagnosis.postFilterMsg = out.message;
    return { message: e.message, candidate: out.candidate };
  }
  throw new Error("pod fit without preemption");
}

describe("DefaultPreemption", () => {
  test("evicts as few lower-priority pods as needed, on the best node", () => {
    const snap = cacheWith(
      [makeNode("n1", { cpu: "2" }), makeNode("n2", { cpu: "2" })],
      [
        makePod("n1-low", { nodeName: "n1", cpu: "1", priority: 1 }),
        makePod("n1-mid", { nodeName: "n1", cpu: "1", priority: 5 }),
        makePod("n2-a", { nodeName: "n2", cpu: "1", priority: 5 }),
        makePod("n2-b", { nodeName: "n2", cpu: "1", priority: 5 }),
      ],
    );
    const r = run(snap, pi("vip", { cpu: "1", priority: 10 }));
    expect(r.message).toBe("0/2 nodes are available: 2 Insufficient cpu.");
    // n1 needs one victim with top priority 1; n2 needs one of priority 5.
    expect(r.candidate?.node).toBe("n1");
    expect(r.candidate?.victims.map((v) => v.name)).toEqual(["n1-low"]);
  });

  test("nothing to preempt: upstream's per-node explanation", () => {
    const snap = cacheWith(
      [makeNode("full", { cpu: "1" }), makeNode("tainted", { taints: [{ key: "k", value: "v", effect: "NoSchedule" }] }), makeNode("tiny", { cpu: "1" })],
      [makePod("peer", { nodeName: "full", cpu: "1", priority: 10 }), makePod("low", { nodeName: "tiny", cpu: "100m", priority: 0 })],
    );
    const r = run(snap, pi("p", { cpu: "2", priority: 10 }));
    expect(r.candidate).toBeUndefined();
    expect(r.message).toBe(
      "0/3 nodes are available: 1 node(s) had untolerated taint {k: v}, 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Insufficient cpu, 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.",
    );
  });

  test("preemptionPolicy Never is not eligible", () => {
    const snap = cacheWith([makeNode("n", { cpu: "1" })], [makePod("low", { nodeName: "n", cpu: "1" })]);
    expect(run(snap, pi("p", { cpu: "1", priority: 5, preemptionPolicy: "Never" })).message).toBe("0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.");
  });

  test("PDB-protected victims are reprieved first", () => {
    const low = [pi("guarded", { labels: { app: "g" }, priority: 1 }), pi("free", { priority: 1 })];
    const pdb = { metadata: { namespace: "default" }, spec: { selector: { matchLabels: { app: "g" } } }, status: { disruptionsAllowed: 0 } };
    const [violating, ok] = splitByPDB(low, [pdb]);
    expect(violating.map((p) => p.name)).toEqual(["guarded"]);
    expect(ok.map((p) => p.name)).toEqual(["free"]);
    const snap = cacheWith([makeNode("n", { cpu: "2" })], [makePod("guarded", { nodeName: "n", cpu: "1", labels: { app: "g" }, priority: 1 }), makePod("free", { nodeName: "n", cpu: "1", priority: 1 })]);
    const r = run(snap, pi("p", { cpu: "1", priority: 9 }), [pdb]);
    expect(r.candidate?.victims.map((v) => v.name)).toEqual(["free"]);
    expect(r.candidate?.pdbViolations).toBe(0);
  });

  test("pickOneNode: fewer PDB violations, then lower top victim priority, smaller sum, fewer victims, later start", () => {
    const v = (priority: number, start = 0) => ({ ...pi(`v${priority}-${start}`, { priority }), startTime: start });
    expect(pickOneNode([{ node: "a", victims: [v(1)], pdbViolations: 1 }, { node: "b", victims: [v(9)], pdbViolations: 0 }]).node).toBe("b");
    expect(pickOneNode([{ node: "a", victims: [v(5)], pdbViolations: 0 }, { node: "b", victims: [v(3), v(3)], pdbViolations: 0 }]).node).toBe("b");
    expect(pickOneNode([{ node: "a", victims: [v(3), v(2)], pdbViolations: 0 }, { node: "b", victims: [v(3), v(1)], pdbViolations: 0 }]).node).toBe("b");
    expect(pickOneNode([{ node: "a", victims: [v(3, 10)], pdbViolations: 0 }, { node: "b", victims: [v(3, 20)], pdbViolations: 0 }]).node).toBe("b");
  });
});
