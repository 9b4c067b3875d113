import { describe, expect, test } from "bun:test";
import { ApplyConflictError, conflictMessage, managerFromUserAgent, serverSideApply, updateManagedFields, type ApplyOptions, type ManagedFieldsEntry } from "./apply.ts";
import { BadPatchError, PatchApplyError } from "./errors.ts";
import { FieldSet, keyElement, pathString } from "./fieldset.ts";
import type { JsonObject } from "./json.ts";
import { patchMetaFor } from "./strategy.ts";

const T1 = "2026-01-01T00:00:00Z";
const T2 = "2026-01-02T00:00:00Z";
const T3 = "2026-01-03T00:00:00Z";
const cmSchema = patchMetaFor("", "v1", "ConfigMap");
const deploySchema = patchMetaFor("apps", "v1", "Deployment");

function opts(manager: string, time: string, extra: Partial<ApplyOptions> = {}): ApplyOptions {
  return { manager, force: false, apiVersion: "v1", time, schema: cmSchema, ...extra };
}

/** A ConfigMap; `data` undefined leaves the field out. */
function cm(data: Record<string, string> | undefined, extraMeta: JsonObject = {}): JsonObject {
  const out: JsonObject = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cfg3", namespace: "default", ...extraMeta } };
  if (data) out.data = data;
  return out;
}

function entries(obj: JsonObject): ManagedFieldsEntry[] {
  return ((obj.metadata as JsonObject).managedFields ?? []) as unknown as ManagedFieldsEntry[];
}

/** What the API server adds on create. */
function stored(obj: JsonObject): JsonObject {
  const out = structuredClone(obj);
  Object.assign(out.metadata as JsonObject, { uid: "u1", resourceVersion: "7", creationTimestamp: T1 });
  return out;
}

function conflictOf(fn: () => unknown): ApplyConflictError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ApplyConflictError) return e;
    throw e;
  }
  throw new Error("expected a conflict");
}

