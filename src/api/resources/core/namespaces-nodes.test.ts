import { describe, expect, test } from "bun:test";
import type { Obj } from "../../registry/types.ts";
import { namespaceDef } from "./namespaces.ts";
import { nodeDef, nodeCells } from "./nodes.ts";
import { memRegistry, testCtx } from "./pods/testing.ts";

describe("namespaces", () => {
  const def = namespaceDef();
  test("create: finalizer kubernetes, phase Active, metadata.name label", async () => {
    const ns: Obj = { metadata: { name: "team-a" } };
    def.defaults!(ns);
    await def.prepareForCreate!(ns, testCtx(), memRegistry());
    expect(ns.spec.finalizers).toEqual(["kubernetes"]);
    expect(ns.status).toEqual({ phase: "Active" });
    expect(ns.metadata.labels).toEqual({ "kubernetes.io/metadata.name": "team-a" });
    expect(def.validate!(ns, testCtx())).toEqual([]);
    expect(def.cells!({ ...ns, metadata: { ...ns.metadata, creationTimestamp: "2025-01-01T00:00:00Z" } }, Date.parse("2025-01-01T00:00:09Z"))).toEqual(["team-a", "Active", "9s"]);
  });
  test("names are DNS-1123 labels; updates keep spec.finalizers", () => {
    expect(def.nameValidator!("a.b").length).toBeGreaterThan(0);
    const ns: Obj = { metadata: { name: "x" }, spec: { finalizers: [] } };
    def.prepareForUpdate!(ns, { metadata: { name: "x" }, spec: { finalizers: ["kubernetes"] } }, testCtx());
    expect(ns.spec.finalizers).toEqual(["kubernetes"]);
    expect(def.validate!({ metadata: { name: "x" }, spec: { finalizers: ["bogus"] } }, testCtx())).toEqual([
      { reason: "FieldValueInvalid", message: 'Invalid value: "bogus": name is neither a standard finalizer name nor is it fully qualified', field: "spec.finalizers[0]" },
    ]);
  });
});

describe("nodes", () => {
  const def = nodeDef();
  const node = (extra: Obj = {}): Obj => ({
    metadata: { name: "n1", creationTimestamp: "2025-01-01T00:00:00Z", labels: { "node-role.kubernetes.io/control-plane": "true", "node-role.kubernetes.io/master": "true" } },
    spec: {},
    status: {
      conditions: [{ type: "Ready", status: "True" }],
      addresses: [{ type: "InternalIP", address: "192.168.1.10" }, { type: "Hostname", address: "n1" }],
      nodeInfo: { kubeletVersion: "v1.32.0+kite", osImage: "Debian GNU/Linux 12 (bookworm)", kernelVersion: "6.1.0", containerRuntimeVersion: "podman://4.3.1" },
      capacity: { cpu: "2", memory: "4026532Ki", pods: "110" },
    },
    ...extra,
  });
  test("table cells", () => {
    expect(nodeCells(node(), Date.parse("2025-01-02T00:00:00Z"))).toEqual(["n1", "Ready", "control-plane,master", "24h", "v1.32.0+kite", "192.168.1.10", "<none>", "Debian GNU/Linux 12 (bookworm)", "6.1.0", "podman://4.3.1"]);
    const cordoned = node({ spec: { unschedulable: true } });
    cordoned.status.conditions = [{ type: "Ready", status: "Unknown" }];
    expect(nodeCells(cordoned, 0)[1]).toBe("NotReady,SchedulingDisabled");
    const fresh = { metadata: { name: "n2" }, spec: {}, status: {} };
    expect(nodeCells(fresh, 0).slice(1, 3)).toEqual(["Unknown", "<none>"]);
  });
  test("allocatable defaults to capacity; quantities canonical", () => {
    const n = node();
    n.status.capacity.memory = "4096Mi";
    def.defaults!(n);
    expect(n.status.capacity.memory).toBe("4Gi");
    expect(n.status.allocatable).toEqual({ cpu: "2", memory: "4Gi", pods: "110" });
  });
  test("taints and podCIDR rules", () => {
    const n = node({ spec: { taints: [{ key: "k", effect: "Sometimes" }, { key: "a", effect: "NoSchedule" }, { key: "a", effect: "NoSchedule" }] } });
    const c = def.validate!(n, testCtx());
    expect(c).toContainEqual({ reason: "FieldValueNotSupported", message: 'Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"', field: "spec.taints[0].effect" });
    expect(c.some((x) => x.field === "spec.taints[2]" && x.reason === "FieldValueDuplicate")).toBe(true);
    const a = node({ spec: { podCIDRs: ["10.42.0.0/24"] } });
    const b = node({ spec: { podCIDRs: ["10.42.1.0/24"] } });
    expect(def.validateUpdate!(b, a, testCtx())[0]!.message).toBe('Forbidden: node updates may not change podCIDR except from "" to valid');
    expect(def.validateUpdate!(a, node(), testCtx())).toEqual([]);
    expect(def.selectableFields!(node({ spec: { unschedulable: true } }))).toEqual({ "spec.unschedulable": "true" });
  });
});
