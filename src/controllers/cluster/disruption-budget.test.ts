import { describe, expect, test } from "bun:test";
import type { KObj } from "../../client/client.ts";
import { budgetStatus, countHealthy, DELETION_TIMEOUT_MS, ExpectedCountError, expectedCounts, failSafeStatus, liveDisruptedPods, type ScaleOf } from "./disruption-budget.ts";

const pod = (name: string, o: { ready?: boolean; deleting?: boolean; owner?: string } = {}): KObj => ({
  metadata: { name, namespace: "ns", ...(o.deleting ? { deletionTimestamp: "2026-01-01T00:00:00Z" } : {}), ownerReferences: o.owner ? [{ kind: "ReplicaSet", name: o.owner, uid: o.owner, controller: true }] : [] },
  status: { conditions: [{ type: "Ready", status: o.ready === false ? "False" : "True" }] },
});
const pdb = (spec: KObj, status: KObj = {}): KObj => ({ metadata: { name: "b", namespace: "ns", generation: 2 }, spec, status });
const scales: Record<string, number> = { rs1: 4, rs2: 2 };
const scaleOf: ScaleOf = (p) => {
  const ref = p.metadata.ownerReferences?.[0];
  if (!ref) return null;
  return ref.name in scales ? { uid: ref.uid, replicas: scales[ref.name]! } : "missing";
};

describe("expectedCounts", () => {
  test("an integer minAvailable is absolute; expected pods are the pods there are", () => {
    expect(expectedCounts(pdb({ minAvailable: 2 }), [pod("a"), pod("b"), pod("c")], scaleOf)).toEqual({ expectedPods: 3, desiredHealthy: 2, unmanagedPods: [] });
  });

  test("maxUnavailable is relative to the controllers' summed scale (each controller once), rounded up", () => {
    const pods = [pod("a", { owner: "rs1" }), pod("b", { owner: "rs1" }), pod("c", { owner: "rs2" })];
    expect(expectedCounts(pdb({ maxUnavailable: 1 }), pods, scaleOf)).toMatchObject({ expectedPods: 6, desiredHealthy: 5 });
    expect(expectedCounts(pdb({ maxUnavailable: "25%" }), pods, scaleOf)).toMatchObject({ expectedPods: 6, desiredHealthy: 4 });
    expect(expectedCounts(pdb({ maxUnavailable: 10 }), pods, scaleOf)).toMatchObject({ desiredHealthy: 0 });
  });

  test("a percentage minAvailable rounds up against the scale", () => {
    expect(expectedCounts(pdb({ minAvailable: "50%" }), [pod("a", { owner: "rs1" })], scaleOf)).toMatchObject({ expectedPods: 4, desiredHealthy: 2 });
    expect(expectedCounts(pdb({ minAvailable: "10%" }), [pod("a", { owner: "rs1" })], scaleOf)).toMatchObject({ desiredHealthy: 1 });
  });

  test("pods without a controller are unmanaged; a controller that cannot be found is an error", () => {
    expect(expectedCounts(pdb({ maxUnavailable: 1 }), [pod("a"), pod("b", { owner: "rs2" })], scaleOf)).toEqual({ expectedPods: 2, desiredHealthy: 1, unmanagedPods: ["a"] });
    expect(() => expectedCounts(pdb({ maxUnavailable: 1 }), [pod("a", { owner: "gone" })], scaleOf)).toThrow(ExpectedCountError);
    expect(() => expectedCounts(pdb({ maxUnavailable: "x" }), [], scaleOf)).toThrow(/invalid value/);
  });
});

describe("healthy pods and disrupted pods", () => {
  const now = Date.parse("2026-01-01T00:10:00Z");
  test("only Ready pods that are not deleting and not disrupted count", () => {
    const pods = [pod("a"), pod("b", { ready: false }), pod("c", { deleting: true }), pod("d")];
    expect(countHealthy(pods, {})).toBe(2);
    expect(countHealthy(pods, { d: "x" })).toBe(1);
  });

  test("entries hold until the pod deletes, disappears or the entry times out", () => {
    const fresh = new Date(now - 1000).toISOString();
    const old = new Date(now - DELETION_TIMEOUT_MS - 1).toISOString();
    const b = pdb({}, { disruptedPods: { a: fresh, gone: fresh, c: fresh, d: old } });
    const r = liveDisruptedPods(b, [pod("a"), pod("c", { deleting: true }), pod("d")], now);
    expect(r.disrupted).toEqual({ a: fresh });
    expect(r.recheckAtMs).toBe(now - 1000 + DELETION_TIMEOUT_MS);
    expect(liveDisruptedPods(pdb({}), [], now)).toEqual({ disrupted: {}, recheckAtMs: null });
  });
});

describe("budgetStatus", () => {
  const iso = "2026-01-01T00:00:00Z";
  test("allows currentHealthy - desiredHealthy disruptions with a True condition", () => {
    const s = budgetStatus(pdb({ minAvailable: 2 }), { expectedPods: 3, desiredHealthy: 2, unmanagedPods: [] }, 3, {}, iso);
    expect(s).toEqual({
      observedGeneration: 2,
      disruptionsAllowed: 1,
      currentHealthy: 3,
      desiredHealthy: 2,
      expectedPods: 3,
      conditions: [{ type: "DisruptionAllowed", status: "True", reason: "SufficientPods", message: "", lastTransitionTime: iso, observedGeneration: 2 }],
    });
  });

  test("never negative, and none while no pods are expected", () => {
    expect(budgetStatus(pdb({}), { expectedPods: 3, desiredHealthy: 3, unmanagedPods: [] }, 1, {}, iso)).toMatchObject({ disruptionsAllowed: 0, conditions: [{ status: "False", reason: "InsufficientPods" }] });
    expect(budgetStatus(pdb({}), { expectedPods: 0, desiredHealthy: 0, unmanagedPods: [] }, 2, {}, iso).disruptionsAllowed).toBe(0);
  });

  test("the transition time moves only with the condition's status; disrupted pods are kept", () => {
    const prev = { conditions: [{ type: "DisruptionAllowed", status: "True", reason: "SufficientPods", message: "", lastTransitionTime: "earlier" }] };
    const s = budgetStatus(pdb({}, prev), { expectedPods: 3, desiredHealthy: 1, unmanagedPods: [] }, 3, { a: iso }, iso);
    expect(s.conditions[0].lastTransitionTime).toBe("earlier");
    expect(s.disruptedPods).toEqual({ a: iso });
    expect(budgetStatus(pdb({}, prev), { expectedPods: 3, desiredHealthy: 3, unmanagedPods: [] }, 3, {}, iso).conditions[0].lastTransitionTime).toBe(iso);
  });

  test("fail-safe: no disruptions, SyncFailed, observedGeneration unchanged", () => {
    const s = failSafeStatus(pdb({}, { observedGeneration: 1, disruptionsAllowed: 3, currentHealthy: 4 }), "found no controllers", iso);
    expect(s).toMatchObject({ observedGeneration: 1, disruptionsAllowed: 0, currentHealthy: 4, conditions: [{ type: "DisruptionAllowed", status: "False", reason: "SyncFailed", message: "found no controllers" }] });
  });
});
