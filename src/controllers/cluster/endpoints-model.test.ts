import { describe, expect, test } from "bun:test";
import type { KObj } from "../../client/client.ts";
import { endpointsSubsets, findPort, managesEndpoints, sliceGroups } from "./endpoints-model.ts";
import { MAX_ENDPOINTS_PER_SLICE, planSlices } from "./endpointslice-plan.ts";

const svc = (spec: KObj = {}): KObj => ({ metadata: { name: "s", namespace: "n", uid: "svc-uid", labels: { a: "b" } }, spec: { selector: { app: "x" }, ports: [{ name: "http", port: 80, targetPort: "web" }], ...spec } });
const pod = (name: string, ip: string | null, ready: boolean, extra: KObj = {}): KObj => ({
  metadata: { name, namespace: "n", uid: `uid-${name}`, labels: { app: "x" }, ...(extra.metadata ?? {}) },
  spec: { nodeName: "n1", containers: [{ name: "c", ports: [{ name: "web", containerPort: 8080 }] }], ...(extra.spec ?? {}) },
  status: { phase: extra.phase ?? "Running", ...(ip ? { podIP: ip } : {}), conditions: [{ type: "Ready", status: ready ? "True" : "False" }] },
});

describe("findPort", () => {
  const p = pod("a", "1.1.1.1", true, { spec: { containers: [{ name: "c", ports: [{ name: "web", containerPort: 8080 }, { name: "dns", containerPort: 53, protocol: "UDP" }] }] } });
  test("number, numeric string, named, protocol must match, missing", () => {
    expect(findPort(p, { port: 80, targetPort: 9000 })).toBe(9000);
    expect(findPort(p, { port: 80 })).toBe(80);
    expect(findPort(p, { port: 80, targetPort: "web" })).toBe(8080);
    expect(findPort(p, { port: 53, targetPort: "dns", protocol: "UDP" })).toBe(53);
    expect(findPort(p, { port: 53, targetPort: "dns" })).toBeNull();
    expect(findPort(p, { port: 80, targetPort: "nope" })).toBeNull();
  });
});

describe("endpointsSubsets", () => {
  test("ready and not-ready pods, pods without IP or terminal or deleted are skipped", () => {
    const pods = [
      pod("a", "10.0.0.2", true),
      pod("b", "10.0.0.10", false),
      pod("c", null, true),
      pod("d", "10.0.0.4", true, { phase: "Succeeded" }),
      pod("e", "10.0.0.5", true, { metadata: { deletionTimestamp: "2026-01-01T00:00:00Z" } }),
      pod("f", "10.0.0.1", true),
    ];
    const ss = endpointsSubsets(svc(), pods);
    expect(ss).toHaveLength(1);
    expect(ss[0]!.addresses.map((a: KObj) => a.ip)).toEqual(["10.0.0.1", "10.0.0.2"]); // numeric IP order
    expect(ss[0]!.notReadyAddresses.map((a: KObj) => a.ip)).toEqual(["10.0.0.10"]);
    expect(ss[0]!.ports).toEqual([{ name: "http", port: 8080, protocol: "TCP" }]);
  });
  test("pods that cannot resolve any port are left out; publishNotReadyAddresses makes all ready", () => {
    const noPort = pod("z", "10.0.0.9", true, { spec: { containers: [{ name: "c" }] } });
    expect(endpointsSubsets(svc(), [noPort])).toEqual([]);
    const ss = endpointsSubsets(svc({ publishNotReadyAddresses: true }), [pod("b", "10.0.0.3", false)]);
    expect(ss[0]!.addresses).toHaveLength(1);
    expect(ss[0]!.notReadyAddresses).toBeUndefined();
  });
  test("headless service without ports lists addresses without ports", () => {
    const ss = endpointsSubsets(svc({ clusterIP: "None", ports: [] }), [pod("a", "10.0.0.2", true)]);
    expect(ss).toEqual([{ addresses: [{ ip: "10.0.0.2", nodeName: "n1", targetRef: { kind: "Pod", namespace: "n", name: "a", uid: "uid-a" } }] }]);
  });
});

