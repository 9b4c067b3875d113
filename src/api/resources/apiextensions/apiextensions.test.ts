import { describe, expect, test } from "bun:test";
import type { Obj } from "../../registry/types.ts";
import { crdDef } from "./crds.ts";
import { crdToResourceDefs, cellFor } from "./crd-resources.ts";
import { compileJSONPath, evalJSONPath } from "./jsonpath.ts";
import { pruneAndDefault, validateSchema } from "./schema.ts";
import { memRegistry, testCtx } from "../core/pods/testing.ts";
import { clone } from "../../registry/objects.ts";

const schema: Obj = {
  type: "object",
  properties: {
    spec: {
      type: "object",
      required: ["image"],
      properties: {
        image: { type: "string", minLength: 1 },
        replicas: { type: "integer", minimum: 0, maximum: 10, default: 1 },
        color: { type: "string", enum: ["red", "blue"] },
        port: { "x-kubernetes-int-or-string": true },
        tags: { type: "array", maxItems: 2, items: { type: "string" } },
        extra: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
        labels: { type: "object", additionalProperties: { type: "string" } },
      },
    },
    status: { type: "object", properties: { ready: { type: "boolean" }, phase: { type: "string" }, conditions: { type: "array", items: { type: "object", properties: { type: { type: "string" }, status: { type: "string" } } } } } },
  },
};

function crd(extra: Obj = {}): Obj {
  return {
    metadata: { name: "widgets.example.com" },
    spec: {
      group: "example.com",
      scope: "Namespaced",
      names: { plural: "widgets", kind: "Widget", shortNames: ["wg"], categories: ["all"] },
      versions: [
        {
          name: "v1",
          served: true,
          storage: true,
          schema: { openAPIV3Schema: schema },
          subresources: { status: {}, scale: { specReplicasPath: ".spec.replicas", statusReplicasPath: ".status.replicas", labelSelectorPath: ".status.selector" } },
          additionalPrinterColumns: [
            { name: "Replicas", type: "integer", jsonPath: ".spec.replicas" },
            { name: "Ready", type: "string", jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
            { name: "Tags", type: "string", jsonPath: ".spec.tags", priority: 1 },
            { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
          ],
          selectableFields: [{ jsonPath: ".spec.color" }],
        },
        { name: "v1beta1", served: false, storage: false, schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } } },
      ],
      ...extra,
    },
  };
}

describe("CustomResourceDefinition kind", () => {
  const def = crdDef();
  test("defaults, status and validation of a good CRD", async () => {
    const c = crd();
    def.defaults!(c);
    await def.prepareForCreate!(c, testCtx(), memRegistry());
    expect(c.spec.names.singular).toBe("widget");
    expect(c.spec.names.listKind).toBe("WidgetList");
    expect(c.spec.conversion).toEqual({ strategy: "None" });
    expect(c.status.storedVersions).toEqual(["v1"]);
    expect(c.status.conditions.map((x: Obj) => `${x.type}=${x.status}`)).toEqual(["NamesAccepted=True", "Established=True"]);
    expect(def.validate!(c, testCtx())).toEqual([]);
    expect(def.shortNames).toEqual(["crd", "crds"]);
  });

  test("name must be <plural>.<group>; exactly one storage version; schema required", () => {
    const c = crd();
    c.metadata.name = "widget.example.com";
    c.spec.versions[1].storage = true;
    delete c.spec.versions[0].schema;
    def.defaults!(c);
    const causes = def.validate!(c, testCtx());
    expect(causes).toContainEqual({ reason: "FieldValueInvalid", message: 'Invalid value: "widget.example.com": must be spec.names.plural+"."+spec.group', field: "metadata.name" });
    expect(causes.find((x) => x.field === "spec.versions")?.message).toEndWith("must have exactly one version marked as storage version");
    expect(causes).toContainEqual({ reason: "FieldValueRequired", message: "Required value: schemas are required", field: "spec.versions[0].schema.openAPIV3Schema" });
  });

  test("scope, group and structural schema errors", () => {
    const c = crd({ scope: "Galactic", group: "example" });
    c.metadata.name = "widgets.example";
    c.spec.versions[0].schema.openAPIV3Schema = { type: "object", properties: { spec: { properties: {} } } };
    def.defaults!(c);
    const causes = def.validate!(c, testCtx());
    expect(causes).toContainEqual({ reason: "FieldValueNotSupported", message: 'Unsupported value: "Galactic": supported values: "Cluster", "Namespaced"', field: "spec.scope" });
    expect(causes).toContainEqual({ reason: "FieldValueInvalid", message: 'Invalid value: "example": should be a domain with at least one dot', field: "spec.group" });
    expect(causes).toContainEqual({ reason: "FieldValueRequired", message: "Required value: must not be empty for specified object fields", field: "spec.versions[0].schema.openAPIV3Schema.properties[spec].type" });
  });

  test("update: group immutable, accepted names follow", () => {
    const old = crd();
    def.defaults!(old);
    old.status = { conditions: [{ type: "Established", status: "True" }], storedVersions: ["v1"] };
    const next = clone(old);
    next.spec.names.shortNames = ["w"];
    def.prepareForUpdate!(next, old, testCtx());
    expect(next.status.acceptedNames.shortNames).toEqual(["w"]);
    expect(def.validateUpdate!(next, old, testCtx())).toEqual([]);
    next.spec.group = "other.com";
    next.spec.scope = "Cluster";
    expect(def.validateUpdate!(next, old, testCtx()).map((c) => c.field)).toEqual(["spec.group", "spec.scope"]);
  });
});

