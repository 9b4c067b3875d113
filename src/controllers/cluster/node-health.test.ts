import { describe, expect, test } from "bun:test";
import { observe, reconcileTaints, silentConditions } from "./node-health.ts";
import { matchingTolerations, minTolerationSeconds, tolerates } from "./tolerations.ts";
import { evictionDelay } from "./taint-eviction.ts";

const node = (ready?: string, taints: object[] = [], extra: Record<string, unknown> = {}) => ({
  metadata: { name: "n", creationTimestamp: "2026-01-01T00:00:00Z" },
  spec: { taints, ...extra },
  status: { conditions: ready ? [{ type: "Ready", status: ready, lastHeartbeatTime: "2026-01-01T00:00:05Z" }] : [] },
});

describe("heartbeats", () => {
  test("a change in lease renewTime or Ready heartbeat moves the probe time; nothing else does", () => {
    const n = node("True");
    const r0 = observe(undefined, n, { spec: { renewTime: "a" } }, 1000);
    expect(r0.probeMs).toBe(1000);
    expect(observe(r0, n, { spec: { renewTime: "a" } }, 5000)).toBe(r0);
    expect(observe(r0, n, { spec: { renewTime: "b" } }, 5000).probeMs).toBe(5000);
    const beat = { ...n, status: { conditions: [{ type: "Ready", status: "True", lastHeartbeatTime: "2026-01-01T00:00:09Z" }] } };
    expect(observe(r0, beat, { spec: { renewTime: "a" } }, 6000).probeMs).toBe(6000);
  });
  test("silent conditions: Unknown with upstream's reason and message, added if never posted", () => {
    const c = silentConditions(node("True"), "T")!;
    expect(c.find((x) => x.type === "Ready")).toMatchObject({ status: "Unknown", reason: "NodeStatusUnknown", message: "Kubelet stopped posting node status.", lastTransitionTime: "T", lastHeartbeatTime: "2026-01-01T00:00:05Z" });
    expect(c.find((x) => x.type === "DiskPressure")).toMatchObject({ status: "Unknown", reason: "NodeStatusNeverUpdated" });
    expect(silentConditions({ ...node(), status: { conditions: c } }, "T2")).toBeNull();
  });
});

describe("taints", () => {
  test("unreachable/not-ready follow Ready, with timeAdded on NoExecute; others kept", () => {
    const t = reconcileTaints(node("Unknown", [{ key: "user", effect: "NoSchedule" }]), "T")!;
    expect(t).toEqual([
      { key: "user", effect: "NoSchedule" },
      { key: "node.kubernetes.io/unreachable", effect: "NoSchedule" },
      { key: "node.kubernetes.io/unreachable", effect: "NoExecute", timeAdded: "T" },
    ]);
    expect(reconcileTaints(node("Unknown", t), "T2")).toBeNull();
    const nr = reconcileTaints(node("False", t), "T3")!;
    expect(nr.map((x) => `${x.key}:${x.effect}`)).toEqual(["user:NoSchedule", "node.kubernetes.io/not-ready:NoSchedule", "node.kubernetes.io/not-ready:NoExecute"]);
    expect(reconcileTaints(node("True", nr), "T4")).toEqual([{ key: "user", effect: "NoSchedule" }]);
  });
  test("unschedulable and pressure taints; a node that never reported keeps NoExecute taints", () => {
    const t = reconcileTaints({ ...node("True", [], { unschedulable: true }), status: { conditions: [{ type: "Ready", status: "True" }, { type: "DiskPressure", status: "True" }] } }, "T")!;
    expect(t.map((x) => x.key).sort()).toEqual(["node.kubernetes.io/disk-pressure", "node.kubernetes.io/unschedulable"]);
    const kept = [{ key: "node.kubernetes.io/not-ready", effect: "NoExecute" }];
    expect(reconcileTaints(node(undefined, kept), "T")).toBeNull();
  });
});

describe("tolerations and eviction timing", () => {
  const taint = { key: "node.kubernetes.io/unreachable", effect: "NoExecute" as const, timeAdded: "2026-01-01T00:01:00Z" };
  test("matching rules", () => {
    expect(tolerates({ operator: "Exists" }, taint)).toBe(true);
    expect(tolerates({ key: taint.key, operator: "Exists", effect: "NoSchedule" }, taint)).toBe(false);
    expect(tolerates({ key: "k", value: "v" }, { key: "k", value: "v", effect: "NoExecute" })).toBe(true);
    expect(tolerates({ key: "k", value: "w" }, { key: "k", value: "v", effect: "NoExecute" })).toBe(false);
    expect(matchingTolerations([taint, { key: "x", effect: "NoExecute" }], [{ key: taint.key, operator: "Exists" }]).ok).toBe(false);
    expect(minTolerationSeconds([{ tolerationSeconds: 30 }, { tolerationSeconds: 10 }, {}])).toBe(10);
    expect(minTolerationSeconds([{}])).toBe(-1);
    expect(minTolerationSeconds([{ tolerationSeconds: -5 }])).toBe(0);
  });
  test("delay counts from the taint's timeAdded (or the pod's binding, if later)", () => {
    const n = node("Unknown", [taint]);
    const pod = (tolerations: object[], created = "2026-01-01T00:00:00Z") => ({ metadata: { creationTimestamp: created }, spec: { tolerations } });
    const at = (s: string) => Date.parse(s);
    const tol = [{ key: taint.key, operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 }];
    expect(evictionDelay(pod(tol), n, at("2026-01-01T00:02:00Z"))).toBe(240_000);
    expect(evictionDelay(pod(tol), n, at("2026-01-01T00:07:00Z"))).toBe(0);
    expect(evictionDelay(pod(tol, "2026-01-01T00:03:00Z"), n, at("2026-01-01T00:04:00Z"))).toBe(240_000);
    expect(evictionDelay(pod([]), n, at("2026-01-01T00:02:00Z"))).toBe(0);
    expect(evictionDelay(pod([{ operator: "Exists" }]), n, at("2026-01-01T00:02:00Z"))).toBeNull();
    expect(evictionDelay(pod([]), node("True"), at("2026-01-01T00:02:00Z"))).toBeNull();
    // An old taint tolerated forever does not shorten a new taint's toleration.
    const old = { key: "dedicated", value: "edge", effect: "NoExecute" as const, timeAdded: "2025-01-01T00:00:00Z" };
    const both = node("Unknown", [old, taint]);
    expect(evictionDelay(pod([{ key: "dedicated", operator: "Exists" }, ...tol]), both, at("2026-01-01T00:02:00Z"))).toBe(240_000);
    // A taint without timeAdded counts from when it was first seen.
    const noTime = node("Unknown", [{ key: taint.key, effect: "NoExecute" }]);
    expect(evictionDelay(pod(tol), noTime, at("2026-01-01T00:02:00Z"), () => at("2026-01-01T00:01:30Z"))).toBe(270_000);
  });
});
