import { describe, expect, test } from "bun:test";
import type { Obj } from "../../registry/types.ts";
import { leaseDef } from "./coordination.ts";
import { endpointSliceDef } from "./endpointslices.ts";
import { storageClassDef } from "./storage.ts";
import { pdbDef, priorityClassDef, systemPriorityClasses } from "./policy.ts";
import { ingressDef, networkPolicyDef } from "./networking.ts";
import { bindingDefs, roleDefs } from "./rbac.ts";
import { memRegistry, testCtx } from "../core/pods/testing.ts";

const now = Date.parse("2025-01-01T00:10:00Z");
const meta = (name: string, extra: Obj = {}) => ({ name, creationTimestamp: "2025-01-01T00:00:00Z", ...extra });

test("leases: create on PUT, holder column, duration check", () => {
  const def = leaseDef();
  expect(def.allowCreateOnUpdate).toBe(true);
  expect(def.cells!({ metadata: meta("n1"), spec: { holderIdentity: "n1" } }, now)).toEqual(["n1", "n1", "10m"]);
  expect(def.validate!({ metadata: meta("n1"), spec: { leaseDurationSeconds: 0 } }, testCtx())).toEqual([{ reason: "FieldValueInvalid", message: "Invalid value: 0: must be greater than 0", field: "spec.leaseDurationSeconds" }]);
});

test("endpointslices: addressType required and immutable; table", () => {
  const def = endpointSliceDef();
  expect(def.validate!({ metadata: meta("s") }, testCtx())).toEqual([{ reason: "FieldValueRequired", message: "Required value", field: "addressType" }]);
  const es: Obj = { metadata: meta("web-abc"), addressType: "IPv4", endpoints: [{ addresses: ["10.42.0.5"] }, { addresses: ["10.42.0.6"] }], ports: [{ port: 80 }] };
  def.defaults!(es);
  expect(es.ports[0]).toEqual({ port: 80, protocol: "TCP", name: "" });
  expect(def.validate!(es, testCtx())).toEqual([]);
  expect(def.cells!(es, now)).toEqual(["web-abc", "IPv4", "80", "10.42.0.5,10.42.0.6", "10m"]);
  expect(def.validateUpdate!({ ...es, addressType: "IPv6" }, es, testCtx())[0]!.field).toBe("addressType");
  expect(def.validate!({ ...es, endpoints: [{ addresses: ["nope"] }] }, testCtx())[0]!.message).toBe('Invalid value: "nope": must be a valid IPv4 address');
});

test("storageclasses: defaults, default marker, immutable parameters", () => {
  const def = storageClassDef();
  const sc: Obj = { metadata: meta("local-path", { annotations: { "storageclass.kubernetes.io/is-default-class": "true" } }), provisioner: "rancher.io/local-path", parameters: { a: "b" } };
  def.defaults!(sc);
  expect(def.validate!(sc, testCtx())).toEqual([]);
  expect(def.cells!(sc, now)).toEqual(["local-path (default)", "rancher.io/local-path", "Delete", "Immediate", false, "10m"]);
  expect(def.validateUpdate!({ ...sc, parameters: {} }, sc, testCtx())).toEqual([{ reason: "FieldValueForbidden", message: "Forbidden: updates to parameters are forbidden.", field: "parameters" }]);
  expect(def.validate!({ metadata: meta("x") }, testCtx())).toContainEqual({ reason: "FieldValueRequired", message: "Required value", field: "provisioner" });
});

test("poddisruptionbudgets", () => {
  const def = pdbDef();
  expect(def.validate!({ metadata: meta("p"), spec: { minAvailable: 1, maxUnavailable: "50%" } }, testCtx())).toEqual([{ reason: "FieldValueInvalid", message: "Invalid value: 1: minAvailable and maxUnavailable cannot be both set", field: "spec.minAvailable" }]);
  expect(def.cells!({ metadata: meta("p"), spec: { minAvailable: "50%" }, status: { disruptionsAllowed: 1 } }, now)).toEqual(["p", "50%", "N/A", 1, "10m"]);
});

describe("priorityclasses", () => {
  const def = priorityClassDef();
  test("reserved names, maximum value, immutable value", () => {
    expect(def.validate!({ metadata: meta("system-foo"), value: 5 }, testCtx())[0]!.message).toBe("Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-foo is not a known system priority class");
    expect(def.validate!({ metadata: meta("huge"), value: 2_000_000_000 }, testCtx())).toEqual([{ reason: "FieldValueForbidden", message: "Forbidden: maximum allowed value of a user defined priority is 1000000000", field: "value" }]);
    for (const pc of systemPriorityClasses()) expect(def.validate!(pc, testCtx())).toEqual([]);
    expect(def.validateUpdate!({ metadata: meta("a"), value: 2, preemptionPolicy: "Never" }, { metadata: meta("a"), value: 1, preemptionPolicy: "Never" }, testCtx())).toEqual([{ reason: "FieldValueForbidden", message: "Forbidden: may not be changed in an update.", field: "value" }]);
  });
  test("only one global default", async () => {
    const reg = memRegistry([{ group: "scheduling.k8s.io", plural: "priorityclasses", obj: { metadata: { name: "first" }, value: 1, globalDefault: true } }]);
    await expect(def.prepareForCreate!({ metadata: { name: "second" }, value: 2, globalDefault: true }, testCtx(), reg)).rejects.toThrow("PriorityClass first is already marked as default. Only one default can exist");
  });
});