describe("managesEndpoints", () => {
  test("selector required, ExternalName and default/kubernetes excluded", () => {
    expect(managesEndpoints(svc())).toBe(true);
    expect(managesEndpoints(svc({ selector: {} }))).toBe(false);
    expect(managesEndpoints(svc({ type: "ExternalName" }))).toBe(false);
    expect(managesEndpoints({ metadata: { name: "kubernetes", namespace: "default" }, spec: { selector: { a: "b" } } })).toBe(false);
  });
});

describe("planSlices", () => {
  test("creates a placeholder, then reuses it for endpoints", () => {
    const s = svc();
    const first = planSlices(s, sliceGroups(s, []), []);
    expect(first.create).toHaveLength(1);
    expect(first.create[0]!.endpoints).toEqual([]);
    const existing = [{ ...first.create[0]!, metadata: { ...first.create[0]!.metadata, name: "s-abc" } }];
    const next = planSlices(s, sliceGroups(s, [pod("a", "10.0.0.2", true)]), existing);
    // The placeholder has no ports, the new group has one: a new slice replaces it.
    expect(next.create).toHaveLength(1);
    expect(next.delete.map((x) => x.metadata.name)).toEqual(["s-abc"]);
    const created = { ...next.create[0]!, metadata: { ...next.create[0]!.metadata, name: "s-def" } };
    const again = planSlices(s, sliceGroups(s, [pod("a", "10.0.0.2", true)]), [created]);
    expect(again).toEqual({ create: [], update: [], delete: [] });
    const flip = planSlices(s, sliceGroups(s, [pod("a", "10.0.0.2", false)]), [created]);
    expect(flip.update).toHaveLength(1);
    expect(flip.update[0]!.metadata.name).toBe("s-def");
    expect(flip.update[0]!.endpoints[0].conditions).toEqual({ ready: false, serving: false, terminating: false });
  });
  test("splits above the slice capacity and deletes slices of an older service with that name", () => {
    const s = svc();
    const pods = Array.from({ length: MAX_ENDPOINTS_PER_SLICE + 5 }, (_, i) => pod(`p${i}`, `10.0.${Math.floor(i / 200)}.${(i % 200) + 1}`, true));
    const stale = { metadata: { name: "old", ownerReferences: [{ uid: "older-svc", controller: true }] }, addressType: "IPv4", ports: [] };
    const plan = planSlices(s, sliceGroups(s, pods), [stale]);
    expect(plan.create.map((x) => x.endpoints.length)).toEqual([MAX_ENDPOINTS_PER_SLICE, 5]);
    expect(plan.delete).toEqual([stale]);
    expect(plan.create[0]!.metadata.labels).toEqual({ a: "b", "kubernetes.io/service-name": "s", "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io" });
  });
});

describe("endpointslice mirroring", () => {
  test("which Endpoints are mirrored", async () => {
    const { shouldMirror } = await import("./endpointslice-mirroring.ts");
    const plain = { metadata: { name: "s", namespace: "n" }, spec: { ports: [{ port: 1 }] } };
    const ep = { metadata: { name: "s", namespace: "n" } };
    expect(shouldMirror(plain, ep)).toBe(true);
    expect(shouldMirror(svc(), ep)).toBe(false); // has a selector: the endpointslice controller's
    expect(shouldMirror(plain, { metadata: { ...ep.metadata, labels: { "endpointslice.kubernetes.io/skip-mirror": "true" } } })).toBe(false);
    expect(shouldMirror({ metadata: { name: "kubernetes", namespace: "default" }, spec: {} }, ep)).toBe(false);
    expect(shouldMirror(plain, undefined)).toBe(false);
  });
  test("groups by family and ports, ready from the address list", async () => {
    const { mirrorGroups } = await import("./endpointslice-mirroring.ts");
    const g = mirrorGroups({ subsets: [{ addresses: [{ ip: "10.0.0.2", nodeName: "n1" }, { ip: "fd00::1" }], notReadyAddresses: [{ ip: "10.0.0.1" }], ports: [{ port: 80 }] }] });
    expect(g.map((x) => [x.family, x.endpoints.map((e) => [e.addresses[0], e.conditions.ready])])).toEqual([
      ["IPv4", [["10.0.0.1", false], ["10.0.0.2", true]]],
      ["IPv6", [["fd00::1", true]]],
    ]);
    expect(mirrorGroups({ subsets: [] })).toEqual([]);
  });
});