describe("crdToResourceDefs", () => {
  const defs = crdToResourceDefs(crd());
  const w = defs[0]!;
  test("one def per served version, with names, scope, subresources", () => {
    expect(defs).toHaveLength(1);
    expect(w).toMatchObject({ group: "example.com", version: "v1", kind: "Widget", listKind: undefined, plural: "widgets", singular: "widget", shortNames: ["wg"], categories: ["all"], namespaced: true, statusSubresource: true, generation: true, allowCreateOnUpdate: false });
    expect(w.scale).toEqual({ specReplicasPath: "spec.replicas", statusReplicasPath: "status.replicas", labelSelectorPath: "status.selector" });
    const cluster = crdToResourceDefs(crd({ scope: "Cluster" }))[0]!;
    expect(cluster.namespaced).toBe(false);
  });

  test("defaults prune unknown fields and apply schema defaults", async () => {
    const obj: Obj = { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "a", labels: { x: "y" } }, spec: { image: "nginx", bogus: 1, extra: { anything: { goes: true } }, labels: { a: "b" } }, status: { ready: true } };
    w.defaults!(obj);
    await w.prepareForCreate!(obj, testCtx(), memRegistry());
    expect(obj).toEqual({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "a", labels: { x: "y" } }, spec: { image: "nginx", replicas: 1, extra: { anything: { goes: true } }, labels: { a: "b" } } });
  });

  test("validation against the schema with kube-openapi wording", () => {
    const obj: Obj = { metadata: { name: "a" }, spec: { replicas: "three", color: "pink", tags: ["a", "b", "c"], port: 1.5, image: "" } };
    const causes = w.validate!(obj, testCtx());
    expect(causes).toContainEqual({ reason: "FieldValueTypeInvalid", message: 'Invalid value: "three": spec.replicas in body must be of type integer: "string"', field: "spec.replicas" });
    expect(causes).toContainEqual({ reason: "FieldValueNotSupported", message: 'Unsupported value: "pink": supported values: "red", "blue"', field: "spec.color" });
    expect(causes).toContainEqual({ reason: "FieldValueTooMany", message: "Too many: 3: must have at most 2 items", field: "spec.tags" });
    expect(causes.find((c) => c.field === "spec.port")?.message).toContain("must be of type integer,string");
    expect(causes).toContainEqual({ reason: "FieldValueInvalid", message: 'Invalid value: "": spec.image in body should be at least 1 chars long', field: "spec.image" });
    expect(w.validate!({ metadata: { name: "a" }, spec: { replicas: 11, image: "x" } }, testCtx())).toEqual([
      { reason: "FieldValueInvalid", message: "Invalid value: 11: spec.replicas in body should be less than or equal to 10", field: "spec.replicas" },
    ]);
    expect(w.validate!({ metadata: { name: "a" }, spec: {} }, testCtx())).toEqual([{ reason: "FieldValueRequired", message: "Required value", field: "spec.image" }]);
  });

  test("printer columns and selectable fields", () => {
    const obj = { metadata: { name: "a", creationTimestamp: "2025-01-01T00:00:00Z" }, spec: { image: "x", replicas: 3, tags: ["a", "b"], color: "red" }, status: { conditions: [{ type: "Other", status: "False" }, { type: "Ready", status: "True" }] } };
    expect(w.columns!.map((c) => `${c.name}:${c.type}:${c.priority ?? 0}`)).toEqual(["Name:string:0", "Replicas:integer:0", "Ready:string:0", "Tags:string:1", "Age:date:0"]);
    expect(w.cells!(obj, Date.parse("2025-01-01T00:02:00Z"))).toEqual(["a", 3, "True", '["a","b"]', "2m"]);
    expect(w.cells!({ metadata: { name: "b" } }, 0)).toEqual(["b", null, null, null, null]);
    expect(w.selectableFields!(obj)).toEqual({ "spec.color": "red" });
    const plain = crdToResourceDefs({ spec: { group: "g.io", scope: "Namespaced", names: { plural: "things", kind: "Thing" }, versions: [{ name: "v1", served: true, storage: true }] } })[0]!;
    expect(plain.columns!.map((c) => c.name)).toEqual(["Name", "Age"]);
    expect(plain.singular).toBe("thing");
  });

  test("cell typing like the apiextensions table convertor", () => {
    expect(cellFor("integer", 3.7, 0)).toBe(3);
    expect(cellFor("integer", "3", 0)).toBeNull();
    expect(cellFor("boolean", true, 0)).toBe(true);
    expect(cellFor("date", "garbage", 0)).toBe("<invalid>");
    expect(cellFor("string", 5, 0)).toBe("5");
    expect(cellFor("string", { a: 1 }, 0)).toBe('{"a":1}');
  });
});

