import { describe, expect, test } from "bun:test";
import { BadPatchError, PatchApplyError, PatchError } from "./errors.ts";
import type { JsonObject, JsonValue } from "./json.ts";
import { strategicMergePatch } from "./strategic.ts";
import { patchMetaFor, type PatchType } from "./strategy.ts";

const deploySchema = patchMetaFor("apps", "v1", "Deployment");
const cmSchema = patchMetaFor("", "v1", "ConfigMap");

/** A test type shaped like upstream's MergeItem: every strategy on one struct. */
const item: PatchType = { name: "Item", fields: {} };
Object.assign(item.fields, {
  mergingList: { strategy: "merge", mergeKey: "name", type: item },
  mergingIntList: { strategy: "merge" },
  nonMergingList: { type: item },
  retainKeysMap: { strategy: "retainKeys", type: item },
  retainKeysMergingList: { strategy: "merge,retainKeys", mergeKey: "name", type: item },
  replacingItem: { strategy: "replace" },
});

function smp(original: JsonObject, patch: JsonValue, schema: PatchType | undefined = item): JsonObject {
  return strategicMergePatch(original, patch, schema);
}

function fails(fn: () => unknown): PatchError {
  try {
    fn();
  } catch (e) {
    if (e instanceof PatchError) return e;
    throw e;
  }
  throw new Error("expected a PatchError");
}

