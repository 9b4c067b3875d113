import { describe, expect, test } from "bun:test";
import { Algorithm, ERR_NO_NODES_AVAILABLE, FitError, numFeasibleNodesToFind, ScheduleError } from "./algorithm.ts";
import { CycleState } from "./framework.ts";
import { defaultProfile } from "./profile.ts";
import { cacheWith, makeNode, makePod, pi } from "./testing.ts";
import type { PodInfo } from "./pod-info.ts";

const profile = () => defaultProfile({ defaultSelector: () => null });

describe("numFeasibleNodesToFind (adaptive percentageOfNodesToScore)", () => {
  test("upstream's table", () => {
    expect(numFeasibleNodesToFind(50)).toBe(50);
    expect(numFeasibleNodesToFind(99)).toBe(99);
    expect(numFeasibleNodesToFind(100)).toBe(100); // 50% = 50, raised to the minimum 100
    expect(numFeasibleNodesToFind(1000)).toBe(420); // 50 - 1000/125 = 42%
    expect(numFeasibleNodesToFind(5000)).toBe(500); // 10%
    expect(numFeasibleNodesToFind(10000)).toBe(500); // floor of 5%
    expect(numFeasibleNodesToFind(1000, 30)).toBe(300);
    expect(numFeasibleNodesToFind(1000, 100)).toBe(1000);
    expect(numFeasibleNodesToFind(1000, 1)).toBe(100);
  });
});

describe("schedule", () => {
  test("the least allocated, balanced node wins", () => {
    const snap = cacheWith([makeNode("busy", { cpu: "4", memory: "8Gi" }), makeNode("idle", { cpu: "4", memory: "8Gi" })], [makePod("x", { nodeName: "busy", cpu: "3", memory: "1Gi" })]);
    const a = new Algorithm(profile());
    expect(a.schedule(new CycleState(), pi("p", { cpu: "500m", memory: "512Mi" }), snap).node).toBe("idle");
  });

  test("ties are broken at random among the best nodes only", () => {
    const snap = cacheWith([makeNode("a"), makeNode("b"), makeNode("c", { cpu: "1" })]);
    const seen = new Set<string>();
    for (const r of [0, 0.99]) seen.add(new Algorithm(profile(), undefined, () => r).schedule(new CycleState(), pi("p", { cpu: "100m" }), snap).node);
    expect(seen).toEqual(new Set(["a", "b"]));
  });

  test("with many nodes only a sample is evaluated, starting where the last pod stopped", () => {
    const nodes = Array.from({ length: 200 }, (_, i) => makeNode(`n${String(i).padStart(3, "0")}`));
    const snap = cacheWith(nodes);
    const a = new Algorithm(profile());
    const r1 = a.schedule(new CycleState(), pi("p1"), snap);
    expect(r1.evaluated).toBe(100);
    expect(r1.feasible).toBe(100);
    const r2 = a.schedule(new CycleState(), pi("p2"), snap);
    expect(r2.evaluated).toBe(100);
    // The second pod saw the other half: its node is among n100..n199.
    expect(Number(r2.node.slice(1))).toBeGreaterThanOrEqual(100);
    expect(Number(r1.node.slice(1))).toBeLessThan(100);
  });

  test("fits nowhere: FitError with every node's reason", () => {
    const snap = cacheWith([makeNode("down", { ready: "Unknown" }), makeNode("m1", { memory: "1Gi" }), makeNode("m2", { memory: "1Gi" })]);
    try {
      new Algorithm(profile()).schedule(new CycleState(), pi("p", { memory: "2Gi" }), snap);
      throw new Error("expected a FitError");
    } catch (e) {
      expect(e).toBeInstanceOf(FitError);
      expect((e as FitError).message).toBe("0/3 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, 2 Insufficient memory.");
      expect([...(e as FitError).diagnosis.plugins].sort()).toEqual(["NodeResourcesFit", "TaintToleration"]);
    }
  });

  test("a pod pinned by metadata.name: the other nodes are 'didn't satisfy plugin(s) [NodeAffinity]'", () => {
    const snap = cacheWith([makeNode("a"), makeNode("b", { cpu: "1" }), makeNode("c")]);
    const pin = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: "metadata.name", operator: "In", values: ["b"] }] }] } } };
    expect(() => new Algorithm(profile()).schedule(new CycleState(), pi("p", { cpu: "2", affinity: pin }), snap)).toThrow("0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't satisfy plugin(s) [NodeAffinity].");
    expect(new Algorithm(profile()).schedule(new CycleState(), pi("p", { cpu: "500m", affinity: pin }), snap).node).toBe("b");
  });

  test("no nodes at all", () => {
    expect(() => new Algorithm(profile()).schedule(new CycleState(), pi("p"), cacheWith([]))).toThrow(new ScheduleError(ERR_NO_NODES_AVAILABLE, true));
  });

  test("the nominated node is tried first; nominated higher-priority pods hold their room", () => {
    const snap = cacheWith([makeNode("a", { cpu: "1" }), makeNode("b", { cpu: "1" })]);
    const nominatedPod = pi("vip", { cpu: "800m", priority: 100 });
    const nominator = { nominatedPods: (n: string): PodInfo[] => (n === "a" ? [nominatedPod] : []) };
    const a = new Algorithm(profile(), nominator);
    // A low-priority pod that would fit on a empty "a" must leave room there.
    for (let i = 0; i < 5; i++) expect(a.schedule(new CycleState(), pi(`low${i}`, { cpu: "500m" }), snap).node).toBe("b");
    // The nominated pod itself (same uid) is not blocked by its own nomination.
    const self = { ...nominatedPod, nominatedNodeName: "a" };
    expect(a.schedule(new CycleState(), self, snap).node).toBe("a");
    // Higher priority pods ignore lower nominated ones.
    expect(a.schedule(new CycleState(), pi("boss", { cpu: "900m", priority: 1000, spec: { }, }), cacheWith([makeNode("a", { cpu: "1" })])).node).toBe("a");
  });
});
