import { describe, expect, it } from "bun:test";
import type { KObj } from "../../../client/client.ts";
import { isPodActive, isPodAvailable, podFromTemplate, podsToDelete } from "./pods.ts";

function pod(name: string, o: { node?: string; phase?: string; ready?: boolean; readySince?: string; created?: string; restarts?: number; cost?: number } = {}): KObj {
  return {
    metadata: { name, namespace: "ns", creationTimestamp: o.created ?? "2026-01-01T00:00:00Z", annotations: o.cost !== undefined ? { "controller.kubernetes.io/pod-deletion-cost": String(o.cost) } : {} },
    spec: o.node ? { nodeName: o.node } : {},
    status: { phase: o.phase ?? "Running", conditions: o.ready ? [{ type: "Ready", status: "True", lastTransitionTime: o.readySince ?? "2026-01-01T00:00:00Z" }] : [], containerStatuses: [{ restartCount: o.restarts ?? 0 }] },
  };
}

describe("pods", () => {
  it("is available only after minReadySeconds of readiness", () => {
    const p = pod("a", { ready: true, readySince: "2026-01-01T00:00:00Z" });
    const t0 = Date.parse("2026-01-01T00:00:00Z");
    expect(isPodAvailable(p, 0, t0)).toBe(true);
    expect(isPodAvailable(p, 5, t0 + 4000)).toBe(false);
    expect(isPodAvailable(p, 5, t0 + 5001)).toBe(true);
    expect(isPodAvailable(pod("b"), 0, t0)).toBe(false);
  });

  it("treats finished and terminating pods as inactive", () => {
    expect(isPodActive(pod("a"))).toBe(true);
    expect(isPodActive(pod("a", { phase: "Succeeded" }))).toBe(false);
    const t = pod("t");
    t.metadata.deletionTimestamp = "2026-01-01T00:00:00Z";
    expect(isPodActive(t)).toBe(false);
  });

  it("deletes unscheduled, then pending, then not-ready, then cheaper, then doubled-up, then newer pods first", () => {
    const pods = [
      pod("ready-old", { node: "n1", ready: true, created: "2026-01-01T00:00:00Z" }),
      pod("ready-new", { node: "n2", ready: true, created: "2026-01-02T00:00:00Z", readySince: "2026-01-02T00:00:00Z" }),
      pod("unready", { node: "n1" }),
      pod("pending", { node: "n1", phase: "Pending" }),
      pod("unscheduled", { phase: "Pending" }),
    ];
    expect(podsToDelete(pods, 4).map((p) => p.metadata.name)).toEqual(["unscheduled", "pending", "unready", "ready-old"]);
    // ready-old shares n1 with two others: it goes before ready-new even though older.
    const two = podsToDelete(pods.slice(0, 2), 1, pods);
    expect(two.map((p) => p.metadata.name)).toEqual(["ready-old"]);
    // Without the crowding, the one ready for less time goes first.
    expect(podsToDelete(pods.slice(0, 2), 1, pods.slice(0, 2)).map((p) => p.metadata.name)).toEqual(["ready-new"]);
    // pod-deletion-cost wins over crowding.
    const cheap = pods.slice(0, 2);
    cheap[1] = pod("ready-new", { node: "n2", ready: true, cost: -5 });
    expect(podsToDelete(cheap, 1, pods).map((p) => p.metadata.name)).toEqual(["ready-new"]);
  });

  it("builds a pod from a template with a controller reference", () => {
    const p = podFromTemplate({ metadata: { labels: { a: "b" }, annotations: { x: "y" } }, spec: { containers: [{ name: "c", image: "i" }] } }, "ns", { apiVersion: "apps/v1", kind: "ReplicaSet", name: "rs", uid: "u", controller: true, blockOwnerDeletion: true });
    expect(p.metadata).toEqual({ namespace: "ns", generateName: "rs-", labels: { a: "b" }, annotations: { x: "y" }, ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "rs", uid: "u", controller: true, blockOwnerDeletion: true }] });
    expect(p.spec.containers[0].image).toBe("i");
  });
});