describe("kubectl-wire §3.2 bodies", () => {
  const deploy1: JsonObject = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: "nginx",
      namespace: "default",
      uid: "u1",
      resourceVersion: "5",
      generation: 1,
      labels: { app: "nginx" },
      annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{\"old\":true}\n" },
    },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: "nginx" } },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } },
      template: {
        metadata: { labels: { app: "nginx" } },
        spec: {
          containers: [
            {
              name: "nginx",
              image: "nginx:1.25",
              imagePullPolicy: "IfNotPresent",
              env: [
                { name: "A", value: "1" },
                { name: "B", value: "2" },
              ],
              ports: [
                { containerPort: 80, protocol: "TCP" },
                { containerPort: 443, protocol: "TCP" },
              ],
              volumeMounts: [{ name: "data", mountPath: "/data" }],
            },
            { name: "sidecar", image: "busybox", command: ["sleep", "3600"] },
          ],
          volumes: [
            { name: "data", emptyDir: {} },
            { name: "cfg", configMap: { name: "cfg", defaultMode: 420 } },
          ],
          restartPolicy: "Always",
        },
      },
    },
    status: { replicas: 2, conditions: [{ type: "Available", status: "True" }] },
  };

  const applyPatch: JsonObject = {
    metadata: { annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{\"new\":true}\n" }, labels: { tier: "web" } },
    spec: {
      replicas: 3,
      strategy: { type: "Recreate" },
      template: {
        spec: {
          "$setElementOrder/containers": [{ name: "nginx" }],
          "$setElementOrder/volumes": [{ name: "data" }],
          containers: [
            {
              "$setElementOrder/env": [{ name: "B" }, { name: "C" }, { name: "A" }],
              "$setElementOrder/ports": [{ containerPort: 80 }],
              env: [
                { name: "B", value: "22" },
                { name: "C", value: "3" },
              ],
              image: "nginx:1.27",
              name: "nginx",
              ports: [{ $patch: "delete", containerPort: 443 }],
              volumeMounts: null,
            },
            { $patch: "delete", name: "sidecar" },
          ],
          volumes: [
            { $retainKeys: ["hostPath", "name"], emptyDir: null, hostPath: { path: "/tmp" }, name: "data" },
            { $patch: "delete", name: "cfg" },
          ],
        },
      },
    },
  };

  test("deploy1 -> deploy2 apply patch", () => {
    const out = smp(deploy1, applyPatch, deploySchema);
    expect(out.metadata).toEqual({
      ...(deploy1.metadata as JsonObject),
      labels: { app: "nginx", tier: "web" },
      annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{\"new\":true}\n" },
    });
    const spec = out.spec as JsonObject;
    expect(spec.replicas).toBe(3);
    // No $retainKeys sent for strategy: the live rollingUpdate stays (upstream does the same).
    expect(spec.strategy).toEqual({ type: "Recreate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } });
    expect((spec.template as JsonObject).spec).toEqual({
      containers: [
        {
          name: "nginx",
          image: "nginx:1.27",
          imagePullPolicy: "IfNotPresent",
          env: [
            { name: "B", value: "22" },
            { name: "C", value: "3" },
            { name: "A", value: "1" },
          ],
          ports: [{ containerPort: 80, protocol: "TCP" }],
        },
      ],
      volumes: [{ name: "data", hostPath: { path: "/tmp" } }],
      restartPolicy: "Always",
    });
    expect(out.status).toEqual(deploy1.status as JsonObject);
    // Key order inside the stored JSON does not matter, directive keys must be gone.
    expect(JSON.stringify(out)).not.toContain("$");
  });

  test("the input objects are not modified", () => {
    const before = JSON.stringify([deploy1, applyPatch]);
    smp(deploy1, applyPatch, deploySchema);
    expect(JSON.stringify([deploy1, applyPatch])).toBe(before);
  });

  test("ConfigMap finalizers [a,b] -> [a,c] and data/annotation removal", () => {
    const cm: JsonObject = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: "cfg",
        finalizers: ["example.com/a", "example.com/b"],
        annotations: { drop: "x", keep: "y", "kubectl.kubernetes.io/last-applied-configuration": "old" },
      },
      data: { k1: "v1", k2: "v2", k3: "v3" },
    };
    const out = smp(
      cm,
      {
        data: { k1: "v1new", k2: null },
        metadata: {
          "$deleteFromPrimitiveList/finalizers": ["example.com/b"],
          "$setElementOrder/finalizers": ["example.com/a", "example.com/c"],
          annotations: { drop: null, "kubectl.kubernetes.io/last-applied-configuration": "new" },
          finalizers: ["example.com/c"],
        },
      },
      cmSchema,
    );
    expect(out).toEqual({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: "cfg",
        finalizers: ["example.com/a", "example.com/c"],
        annotations: { keep: "y", "kubectl.kubernetes.io/last-applied-configuration": "new" },
      },
      data: { k1: "v1new", k3: "v3" },
    });
  });

  test("kubectl set image keeps the other containers in place", () => {
    const live: JsonObject = {
      spec: {
        template: {
          spec: {
            containers: [
              { name: "nginx", image: "nginx:1" },
              { name: "sidecar", image: "busybox" },
            ],
          },
        },
      },
    };
    const out = smp(
      live,
      { spec: { template: { spec: { "$setElementOrder/containers": [{ name: "nginx" }, { name: "sidecar" }], containers: [{ image: "nginx:2", name: "nginx" }] } } } },
      deploySchema,
    );
    expect(out).toEqual({
      spec: {
        template: {
          spec: {
            containers: [
              { name: "nginx", image: "nginx:2" },
              { name: "sidecar", image: "busybox" },
            ],
          },
        },
      },
    });
  });

  test("cordon, rollout pause/resume, rollout restart", () => {
    const node = smp({ spec: { podCIDR: "10.0.0.0/24" } }, { spec: { unschedulable: true } }, patchMetaFor("", "v1", "Node"));
    expect(node).toEqual({ spec: { podCIDR: "10.0.0.0/24", unschedulable: true } });
    const paused = smp({ spec: { replicas: 1 } }, { spec: { paused: true } }, deploySchema);
    expect(smp(paused, { spec: { paused: null } }, deploySchema)).toEqual({ spec: { replicas: 1 } });
    const restarted = smp(
      { spec: { template: { metadata: { labels: { app: "x" } } } } },
      { spec: { template: { metadata: { annotations: { "kubectl.kubernetes.io/restartedAt": "2026-11-26T23:40:33Z" } } } } },
      deploySchema,
    );
    expect(restarted).toEqual({
      spec: { template: { metadata: { labels: { app: "x" }, annotations: { "kubectl.kubernetes.io/restartedAt": "2026-11-26T23:40:33Z" } } } },
    });
  });

  test("adding annotations when the live object has none", () => {
    const out = smp({ metadata: { name: "x" } }, { metadata: { annotations: { a: "1", gone: null } } }, cmSchema);
    expect(out).toEqual({ metadata: { name: "x", annotations: { a: "1" } } });
  });
});

