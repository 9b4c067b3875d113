import { describe, expect, test } from "bun:test";
import type { Obj } from "../../registry/types.ts";
import { ApiError } from "../../errors.ts";
import { serviceDef, servicePorts, serviceCells } from "./services.ts";
import { memRegistry, testCtx } from "./pods/testing.ts";
import { clone } from "../../registry/objects.ts";

const def = serviceDef();

function svc(spec: Obj, name = "web"): Obj {
  return { metadata: { name, namespace: "default" }, spec: { selector: { app: "web" }, ports: [{ port: 80 }], ...spec } };
}

async function create(s: Obj, reg = memRegistry()): Promise<Obj> {
  def.defaults!(s);
  await def.prepareForCreate!(s, testCtx(), reg);
  const causes = def.validate!(s, testCtx());
  if (causes.length) throw new Error(JSON.stringify(causes));
  reg.add("", "services", s);
  return s;
}

describe("service defaults and allocation", () => {
  test("ClusterIP defaults and an allocated IP in 10.43.0.0/16", async () => {
    const s = await create(svc({}));
    expect(s.spec.type).toBe("ClusterIP");
    expect(s.spec.sessionAffinity).toBe("None");
    expect(s.spec.ports[0]).toEqual({ port: 80, protocol: "TCP", targetPort: 80 });
    expect(s.spec.internalTrafficPolicy).toBe("Cluster");
    expect(s.spec.clusterIP).toMatch(/^10\.43\.\d+\.\d+$/);
    expect(s.spec.clusterIPs).toEqual([s.spec.clusterIP]);
    expect(s.spec.ipFamilies).toEqual(["IPv4"]);
    expect(s.spec.ipFamilyPolicy).toBe("SingleStack");
    expect(s.status).toEqual({ loadBalancer: {} });
    expect(s.spec.externalTrafficPolicy).toBeUndefined();
  });

  test("allocations avoid IPs in use, even with a rigged random source", async () => {
    const d = serviceDef({ serviceCidr: "10.43.0.0/29", random: () => 0 });
    const reg = memRegistry();
    const ips = new Set<string>();
    // /29: 8 addresses, network and broadcast excluded → 6 usable.
    for (let i = 0; i < 6; i++) {
      const s = svc({}, `s${i}`);
      d.defaults!(s);
      await d.prepareForCreate!(s, testCtx(), reg);
      reg.add("", "services", s);
      ips.add(s.spec.clusterIP);
    }
    expect(ips.size).toBe(6);
    for (const ip of ips) expect(ip).not.toMatch(/\.(0|7)$/);
    const full = svc({}, "full");
    d.defaults!(full);
    await expect(d.prepareForCreate!(full, testCtx(), reg)).rejects.toThrow("range is full");
  });

  test("requested clusterIP: taken or out of range is Invalid", async () => {
    const reg = memRegistry();
    await create(svc({ clusterIP: "10.43.0.10" }, "dns"), reg);
    let err: unknown;
    try {
      await create(svc({ clusterIP: "10.43.0.10" }, "dup"), reg);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe(422);
    expect((err as ApiError).message).toBe('Service "dup" is invalid: spec.clusterIPs: Invalid value: ["10.43.0.10"]: failed to allocate IP 10.43.0.10: provided IP is already allocated');
    await expect(create(svc({ clusterIP: "192.168.1.1" }, "out"), reg)).rejects.toThrow("is not in the valid range. The range of valid IPs is 10.43.0.0/16");
  });

  test("headless services", async () => {
    const s = await create(svc({ clusterIP: "None", ports: [] }));
    expect(s.spec.clusterIPs).toEqual(["None"]);
    expect(serviceCells(s, Date.now())[2]).toBe("None");
  });

  test("NodePort allocation in 30000-32767, no reuse, explicit port conflicts", async () => {
    const reg = memRegistry();
    const a = await create(svc({ type: "NodePort", ports: [{ name: "http", port: 80 }, { name: "https", port: 443 }] }, "a"), reg);
    const [p1, p2] = a.spec.ports.map((p: Obj) => p.nodePort);
    expect(p1).toBeGreaterThanOrEqual(30000);
    expect(p1).toBeLessThanOrEqual(32767);
    expect(p2).not.toBe(p1);
    expect(a.spec.externalTrafficPolicy).toBe("Cluster");
    await expect(create(svc({ type: "NodePort", ports: [{ port: 80, nodePort: p1 }] }, "b"), reg)).rejects.toThrow(`spec.ports[0].nodePort: Invalid value: ${p1}: provided port is already allocated`);
    await expect(create(svc({ type: "NodePort", ports: [{ port: 80, nodePort: 8080 }] }, "c"), reg)).rejects.toThrow("provided port is not in the valid range. The range of valid ports is 30000-32767");
    const lb = await create(svc({ type: "LoadBalancer" }, "lb"), reg);
    expect(lb.spec.allocateLoadBalancerNodePorts).toBe(true);
    expect(lb.spec.ports[0].nodePort).toBeGreaterThanOrEqual(30000);
    expect(serviceCells(lb, Date.now())[3]).toBe("<pending>");
  });

  test("ExternalName services get no cluster IP", async () => {
    const s = await create(svc({ type: "ExternalName", externalName: "example.com", ports: [], selector: undefined }));
    expect(s.spec.clusterIP).toBeUndefined();
    expect(s.spec.clusterIPs).toBeUndefined();
    expect(serviceCells(s, Date.now()).slice(1, 5)).toEqual(["ExternalName", "<none>", "example.com", "<none>"]);
  });

  test("updates keep allocated values when omitted, and clusterIP is immutable", async () => {
    const old = await create(svc({ type: "NodePort", ports: [{ name: "http", port: 80 }] }));
    const replaced = svc({ type: "NodePort", ports: [{ name: "http", port: 80 }] });
    def.defaults!(replaced);
    def.prepareForUpdate!(replaced, old, testCtx());
    expect(replaced.spec.clusterIP).toBe(old.spec.clusterIP);
    expect(replaced.spec.ports[0].nodePort).toBe(old.spec.ports[0].nodePort);
    expect(def.validateUpdate!(replaced, old, testCtx())).toEqual([]);
    const changed = clone(old);
    changed.spec.clusterIP = "10.43.9.9";
    changed.spec.clusterIPs = ["10.43.9.9"];
    expect(def.validateUpdate!(changed, old, testCtx())).toEqual([{ reason: "FieldValueInvalid", message: 'Invalid value: ["10.43.9.9"]: may not change once set', field: "spec.clusterIPs[0]" }]);
  });
});

describe("service validation and printing", () => {
  const v = (s: Obj) => {
    def.defaults!(s);
    return def.validate!(s, testCtx());
  };
  test("ports", () => {
    expect(v(svc({ ports: [] }))).toContainEqual({ reason: "FieldValueRequired", message: "Required value", field: "spec.ports" });
    const c = v(svc({ ports: [{ port: 80 }, { port: 0, name: "b" }, { port: 80, name: "c" }] }));
    expect(c).toContainEqual({ reason: "FieldValueRequired", message: "Required value", field: "spec.ports[0].name" });
    expect(c).toContainEqual({ reason: "FieldValueInvalid", message: "Invalid value: 0: must be between 1 and 65535, inclusive", field: "spec.ports[1].port" });
    expect(c).toContainEqual({ reason: "FieldValueDuplicate", message: 'Duplicate value: {"port":80,"protocol":"TCP"}', field: "spec.ports[2]" });
    expect(v(svc({ ports: [{ port: 80, nodePort: 30001 }] }))).toContainEqual({ reason: "FieldValueForbidden", message: "Forbidden: may not be used when `type` is 'ClusterIP'", field: "spec.ports[0].nodePort" });
    expect(v(svc({ type: "Magic" }))).toContainEqual({ reason: "FieldValueNotSupported", message: 'Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"', field: "spec.type" });
  });

  test("selector labels are validated", () => {
    expect(v(svc({ selector: { "bad key!": "x" } })).some((c) => c.field === "spec.selector")).toBe(true);
  });

  test("PORT(S) formatting", () => {
    expect(servicePorts([{ port: 80, protocol: "TCP" }, { port: 443, nodePort: 30443, protocol: "TCP" }])).toBe("80/TCP,443:30443/TCP");
    const s = { metadata: { name: "web", creationTimestamp: "2025-01-01T00:00:00Z" }, spec: { type: "ClusterIP", clusterIPs: ["10.43.0.10"], ports: [{ port: 53, protocol: "UDP" }, { port: 53, protocol: "TCP" }], selector: { k8s: "dns" } } };
    expect(serviceCells(s, Date.parse("2025-01-03T00:00:00Z"))).toEqual(["web", "ClusterIP", "10.43.0.10", "<none>", "53/UDP,53/TCP", "2d", "k8s=dns"]);
  });
});
