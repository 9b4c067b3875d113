import { describe, expect, test } from "bun:test";
import type { Obj } from "../../registry/types.ts";
import { endpointsDef, formatEndpoints } from "./endpoints.ts";
import { coreEventDef, coreEventToV1, eventsV1Def, v1EventToCore } from "./events.ts";
import { pvDef, pvcDef } from "./volumes.ts";
import { limitRangeDef, resourceQuotaDef } from "./quotas.ts";
import { testCtx, memRegistry } from "./pods/testing.ts";

const now = Date.parse("2025-01-01T01:00:00Z");

describe("endpoints", () => {
  test("ENDPOINTS column and port defaults", () => {
    const ep: Obj = { metadata: { name: "web" }, subsets: [{ addresses: [{ ip: "10.42.0.5" }, { ip: "10.42.0.6" }], ports: [{ port: 80 }, { name: "b", port: 81 }] }] };
    endpointsDef().defaults!(ep);
    expect(ep.subsets[0].ports[0].protocol).toBe("TCP");
    expect(formatEndpoints(ep)).toBe("10.42.0.5:80,10.42.0.6:80,10.42.0.5:81 + 1 more...");
    expect(formatEndpoints({ subsets: [] })).toBe("<none>");
    expect(endpointsDef().allowCreateOnUpdate).toBe(true);
    const c = endpointsDef().validate!({ metadata: { name: "x" }, subsets: [{ addresses: [{ ip: "nope" }], ports: [{ port: 80, protocol: "TCP" }] }] }, testCtx());
    expect(c[0]!.field).toBe("subsets[0].addresses[0].ip");
  });
});

describe("events", () => {
  const ev: Obj = {
    metadata: { name: "web.17a1", namespace: "default" },
    involvedObject: { kind: "Pod", name: "web", namespace: "default", uid: "u1", apiVersion: "v1", fieldPath: "spec.containers{app}" },
    reason: "Pulled", message: "Successfully pulled image\n", type: "Normal", source: { component: "kubelet", host: "n1" },
    firstTimestamp: "2025-01-01T00:50:00Z", lastTimestamp: "2025-01-01T00:58:00Z", count: 3,
  };
  test("columns and cells", () => {
    const def = coreEventDef();
    expect(def.columns!.map((c) => c.name)).toEqual(["Last Seen", "Type", "Reason", "Object", "Subobject", "Source", "Message", "First Seen", "Count", "Name"]);
    expect(def.cells!(ev, now)).toEqual(["2m", "Normal", "Pulled", "pod/web", "spec.containers{app}", "kubelet, n1", "Successfully pulled image", "10m", 3, "web.17a1"]);
    const series = { ...ev, series: { count: 7, lastObservedTime: "2025-01-01T00:59:00.000000Z" } };
    expect(def.cells!(series, now)[0]).toBe("60s");
    expect(def.cells!(series, now)[8]).toBe(7);
  });
  test("field selectors kubectl describe uses", () => {
    expect(coreEventDef().selectableFields!(ev)).toMatchObject({ "involvedObject.kind": "Pod", "involvedObject.name": "web", "involvedObject.namespace": "default", "involvedObject.uid": "u1", source: "kubelet", type: "Normal", reason: "Pulled" });
  });
  test("legacy validation: namespaces must agree; lenient names", () => {
    const def = coreEventDef();
    expect(def.validate!(ev, testCtx())).toEqual([]);
    expect(def.validate!({ ...ev, metadata: { name: "x", namespace: "other" } }, testCtx())).toEqual([{ reason: "FieldValueInvalid", message: 'Invalid value: "default": does not match event.namespace', field: "involvedObject.namespace" }]);
    expect(def.nameValidator!("web.17a1:abc")).toEqual([]);
    expect(def.nameValidator!("a/b")).toEqual(["may not contain '/'"]);
  });
  test("events.k8s.io conversion round-trips and strict validation", () => {
    const v1 = coreEventToV1(ev);
    expect(v1.regarding).toEqual(ev.involvedObject);
    expect(v1.note).toBe(ev.message);
    expect(v1.deprecatedCount).toBe(3);
    expect(v1EventToCore(v1)).toEqual({ ...ev, apiVersion: "v1", kind: "Event" });
    const def = eventsV1Def();
    const causes = def.validate!({ metadata: { name: "e", namespace: "default" }, regarding: { namespace: "default" }, type: "Odd" }, testCtx());
    expect(causes.map((c) => c.field)).toEqual(["eventTime", "type", "reportingController", "reportingInstance", "action", "reason"]);
    expect(def.selectableFields!(v1)).toMatchObject({ "regarding.kind": "Pod", reportingController: "" });
  });
});