describe("maps", () => {
  test("merge, null deletes, null for a missing key is ignored", () => {
    expect(smp({ name: 1, value: 1 }, { value: null, other: "a", missing: null })).toEqual({ name: 1, other: "a" });
  });
  test("$patch: replace on a map", () => {
    expect(smp({ name: 1, value: 1 }, { other: "a", $patch: "replace" })).toEqual({ other: "a" });
    expect(smp({ retainKeysMap: { name: "a", value: "b" }, name: "x" }, { retainKeysMap: { $patch: "replace", other: "c" } })).toEqual({
      retainKeysMap: { other: "c" },
      name: "x",
    });
  });
  test("$patch: delete on a nested map empties it (upstream), and on a new key adds nothing", () => {
    expect(smp({ simpleMap: { key1: 1, key2: 1 } }, { simpleMap: { $patch: "delete" } })).toEqual({ simpleMap: {} });
    expect(smp({ name: "x" }, { simpleMap: { $patch: "delete" } })).toEqual({ name: "x" });
  });
  test("$patch: merge is the default merge", () => {
    expect(smp({ m: { a: 1 } }, { m: { $patch: "merge", b: 2 } })).toEqual({ m: { a: 1, b: 2 } });
  });
  test("unknown $patch value is a 400", () => {
    const e = fails(() => smp({ m: { a: 1 } }, { m: { $patch: "frobnicate" } }));
    expect(e).toBeInstanceOf(BadPatchError);
    expect(e.message).toContain("unknown patch type: frobnicate");
  });
  test("replace strategy on a field replaces the map", () => {
    expect(smp({ replacingItem: { a: 1, b: 2 } }, { replacingItem: { c: 3 } })).toEqual({ replacingItem: { c: 3 } });
  });
  test("type change replaces", () => {
    expect(smp({ a: { b: 1 } }, { a: [1] })).toEqual({ a: [1] });
    expect(smp({ a: [1] }, { a: "s" })).toEqual({ a: "s" });
  });
  test("new nested values drop their nulls and apply their directives", () => {
    expect(smp({}, { a: { b: null, c: { d: null, e: 1 } } })).toEqual({ a: { c: { e: 1 } } });
    expect(smp({}, { mergingList: [{ name: "1", $patch: "delete" }, { name: "2", mergingList: [{ name: "x" }] }] })).toEqual({
      mergingList: [{ name: "2", mergingList: [{ name: "x" }] }],
    });
  });
});

describe("$retainKeys", () => {
  test("drops unlisted keys, then merges", () => {
    expect(smp({ retainKeysMap: { name: "foo", value: "a", other: "b" } }, { retainKeysMap: { $retainKeys: ["name", "value"], value: "c" } })).toEqual({
      retainKeysMap: { name: "foo", value: "c" },
    });
  });
  test("Deployment strategy Recreate with retainKeys drops rollingUpdate", () => {
    const live: JsonObject = { spec: { strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1 } } } };
    expect(smp(live, { spec: { strategy: { $retainKeys: ["type"], type: "Recreate" } } }, deploySchema)).toEqual({
      spec: { strategy: { type: "Recreate" } },
    });
  });
  test("without the directive the map merges normally", () => {
    expect(smp({ retainKeysMap: { name: "foo" } }, { retainKeysMap: { value: "bar" } })).toEqual({ retainKeysMap: { name: "foo", value: "bar" } });
  });
  test("a patch key missing from the list is a 400", () => {
    expect(fails(() => smp({ retainKeysMap: {} }, { retainKeysMap: { $retainKeys: ["name"], value: "x" } })).message).toBe(
      "invalid patch format of retainKeys",
    );
    expect(fails(() => smp({ m: {} }, { m: { $retainKeys: "name" } })).status).toBe(400);
  });
  test("retainKeys items of a merge,retainKeys list", () => {
    const out = smp(
      { retainKeysMergingList: [{ name: "a", emptyDir: {} }, { name: "b", other: "x" }] },
      { retainKeysMergingList: [{ name: "a", $retainKeys: ["name", "hostPath"], hostPath: { path: "/" }, emptyDir: null }] },
    );
    expect(out).toEqual({ retainKeysMergingList: [{ name: "a", hostPath: { path: "/" } }, { name: "b", other: "x" }] });
  });
});