describe("server-side apply of a ConfigMap (kubectl-wire §3.4)", () => {
  test("create: the object is the configuration, the manager owns its fields", () => {
    const r = serverSideApply(undefined, cm({ a: "1" }), opts("kubectl", T1));
    expect(r.created).toBe(true);
    expect(r.changed).toBe(true);
    expect(r.object.data).toEqual({ a: "1" });
    expect(entries(r.object)).toEqual([
      { manager: "kubectl", operation: "Apply", apiVersion: "v1", time: T1, fieldsType: "FieldsV1", fieldsV1: { "f:data": { "f:a": {} } } },
    ]);
  });

  test("re-applying the same configuration changes nothing, not even the entry time", () => {
    const live = stored(serverSideApply(undefined, cm({ a: "1" }), opts("kubectl", T1)).object);
    const r = serverSideApply(live, cm({ a: "1" }), opts("kubectl", T2));
    expect(r.changed).toBe(false);
    expect(r.created).toBe(false);
    expect(r.object).toEqual(live);
  });

  test("fields no longer applied are removed; an emptied map goes too", () => {
    const live = stored(serverSideApply(undefined, cm({ a: "1", b: "2" }, { labels: { app: "x" } }), opts("kubectl", T1)).object);
    const r1 = serverSideApply(live, cm({ b: "2" }, { labels: { app: "x" } }), opts("kubectl", T2));
    expect(r1.object.data).toEqual({ b: "2" });
    expect(entries(r1.object)[0]?.fieldsV1).toEqual({ "f:data": { "f:b": {} }, "f:metadata": { "f:labels": { "f:app": {} } } });
    expect(entries(r1.object)[0]?.time).toBe(T2);
    const r2 = serverSideApply(stored(r1.object), cm(undefined, { labels: { app: "x" } }), opts("kubectl", T3));
    expect(r2.object.data).toBeUndefined();
    expect((r2.object.metadata as JsonObject).labels).toEqual({ app: "x" });
    // system metadata survives
    expect((r2.object.metadata as JsonObject).uid).toBe("u1");
  });

  test("a field another manager set by client-side apply conflicts (409 with FieldManagerConflict)", () => {
    const created = updateManagedFields(undefined, cm({ a: "1" }), { manager: "kubectl-client-side-apply", apiVersion: "v1", time: T1, schema: cmSchema });
    expect(entries(created)).toEqual([
      { manager: "kubectl-client-side-apply", operation: "Update", apiVersion: "v1", time: T1, fieldsType: "FieldsV1", fieldsV1: { "f:data": { ".": {}, "f:a": {} } } },
    ]);
    const live = stored(created);
    const e = conflictOf(() => serverSideApply(live, cm({ a: "2" }), opts("kubectl", T2)));
    expect(e.status).toBe(409);
    expect(e.reason).toBe("Conflict");
    expect(e.conflicts).toEqual([
      { manager: "kubectl-client-side-apply", operation: "Update", apiVersion: "v1", field: ".data.a", message: 'conflict with "kubectl-client-side-apply" using v1' },
    ]);
    expect(e.causes()).toEqual([{ reason: "FieldManagerConflict", message: 'conflict with "kubectl-client-side-apply" using v1', field: ".data.a" }]);
    expect(e.message).toBe('Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: .data.a');
  });

  test("the same value is not a conflict: ownership is shared", () => {
    const live = stored(updateManagedFields(undefined, cm({ a: "1" }), { manager: "kubectl-client-side-apply", apiVersion: "v1", time: T1, schema: cmSchema }));
    const r = serverSideApply(live, cm({ a: "1", b: "2" }), opts("kubectl", T2));
    expect(r.object.data).toEqual({ a: "1", b: "2" });
    const byManager = Object.fromEntries(entries(r.object).map((e) => [e.manager, e.fieldsV1]));
    expect(byManager).toEqual({
      kubectl: { "f:data": { "f:a": {}, "f:b": {} } },
      "kubectl-client-side-apply": { "f:data": { ".": {}, "f:a": {} } },
    });
  });

  test("force takes the field over", () => {
    const live = stored(updateManagedFields(undefined, cm({ a: "1", c: "3" }), { manager: "kubectl-client-side-apply", apiVersion: "v1", time: T1, schema: cmSchema }));
    const r = serverSideApply(live, cm({ a: "2" }), opts("kubectl", T2, { force: true }));
    expect(r.object.data).toEqual({ a: "2", c: "3" });
    const byManager = Object.fromEntries(entries(r.object).map((e) => [e.manager, e.fieldsV1]));
    expect(byManager).toEqual({ kubectl: { "f:data": { "f:a": {} } }, "kubectl-client-side-apply": { "f:data": { ".": {}, "f:c": {} } } });
  });

  test("an applier's fields conflict without 'using'", () => {
    const live = stored(serverSideApply(undefined, cm({ a: "1" }), opts("alice", T1)).object);
    const e = conflictOf(() => serverSideApply(live, cm({ a: "2" }), opts("bob", T2)));
    expect(e.conflicts[0]?.message).toBe('conflict with "alice"');
  });

  test("objects without managedFields belong to before-first-apply", () => {
    const e = conflictOf(() => serverSideApply(stored(cm({ a: "1" })), cm({ a: "2" }), opts("kubectl", T2)));
    expect(e.conflicts[0]?.message).toBe('conflict with "before-first-apply" using v1');
  });

  test("removing an applied field keeps fields other managers own", () => {
    let live = stored(serverSideApply(undefined, cm(undefined, { labels: { a: "1" } }), opts("alice", T1)).object);
    const withB = structuredClone(live);
    ((withB.metadata as JsonObject).labels as JsonObject).b = "2";
    live = updateManagedFields(live, withB, { manager: "kubectl-label", apiVersion: "v1", time: T2, schema: cmSchema });
    const r = serverSideApply(live, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cfg3" } }, opts("alice", T3));
    expect((r.object.metadata as JsonObject).labels).toEqual({ b: "2" });
    expect(entries(r.object).map((e) => e.manager)).toEqual(["kubectl-label"]);
  });

  test("bad requests", () => {
    expect(() => serverSideApply(undefined, cm({}, { managedFields: [{ manager: "x" }] }), opts("kubectl", T1))).toThrow(BadPatchError);
    expect(() => serverSideApply(undefined, cm({}), opts("", T1))).toThrow("require a fieldManager");
    expect(() => serverSideApply(undefined, [1], opts("kubectl", T1))).toThrow(BadPatchError);
  });

  test("null in a configuration means unspecified", () => {
    const live = stored(serverSideApply(undefined, cm({ a: "1" }), opts("kubectl", T1)).object);
    const r = serverSideApply(live, { ...cm({ a: "1" }), metadata: { name: "cfg3", creationTimestamp: null } }, opts("kubectl", T2));
    expect(r.changed).toBe(false);
    expect((r.object.metadata as JsonObject).creationTimestamp).toBe(T1);
  });
});

describe("server-side apply of a Deployment (associative lists)", () => {
  const base = (containers: JsonObject[], replicas?: number): JsonObject => ({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web" },
    spec: { ...(replicas === undefined ? {} : { replicas }), selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: { containers } } },
  });
  const o = (manager: string, time: string, extra: Partial<ApplyOptions> = {}) => opts(manager, time, { apiVersion: "apps/v1", schema: deploySchema, ...extra });
  const containersOf = (d: JsonObject) => ((((d.spec as JsonObject).template as JsonObject).spec as JsonObject).containers as JsonObject[]);

  test("items are owned by key; two appliers share a list; dropping an item removes only it", () => {
    let live = stored(serverSideApply(undefined, base([{ name: "nginx", image: "nginx:1" }]), o("alice", T1)).object);
    live = stored(serverSideApply(live, base([{ name: "sidecar", image: "busybox" }]), o("bob", T2)).object);
    expect(containersOf(live).map((c) => c.name)).toEqual(["nginx", "sidecar"]);
    const alice = entries(live).find((e) => e.manager === "alice") as ManagedFieldsEntry;
    const spec = (alice.fieldsV1["f:spec"] as JsonObject)["f:template"] as JsonObject;
    expect(((spec["f:spec"] as JsonObject)["f:containers"] as JsonObject)[keyElement({ name: "nginx" })]).toEqual({ ".": {}, "f:image": {}, "f:name": {} });

    // bob stops applying his sidecar: it goes, alice's container stays
    const r = serverSideApply(live, base([]), o("bob", T3));
    expect(containersOf(r.object)).toEqual([{ name: "nginx", image: "nginx:1" }]);
    expect(entries(r.object).find((e) => e.manager === "alice")?.fieldsV1).toEqual(alice.fieldsV1);
  });

  test("conflict path of a list item field", () => {
    const live = stored(serverSideApply(undefined, base([{ name: "nginx", image: "nginx:1" }]), o("alice", T1)).object);
    const e = conflictOf(() => serverSideApply(live, base([{ name: "nginx", image: "nginx:2" }]), o("bob", T2)));
    expect(e.conflicts.map((c) => c.field)).toEqual(['.spec.template.spec.containers[name="nginx"].image']);
  });

  test("a controller's Update of replicas is not touched by an apply that does not set it", () => {
    let live = stored(serverSideApply(undefined, base([{ name: "nginx", image: "nginx:1" }], 1), o("alice", T1)).object);
    const scaled = structuredClone(live);
    (scaled.spec as JsonObject).replicas = 5;
    live = updateManagedFields(live, scaled, { manager: "kube-controller-manager", apiVersion: "apps/v1", time: T2, schema: deploySchema });
    // alice owned replicas; the update took it
    expect(entries(live).find((e) => e.manager === "alice")?.fieldsV1["f:spec"]).not.toHaveProperty("f:replicas");
    const r = serverSideApply(live, base([{ name: "nginx", image: "nginx:2" }]), o("alice", T3));
    expect((r.object.spec as JsonObject).replicas).toBe(5);
    expect(containersOf(r.object)).toEqual([{ name: "nginx", image: "nginx:2" }]);
    // and applying replicas again with another value conflicts with the controller
    const e = conflictOf(() => serverSideApply(stored(r.object), base([{ name: "nginx", image: "nginx:2" }], 3), o("alice", T3)));
    expect(e.conflicts[0]).toMatchObject({ manager: "kube-controller-manager", field: ".spec.replicas", message: 'conflict with "kube-controller-manager" using apps/v1' });
  });

  test("removing a previously applied container removes the item", () => {
    const live = stored(serverSideApply(undefined, base([{ name: "a", image: "x" }, { name: "b", image: "y" }]), o("alice", T1)).object);
    const r = serverSideApply(live, base([{ name: "b", image: "y" }]), o("alice", T2));
    expect(containersOf(r.object)).toEqual([{ name: "b", image: "y" }]);
  });

  test("items without their key, or duplicated, are a 422", () => {
    expect(() => serverSideApply(undefined, base([{ image: "x" }]), o("alice", T1))).toThrow(PatchApplyError);
    expect(() => serverSideApply(undefined, base([{ name: "a" }, { name: "a" }]), o("alice", T1))).toThrow(".spec.template.spec.containers");
  });

  test("status is ignored on the main resource when asked", () => {
    const live = stored(serverSideApply(undefined, base([{ name: "a", image: "x" }]), o("alice", T1)).object);
    (live as JsonObject).status = { replicas: 1 };
    const r = serverSideApply(live, { ...base([{ name: "a", image: "x" }]), status: { replicas: 9 } }, o("alice", T2, { ignoredFields: ["status"] }));
    expect(r.object.status).toEqual({ replicas: 1 });
    expect(r.changed).toBe(false);
  });

  test("finalizers are a set: each value owned separately", () => {
    const o2 = (m: string, t: string) => opts(m, t);
    let live = stored(serverSideApply(undefined, cm(undefined, { finalizers: ["a/x"] }), o2("alice", T1)).object);
    live = stored(serverSideApply(live, cm(undefined, { finalizers: ["b/y"] }), o2("bob", T2)).object);
    expect((live.metadata as JsonObject).finalizers).toEqual(["a/x", "b/y"]);
    const r = serverSideApply(live, cm(undefined), o2("alice", T3));
    expect((r.object.metadata as JsonObject).finalizers).toEqual(["b/y"]);
  });
});