describe("persistent volumes and claims", () => {
  test("PV defaults, phase Pending and table", async () => {
    const def = pvDef();
    const pv: Obj = { metadata: { name: "pv1", creationTimestamp: "2025-01-01T00:00:00Z" }, spec: { capacity: { storage: "10240Mi" }, accessModes: ["ReadWriteOnce", "ReadOnlyMany"], hostPath: { path: "/data" } } };
    def.defaults!(pv);
    await def.prepareForCreate!(pv, testCtx(), memRegistry());
    expect(pv.spec.persistentVolumeReclaimPolicy).toBe("Retain");
    expect(pv.spec.volumeMode).toBe("Filesystem");
    expect(pv.status.phase).toBe("Pending");
    expect(def.validate!(pv, testCtx())).toEqual([]);
    expect(def.cells!(pv, now)).toEqual(["pv1", "10Gi", "RWO,ROX", "Retain", "Pending", "", "", "<unset>", "", "60m", "Filesystem"]);
    expect(def.validate!({ metadata: { name: "x" }, spec: {} }, testCtx()).map((c) => c.field)).toEqual(["spec.accessModes", "spec.capacity", "spec"]);
  });
  test("PVC validation and update rules", async () => {
    const def = pvcDef();
    expect(def.validate!({ metadata: { name: "c" }, spec: {} }, testCtx())).toEqual([
      { reason: "FieldValueRequired", message: "Required value: at least 1 access mode is required", field: "spec.accessModes" },
      { reason: "FieldValueRequired", message: "Required value", field: "spec.resources[storage]" },
    ]);
    const old: Obj = { metadata: { name: "c" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, volumeMode: "Filesystem" } };
    const bind = structuredClone(old);
    bind.spec.volumeName = "pv1";
    expect(def.validateUpdate!(bind, old, testCtx())).toEqual([]);
    const bad = structuredClone(old);
    bad.spec.accessModes = ["ReadWriteMany"];
    expect(def.validateUpdate!(bad, old, testCtx())[0]!.message).toStartWith("Forbidden: spec is immutable after creation except resources.requests");
    const resize = structuredClone(bind);
    resize.spec.resources.requests.storage = "2Gi";
    expect(def.validateUpdate!(resize, bind, testCtx())).toEqual([]);
  });
});

describe("resource quotas and limit ranges", () => {
  test("quota table cells", () => {
    const q = { metadata: { name: "q", creationTimestamp: "2025-01-01T00:00:00Z" }, status: { hard: { pods: "10", "requests.cpu": "2", "limits.memory": "2Gi" }, used: { pods: "1", "requests.cpu": "500m" } } };
    expect(resourceQuotaDef().cells!(q, now)).toEqual(["q", "60m", "pods: 1/10, requests.cpu: 500m/2", "limits.memory: 0/2Gi"]);
    expect(resourceQuotaDef().validate!({ metadata: { name: "q" }, spec: { hard: { pods: "1.5", bogus: "1" } } }, testCtx()).map((c) => c.message)).toEqual([
      'Invalid value: "1500m": must be an integer',
      'Invalid value: "bogus": must be a standard resource type or fully qualified',
    ]);
  });
  test("limit range defaults and ordering checks", () => {
    const def = limitRangeDef();
    const lr: Obj = { metadata: { name: "l" }, spec: { limits: [{ type: "Container", max: { cpu: "2" }, min: { memory: "64Mi" } }] } };
    def.defaults!(lr);
    expect(lr.spec.limits[0].default).toEqual({ cpu: "2" });
    expect(lr.spec.limits[0].defaultRequest).toEqual({ cpu: "2", memory: "64Mi" });
    expect(def.validate!(lr, testCtx())).toEqual([]);
    const bad = { metadata: { name: "l" }, spec: { limits: [{ type: "Container", min: { cpu: "2" }, max: { cpu: "1" } }] } };
    expect(def.validate!(bad, testCtx())[0]).toEqual({ reason: "FieldValueInvalid", message: 'Invalid value: "2": min value 2 is greater than max value 1', field: "spec.limits[0].min[cpu]" });
    expect(def.columns!.map((c) => c.name)).toEqual(["Name", "Created At"]);
  });
});