describe("lists of maps with a merge key", () => {
  test("update in place and add; a new item goes before the server-only items that follow patched ones (upstream)", () => {
    expect(smp({ mergingList: [{ name: "1", value: "a" }, { name: "2" }] }, { mergingList: [{ name: "1", other: "x" }, { name: "3" }] })).toEqual({
      mergingList: [{ name: "1", value: "a", other: "x" }, { name: "3" }, { name: "2" }],
    });
    expect(smp({ mergingList: [{ name: "1" }, { name: "2" }] }, { mergingList: [{ name: "2", value: "b" }, { name: "3" }] })).toEqual({
      mergingList: [{ name: "1" }, { name: "2", value: "b" }, { name: "3" }],
    });
  });
  test("patch order wins over the live order for patched items", () => {
    const original: JsonObject = { mergingList: [{ name: "1" }, { name: "2", value: "b" }, { name: "3" }] };
    expect(smp(original, { mergingList: [{ name: "3", value: "c" }, { name: "1", value: "a" }, { name: "2", other: "x" }] })).toEqual({
      mergingList: [{ name: "3", value: "c" }, { name: "1", value: "a" }, { name: "2", value: "b", other: "x" }],
    });
    expect(smp(original, { mergingList: [{ name: "3", value: "c" }, { name: "1", value: "a" }] })).toEqual({
      mergingList: [{ name: "2", value: "b" }, { name: "3", value: "c" }, { name: "1", value: "a" }],
    });
  });
  test("$patch: delete removes every item with that key, missing ones are ignored", () => {
    const original: JsonObject = { mergingList: [{ name: "1" }, { name: "1" }, { name: "2", value: "a" }, { name: "3" }, { name: "3" }] };
    expect(smp(original, { mergingList: [{ name: "1", $patch: "delete" }, { name: "3", $patch: "delete" }, { name: "9", $patch: "delete" }] })).toEqual({
      mergingList: [{ name: "2", value: "a" }],
    });
  });
  test("$patch: replace replaces the whole list", () => {
    expect(smp({ mergingList: [{ name: "1" }, { name: "2" }] }, { mergingList: [{ $patch: "replace" }] })).toEqual({ mergingList: [] });
    expect(smp({ mergingList: [{ name: "1", value: "a" }] }, { mergingList: [{ name: "2" }, { $patch: "replace" }] })).toEqual({
      mergingList: [{ name: "2" }],
    });
  });
  test("nested merge lists merge, nested non-merge lists are replaced", () => {
    const original: JsonObject = { mergingList: [{ name: "1", mergingList: [{ name: "a" }, { name: "b", value: "2" }], nonMergingList: [{ name: "x" }, { name: "y" }] }] };
    const out = smp(original, { mergingList: [{ name: "1", mergingList: [{ name: "a", value: "1" }], nonMergingList: [{ name: "z" }] }] });
    expect(out).toEqual({
      mergingList: [{ name: "1", mergingList: [{ name: "a", value: "1" }, { name: "b", value: "2" }], nonMergingList: [{ name: "z" }] }],
    });
  });
  test("missing merge key is a 400", () => {
    const e = fails(() => smp({ mergingList: [{ name: "1", value: "a" }] }, { mergingList: [{ value: "b" }] }));
    expect(e.status).toBe(400);
    expect(e.message).toContain("does not contain declared merge key: name");
  });
  test("merge keys compare with type: 80 is not \"80\"", () => {
    const schema = patchMetaFor("", "v1", "Service");
    const out = smp({ spec: { ports: [{ port: 80, name: "http" }] } }, { spec: { ports: [{ port: "80", name: "x" }] } }, schema);
    expect(out).toEqual({ spec: { ports: [{ port: "80", name: "x" }, { port: 80, name: "http" }] } });
  });
  test("lists of lists and mixed element types are 422", () => {
    expect(fails(() => smp({ mergingIntList: [[1]] }, { mergingIntList: [[2]] }))).toBeInstanceOf(PatchApplyError);
    expect(fails(() => smp({ mergingList: [{ name: "1" }] }, { mergingList: ["x"] })).status).toBe(422);
  });
});