describe("updateManagedFields", () => {
  const o = (manager: string, time: string) => ({ manager, apiVersion: "v1", time, schema: cmSchema });
  test("the writer owns what it added or changed, others lose it", () => {
    const a = updateManagedFields(undefined, cm({ a: "1", b: "1" }), o("creator", T1));
    const b = updateManagedFields(a, { ...a, data: { a: "1", b: "2" } }, o("editor", T2));
    const byManager = Object.fromEntries(entries(b).map((e) => [e.manager, e.fieldsV1]));
    expect(byManager).toEqual({ creator: { "f:data": { ".": {}, "f:a": {} } }, editor: { "f:data": { "f:b": {} } } });
    // a write that changes nothing keeps everything, including times
    const c = updateManagedFields(b, b, o("editor", T3));
    expect(entries(c)).toEqual(entries(b));
  });
  test("removed fields leave every set; an emptied entry disappears", () => {
    const a = updateManagedFields(undefined, cm({ a: "1" }), o("creator", T1));
    const b = updateManagedFields(a, { ...a, data: { z: "1" } }, o("editor", T2));
    expect(entries(b).map((e) => e.manager)).toEqual(["creator", "editor"]);
    // creator still owns the map itself (a leaf now: `{}`, not `{".": {}}`)
    expect(entries(b)[0]?.fieldsV1).toEqual({ "f:data": {} });
  });
  test("managedFields: [] in the request clears them", () => {
    const a = updateManagedFields(undefined, cm({ a: "1" }), o("creator", T1));
    const b = updateManagedFields(a, { ...a, metadata: { ...(a.metadata as JsonObject), managedFields: [] } }, o("editor", T2));
    expect(entries(b)).toEqual([]);
  });
  test("entries are sorted: Apply before Update, then by time", () => {
    let live = stored(updateManagedFields(undefined, cm({ a: "1" }), o("zed", T1)));
    live = stored(serverSideApply(live, cm({ a: "1", b: "2" }), opts("kubectl", T2)).object);
    expect(entries(live).map((e) => `${e.operation}/${e.manager}`)).toEqual(["Apply/kubectl", "Update/zed"]);
  });
});