describe("networking", () => {
  test("ingress validation and table", () => {
    const def = ingressDef();
    const ing: Obj = {
      metadata: meta("web"),
      spec: { ingressClassName: "traefik", tls: [{ hosts: ["a.example.com"] }], rules: [{ host: "a.example.com", http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "web", port: { number: 80 } } } }] } }] },
      status: { loadBalancer: { ingress: [{ ip: "192.168.1.10" }] } },
    };
    expect(def.validate!(ing, testCtx())).toEqual([]);
    expect(def.cells!(ing, now)).toEqual(["web", "traefik", "a.example.com", "192.168.1.10", "80, 443", "10m"]);
    const bad: Obj = { metadata: meta("bad"), spec: { rules: [{ host: "10.0.0.1", http: { paths: [{ path: "api", backend: { service: { name: "web", port: {} } } }] } }] } };
    expect(def.validate!(bad, testCtx())).toEqual([
      { reason: "FieldValueInvalid", message: 'Invalid value: "10.0.0.1": must be a DNS name, not an IP address', field: "spec.rules[0].host" },
      { reason: "FieldValueRequired", message: "Required value: pathType must be specified", field: "spec.rules[0].http.paths[0].pathType" },
      { reason: "FieldValueRequired", message: "Required value: port name or number is required", field: "spec.rules[0].http.paths[0].backend.service.port" },
    ]);
    expect(def.validate!({ metadata: meta("e"), spec: {} }, testCtx())[0]!.message).toBe("Invalid value: null: either `defaultBackend` or `rules` must be specified");
  });
  test("network policy defaults", () => {
    const def = networkPolicyDef();
    const np: Obj = { metadata: meta("deny"), spec: { podSelector: {}, egress: [{ ports: [{ port: 53 }] }] } };
    def.defaults!(np);
    expect(np.spec.policyTypes).toEqual(["Ingress", "Egress"]);
    expect(np.spec.egress[0].ports[0].protocol).toBe("TCP");
    expect(def.validate!(np, testCtx())).toEqual([]);
    expect(def.cells!(np, now)).toEqual(["deny", "<none>", "10m"]);
  });
});

describe("rbac", () => {
  const [role, clusterRole] = roleDefs();
  const [rb, crb] = bindingDefs();
  test("rules need verbs, groups and resources; non-resource URLs only cluster-wide", () => {
    expect(role!.validate!({ metadata: meta("r"), rules: [{ resources: ["pods"] }] }, testCtx())).toEqual([
      { reason: "FieldValueRequired", message: "Required value: verbs must contain at least one value", field: "rules[0].verbs" },
      { reason: "FieldValueRequired", message: "Required value: resource rules must supply at least one api group", field: "rules[0].apiGroups" },
    ]);
    expect(role!.validate!({ metadata: meta("r"), rules: [{ verbs: ["get"], nonResourceURLs: ["/healthz"] }] }, testCtx())[0]!.message).toContain("namespaced rules cannot apply to non-resource URLs");
    expect(clusterRole!.validate!({ metadata: meta("system:controller:x"), rules: [{ verbs: ["get"], nonResourceURLs: ["/healthz"] }] }, testCtx())).toEqual([]);
    expect(clusterRole!.nameValidator!("system:controller:x")).toEqual([]);
    expect(clusterRole!.cells!({ metadata: meta("admin") }, now)).toEqual(["admin", "2025-01-01T00:00:00Z"]);
  });
  test("bindings: defaults, roleRef checks and immutability, table", () => {
    const b: Obj = { metadata: meta("read"), roleRef: { kind: "ClusterRole", name: "view" }, subjects: [{ kind: "User", name: "alice" }, { kind: "ServiceAccount", name: "ci", namespace: "default" }, { kind: "Group", name: "devs" }] };
    rb!.defaults!(b);
    expect(b.roleRef.apiGroup).toBe("rbac.authorization.k8s.io");
    expect(b.subjects[0].apiGroup).toBe("rbac.authorization.k8s.io");
    expect(rb!.validate!(b, testCtx())).toEqual([]);
    expect(rb!.cells!(b, now)).toEqual(["read", "ClusterRole/view", "10m", "alice", "devs", "default/ci"]);
    expect(rb!.validateUpdate!({ ...b, roleRef: { ...b.roleRef, name: "edit" } }, b, testCtx())[0]!.message).toContain("cannot change roleRef");
    const c: Obj = { metadata: meta("x"), roleRef: { kind: "Role", name: "r" }, subjects: [{ kind: "ServiceAccount", name: "ci" }] };
    crb!.defaults!(c);
    expect(crb!.validate!(c, testCtx())).toEqual([
      { reason: "FieldValueNotSupported", message: 'Unsupported value: "Role": supported values: "ClusterRole"', field: "roleRef.kind" },
      { reason: "FieldValueRequired", message: "Required value", field: "subjects[0].namespace" },
    ]);
  });
});