describe("lists of scalars", () => {
  test("merge strategy: union without duplicates, patch order for patched items", () => {
    expect(smp({ mergingIntList: [1, 2] }, { mergingIntList: [2, 3] })).toEqual({ mergingIntList: [1, 2, 3] });
    expect(smp({ mergingIntList: [1, 2, 3] }, { mergingIntList: [3, 1, 2] })).toEqual({ mergingIntList: [3, 1, 2] });
    expect(smp({ mergingIntList: [1, 2, 3] }, { mergingIntList: [3, 1] })).toEqual({ mergingIntList: [2, 3, 1] });
  });
  test("$deleteFromPrimitiveList removes all occurrences; absent list is left absent", () => {
    expect(smp({ mergingIntList: [1, 2, 3, 3, 4] }, { "$setElementOrder/mergingIntList": [1, 2], "$deleteFromPrimitiveList/mergingIntList": [3] })).toEqual({
      mergingIntList: [1, 2, 4],
    });
    expect(smp({ name: "x" }, { "$deleteFromPrimitiveList/mergingIntList": [3] })).toEqual({ name: "x" });
  });
  test("add and delete in one patch", () => {
    expect(
      smp({ mergingIntList: [1, 2, 3] }, { "$setElementOrder/mergingIntList": [1, 2, 4], "$deleteFromPrimitiveList/mergingIntList": [3], mergingIntList: [4] }),
    ).toEqual({ mergingIntList: [1, 2, 4] });
  });
  test("a new value without $setElementOrder goes first (upstream's mergeSortedSlice)", () => {
    const out = smp({ metadata: { finalizers: ["a", "b"] } }, { metadata: { finalizers: ["x"] } }, cmSchema);
    expect(out).toEqual({ metadata: { finalizers: ["x", "a", "b"] } });
  });
  test("no strategy: replaced", () => {
    expect(smp({ nonMergingList: [{ name: "1" }, { name: "2" }] }, { nonMergingList: [{ name: "2" }] })).toEqual({ nonMergingList: [{ name: "2" }] });
    const dep = patchMetaFor("apps", "v1", "Deployment");
    const live: JsonObject = { spec: { template: { spec: { containers: [{ name: "c", args: ["a", "b"], command: ["x"] }], tolerations: [{ key: "k" }] } } } };
    const out = smp(live, { spec: { template: { spec: { containers: [{ name: "c", args: ["c"] }], tolerations: [{ key: "j" }] } } } }, dep);
    expect(out).toEqual({ spec: { template: { spec: { containers: [{ name: "c", args: ["c"], command: ["x"] }], tolerations: [{ key: "j" }] } } } });
  });
  test("bad deletion list is a 400", () => {
    expect(fails(() => smp({ mergingIntList: [1] }, { "$deleteFromPrimitiveList/mergingIntList": 1 })).message).toBe(
      "invalid patch format of primitive list",
    );
    expect(fails(() => smp({}, { $deleteFromPrimitiveList: [1] })).message).toBe("invalid patch format of primitive list");
  });
});