describe("helpers", () => {
  test("managerFromUserAgent", () => {
    expect(managerFromUserAgent("kubectl/v1.32.5 (linux/amd64) kubernetes/9894294")).toBe("kubectl");
    expect(managerFromUserAgent("kubectl.1.32/v1.32.5")).toBe("kubectl.1.32");
    expect(managerFromUserAgent(undefined)).toBe("unknown");
  });
  test("conflictMessage with several conflicts", () => {
    const msg = conflictMessage([
      { manager: "b", operation: "Apply", apiVersion: "v1", field: ".data.x", message: 'conflict with "b"' },
      { manager: "a", operation: "Update", apiVersion: "v1", field: ".data.y", message: 'conflict with "a" using v1' },
      { manager: "a", operation: "Update", apiVersion: "v1", field: ".data.z", message: 'conflict with "a" using v1' },
    ]);
    expect(msg).toBe('Apply failed with 3 conflicts: conflicts with "a" using v1:\n- .data.y\n- .data.z\nconflicts with "b":\n- .data.x');
  });
  test("fieldsV1 round trip and path strings", () => {
    const v1 = { "f:data": { ".": {}, "f:a": {} }, "f:spec": { "f:ports": { 'k:{"port":80}': { ".": {}, "f:name": {} } }, "f:list": { 'v:"x"': {} } } };
    const set = FieldSet.fromFieldsV1(v1);
    expect(set.toFieldsV1()).toEqual(v1);
    expect(set.members().map(pathString)).toEqual([".data", ".data.a", ".spec.ports[port=80]", ".spec.ports[port=80].name", '.spec.list[="x"]']);
    expect(keyElement({ protocol: "TCP", containerPort: 80 })).toBe('k:{"containerPort":80,"protocol":"TCP"}');
  });
});
