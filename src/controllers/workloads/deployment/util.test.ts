import { describe, expect, it } from "bun:test";
import type { KObj } from "../../../client/client.ts";
import { deploymentTimedOut, equalIgnoreHash, findNewReplicaSet, maxSurge, maxUnavailable, newRSNewReplicas, proportion, setNewReplicaSetAnnotations, REVISION, REVISION_HISTORY } from "./util.ts";

function deploy(replicas: number, ru: KObj = { maxSurge: "25%", maxUnavailable: "25%" }, extra: KObj = {}): KObj {
  return { metadata: { name: "d", namespace: "ns", annotations: {} }, spec: { replicas, strategy: { type: "RollingUpdate", rollingUpdate: ru }, template: { metadata: { labels: { app: "x" } }, spec: { containers: [{ name: "c", image: "i:1" }] } }, ...extra }, status: {} };
}
function rs(name: string, replicas: number, image = "i:1", created = "2026-01-01T00:00:00Z", ann: KObj = {}): KObj {
  return { metadata: { name, uid: name, creationTimestamp: created, annotations: ann }, spec: { replicas, template: { metadata: { labels: { app: "x", "pod-template-hash": name } }, spec: { containers: [{ name: "c", image }] } } }, status: {} };
}

describe("deployment util", () => {
  it("resolves surge (rounded up) and unavailable (rounded down)", () => {
    expect(maxSurge(deploy(10))).toBe(3);
    expect(maxUnavailable(deploy(10))).toBe(2);
    expect(maxSurge(deploy(3, { maxSurge: 0, maxUnavailable: 0 }))).toBe(0);
    expect(maxUnavailable(deploy(3, { maxSurge: 0, maxUnavailable: 0 }))).toBe(1);
    expect(maxUnavailable(deploy(2, { maxSurge: 0, maxUnavailable: 5 }))).toBe(2);
    expect(maxSurge({ ...deploy(3), spec: { ...deploy(3).spec, strategy: { type: "Recreate" } } })).toBe(0);
  });

  it("compares templates ignoring the pod-template-hash label and empty values", () => {
    const d = deploy(1);
    expect(equalIgnoreHash(d.spec.template, rs("a", 1).spec.template)).toBe(true);
    expect(equalIgnoreHash(d.spec.template, rs("a", 1, "i:2").spec.template)).toBe(false);
    const withEmpty = structuredClone(d.spec.template);
    withEmpty.metadata.annotations = {};
    withEmpty.metadata.creationTimestamp = null;
    expect(equalIgnoreHash(withEmpty, rs("b", 1).spec.template)).toBe(true);
  });

  it("finds the oldest matching ReplicaSet as the new one", () => {
    const d = deploy(1);
    const a = rs("a", 1, "i:1", "2026-01-02T00:00:00Z");
    const b = rs("b", 1, "i:1", "2026-01-01T00:00:00Z");
    const c = rs("c", 1, "i:0", "2025-01-01T00:00:00Z");
    expect(findNewReplicaSet(d, [a, b, c])?.metadata.name).toBe("b");
    expect(findNewReplicaSet(d, [c])).toBeUndefined();
  });

  it("grows the new ReplicaSet only within replicas + maxSurge", () => {
    const d = deploy(4, { maxSurge: 1, maxUnavailable: 1 });
    const old = rs("old", 4);
    const n = rs("new", 0, "i:2");
    expect(newRSNewReplicas(d, [old, n], n)).toBe(1);
    old.spec.replicas = 3;
    n.spec.replicas = 1;
    expect(newRSNewReplicas(d, [old, n], n)).toBe(2);
    old.spec.replicas = 0;
    n.spec.replicas = 4;
    expect(newRSNewReplicas(d, [old, n], n)).toBe(4);
  });

  it("splits a scaling event proportionally to max-replicas", () => {
    const d = deploy(20, { maxSurge: 0, maxUnavailable: 1 });
    const a = rs("a", 5, "i:1", undefined, { "deployment.kubernetes.io/max-replicas": "10" });
    // 5 of 10 → half of the new 20.
    expect(proportion(a, d, 10, 0)).toBe(5);
    expect(proportion(a, d, 10, 8)).toBe(2);
    // 5 of 10 → half of a smaller 4: shrink by 3, never by more than the event's share.
    const small = deploy(4, { maxSurge: 0, maxUnavailable: 1 });
    expect(proportion(a, small, -6, 0)).toBe(-3);
    expect(proportion(a, small, -6, -5)).toBe(-1);
  });

  it("raises the revision and keeps the old one in revision-history", () => {
    const d = deploy(1);
    d.metadata.annotations = { "kubernetes.io/change-cause": "v2", [REVISION]: "7" };
    const r = rs("a", 1, "i:1", undefined, { [REVISION]: "1" });
    expect(setNewReplicaSetAnnotations(d, r, 3, true)).toBe(true);
    expect(r.metadata.annotations[REVISION]).toBe("3");
    expect(r.metadata.annotations[REVISION_HISTORY]).toBe("1");
    expect(r.metadata.annotations["kubernetes.io/change-cause"]).toBe("v2");
    expect(setNewReplicaSetAnnotations(d, r, 3, true)).toBe(false);
    expect(setNewReplicaSetAnnotations(d, r, 5, true)).toBe(true);
    expect(r.metadata.annotations[REVISION_HISTORY]).toBe("1,3");
    const fresh = rs("b", 0);
    fresh.metadata.annotations = undefined;
    setNewReplicaSetAnnotations(d, fresh, 1, false);
    expect(fresh.metadata.annotations).toMatchObject({ [REVISION]: "1", "deployment.kubernetes.io/desired-replicas": "1", "deployment.kubernetes.io/max-replicas": "2" });
  });

  it("times out only after progressDeadlineSeconds without progress", () => {
    const d = deploy(1, undefined, { progressDeadlineSeconds: 10 });
    const t0 = Date.parse("2026-01-01T00:00:00Z");
    const st = { conditions: [{ type: "Progressing", status: "True", reason: "ReplicaSetUpdated", lastUpdateTime: "2026-01-01T00:00:00Z" }] };
    expect(deploymentTimedOut(d, st, t0 + 9_000)).toBe(false);
    expect(deploymentTimedOut(d, st, t0 + 10_001)).toBe(true);
    st.conditions[0]!.reason = "NewReplicaSetAvailable";
    expect(deploymentTimedOut(d, st, t0 + 100_000)).toBe(false);
  });
});