describe("$setElementOrder", () => {
  test("server-only items keep their relative position", () => {
    const live: JsonObject = { mergingList: [{ name: "1", other: "a" }, { name: "2", value: "2", other: "b" }] };
    const out = smp(live, {
      "$setElementOrder/mergingList": [{ name: "4" }, { name: "1" }, { name: "2" }, { name: "3" }],
      mergingList: [{ name: "4", value: "4" }, { name: "3", value: "3" }],
    });
    expect(out).toEqual({
      mergingList: [{ name: "4", value: "4" }, { name: "1", other: "a" }, { name: "2", value: "2", other: "b" }, { name: "3", value: "3" }],
    });
  });
  test("reorders a list without changing its content", () => {
    const out = smp({ mergingList: [{ name: "a" }, { name: "b" }, { name: "c" }] }, { "$setElementOrder/mergingList": [{ name: "c" }, { name: "a" }, { name: "b" }] });
    expect(out).toEqual({ mergingList: [{ name: "c" }, { name: "a" }, { name: "b" }] });
  });
  test("entries missing from the list are ignored", () => {
    expect(smp({ mergingList: [{ name: "1" }, { name: "3" }] }, { "$setElementOrder/mergingList": [{ name: "3" }, { name: "2" }, { name: "1" }], mergingList: [{ name: "3", value: "3" }, { name: "1", value: "1" }] })).toEqual({
      mergingList: [{ name: "3", value: "3" }, { name: "1", value: "1" }],
    });
    expect(smp({ mergingIntList: [1, 3] }, { "$setElementOrder/mergingIntList": [3, 2, 1] })).toEqual({ mergingIntList: [3, 1] });
  });
  test("with a delete directive, and a server-only item ahead of the new one", () => {
    const out = smp(
      { mergingList: [{ name: "1" }, { name: "2", other: "b" }, { name: "4", other: "c" }] },
      { "$setElementOrder/mergingList": [{ name: "2" }, { name: "3" }], mergingList: [{ name: "3" }, { name: "1", $patch: "delete" }] },
    );
    expect(out).toEqual({ mergingList: [{ name: "2", other: "b" }, { name: "3" }, { name: "4", other: "c" }] });
  });
  test("a list new to the object", () => {
    expect(smp({}, { "$setElementOrder/mergingList": [{ name: "b" }, { name: "a" }], mergingList: [{ name: "b" }, { name: "a" }] })).toEqual({
      mergingList: [{ name: "b" }, { name: "a" }],
    });
  });
  test("an order that contradicts the patch list is a 400", () => {
    const e = fails(() =>
      smp({ mergingList: [{ name: "1" }, { name: "3" }, { name: "2" }] }, { "$setElementOrder/mergingList": [{ name: "1" }, { name: "2" }, { name: "3" }], mergingList: [{ name: "3", value: "3" }, { name: "1", value: "1" }] }),
    );
    expect(e.status).toBe(400);
    expect(e.message).toContain("doesn't match $setElementOrder list");
    expect(fails(() => smp({ mergingIntList: [1, 3, 2] }, { "$setElementOrder/mergingIntList": [1, 2, 3], mergingIntList: [3, 1] })).message).toContain(
      "doesn't match",
    );
  });
  test("malformed directives are 400", () => {
    expect(fails(() => smp({}, { "$setElementOrder/mergingList": "x" })).message).toBe("invalid patch format of setElementOrder list");
    expect(fails(() => smp({}, { $setElementOrder: [] })).message).toBe("invalid patch format of setElementOrder list");
    expect(fails(() => smp({}, { "$setElementOrder/": [] })).message).toBe("invalid patch format of setElementOrder list");
  });
  test("schema gap: a merge list the schema does not know is merged by the key the order names", () => {
    const live: JsonObject = { widgets: [{ id: "a", v: 1 }, { id: "b", v: 2 }] };
    const out = smp(live, { "$setElementOrder/widgets": [{ id: "b" }, { id: "a" }], widgets: [{ id: "a", v: 9 }] }, undefined);
    expect(out).toEqual({ widgets: [{ id: "b", v: 2 }, { id: "a", v: 9 }] });
    const del = smp(live, { widgets: [{ $patch: "delete", id: "a" }] }, undefined);
    expect(del).toEqual({ widgets: [{ id: "b", v: 2 }] });
  });
});