describe("jsonpath and schema helpers", () => {
  const obj = { metadata: { name: "x", labels: { "app.kubernetes.io/name": "web" }, annotations: { "a.b/c": "d" } }, items: [{ n: 1 }, { n: 2 }, { n: 3 }] };
  test("paths", () => {
    expect(evalJSONPath(".metadata.name", obj)).toEqual(["x"]);
    expect(evalJSONPath("{.metadata.name}", obj)).toEqual(["x"]);
    expect(evalJSONPath(".metadata.labels['app.kubernetes.io/name']", obj)).toEqual(["web"]);
    expect(evalJSONPath(".metadata.annotations.a\\.b/c", obj)).toEqual(["d"]);
    expect(evalJSONPath(".items[-1].n", obj)).toEqual([3]);
    expect(evalJSONPath(".items[*].n", obj)).toEqual([1, 2, 3]);
    expect(evalJSONPath(".items[?(@.n > 1)].n", obj)).toEqual([2, 3]);
    expect(evalJSONPath(".nope.deeper", obj)).toEqual([]);
    expect(() => compileJSONPath("metadata.name")).toThrow("must start with '.'");
    expect(() => compileJSONPath(".items[?(@.n")).toThrow();
  });
  test("nulls of non-nullable fields are dropped and defaulted", () => {
    const s = { type: "object", properties: { a: { type: "string", default: "x" }, b: { type: "string", nullable: true }, c: { type: "string" } } };
    const v: Obj = { a: null, b: null, c: null };
    pruneAndDefault(v, s, true);
    expect(v).toEqual({ a: "x", b: null });
    expect(validateSchema(v, s, "", [], true)).toEqual([]);
  });
});