describe("pod spec through the built-in schema", () => {
  const podSchema = patchMetaFor("", "v1", "Pod");
  test("a new container's own directives are applied, not stored", () => {
    const live: JsonObject = { spec: { containers: [{ name: "a", image: "x" }] } };
    const out = smp(
      live,
      {
        spec: {
          "$setElementOrder/containers": [{ name: "a" }, { name: "b" }],
          containers: [{ name: "b", image: "y", "$setElementOrder/env": [{ name: "E" }], env: [{ name: "E", value: "1" }, { name: "gone", $patch: "delete" }] }],
        },
      },
      podSchema,
    );
    expect(out).toEqual({ spec: { containers: [{ name: "a", image: "x" }, { name: "b", image: "y", env: [{ name: "E", value: "1" }] }] } });
  });
  test("volumes: retainKeys per item switches the volume source", () => {
    const live: JsonObject = { spec: { volumes: [{ name: "v", configMap: { name: "c" } }, { name: "w", emptyDir: {} }] } };
    const out = smp(live, { spec: { volumes: [{ name: "v", $retainKeys: ["name", "secret"], secret: { secretName: "s" } }] } }, podSchema);
    expect(out).toEqual({ spec: { volumes: [{ name: "v", secret: { secretName: "s" } }, { name: "w", emptyDir: {} }] } });
  });
  test("status conditions merge by type, ownerReferences by uid", () => {
    const live: JsonObject = {
      metadata: { ownerReferences: [{ uid: "1", name: "rs-a" }] },
      status: { conditions: [{ type: "Ready", status: "False" }, { type: "PodScheduled", status: "True" }] },
    };
    const out = smp(live, { metadata: { ownerReferences: [{ uid: "2", name: "rs-b" }] }, status: { conditions: [{ type: "Ready", status: "True" }] } }, podSchema);
    expect(out.status).toEqual({ conditions: [{ type: "Ready", status: "True" }, { type: "PodScheduled", status: "True" }] });
    expect((out.metadata as JsonObject).ownerReferences).toEqual([{ uid: "2", name: "rs-b" }, { uid: "1", name: "rs-a" }]);
  });
  test("CronJob reaches the pod template through jobTemplate", () => {
    const schema = patchMetaFor("batch", "v1", "CronJob");
    const live: JsonObject = { spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: "a", image: "1" }, { name: "b", image: "1" }] } } } } } };
    const out = smp(live, { spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: "b", image: "2" }] } } } } } }, schema);
    expect(out).toEqual({ spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: "a", image: "1" }, { name: "b", image: "2" }] } } } } } });
  });
  test("unknown kinds of custom groups have no metadata; built-in groups get a metadata-only root", () => {
    expect(patchMetaFor("example.com", "v1", "Widget")).toBeUndefined();
    expect(patchMetaFor("rbac.authorization.k8s.io", "v1", "Role")?.fields.metadata).toBeDefined();
  });
});

describe("directives", () => {
  test("unknown $ keys are rejected with 400", () => {
    const e = fails(() => smp({}, { $foo: 1 }));
    expect(e.status).toBe(400);
    expect(e.message).toBe("unknown patch directive: $foo");
  });
  test("marker items never reach a list without merge strategy", () => {
    expect(smp({ nonMergingList: [{ name: "1" }] }, { nonMergingList: [{ $patch: "replace" }, { name: "2", $retainKeys: ["name"] }] })).toEqual({
      nonMergingList: [{ name: "2" }],
    });
  });
  test("a patch that is not an object is a 400", () => {
    expect(fails(() => smp({}, [1])).status).toBe(400);
    expect(fails(() => smp({}, null)).status).toBe(400);
  });
  test("top-level $patch: delete empties the object", () => {
    expect(smp({ a: 1 }, { $patch: "delete" })).toEqual({});
  });
});
