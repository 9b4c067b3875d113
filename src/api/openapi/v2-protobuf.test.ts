import { describe, expect, test } from "bun:test";
import { type RawField, readFields } from "../protobuf/wire.ts";
import type { ResourceInfo } from "./types.ts";
import { encodeOpenApiV2, openApiV2Protobuf, yamlOf } from "./v2-protobuf.ts";
import { openApiV2Doc } from "./v2.ts";

const ALL = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
const resources: ResourceInfo[] = [
  { group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true, verbs: ALL },
  { group: "apps", version: "v1", kind: "Deployment", plural: "deployments", namespaced: true, verbs: ALL, subresources: [{ name: "scale", verbs: ["get", "patch", "update"], kind: { group: "autoscaling", version: "v1", kind: "Scale" } }] },
  {
    group: "example.com", version: "v1", kind: "Widget", plural: "widgets", namespaced: true, verbs: ALL,
    schema: { type: "object", required: ["spec", "ghost"], properties: { spec: { type: "object", properties: { port: { "x-kubernetes-int-or-string": true, anyOf: [{ type: "integer" }, { type: "string" }] }, tags: { type: "array" } } } } },
  },
];

// Reading gnostic's openapi.v2 messages back with the wire reader.
const td = new TextDecoder();
const all = (b: Uint8Array, n: number) => readFields(b).filter((f) => f.num === n);
const one = (b: Uint8Array, n: number): RawField | undefined => all(b, n).pop();
const s = (b: Uint8Array, n: number) => { const f = one(b, n); return f ? td.decode(f.bytes!) : ""; };
const sub = (b: Uint8Array, n: number) => one(b, n)?.bytes ?? new Uint8Array(0);

interface SchemaView { ref: string; type: string[]; items: SchemaView[]; properties: Record<string, SchemaView>; additional?: SchemaView; required: string[]; ext: Record<string, string>; description: string }
function schema(b: Uint8Array): SchemaView {
  const props: Record<string, SchemaView> = {};
  for (const ns of all(sub(b, 25), 1)) props[s(ns.bytes!, 1)] = schema(sub(ns.bytes!, 2));
  const ap = one(b, 21);
  return {
    ref: s(b, 1), description: s(b, 4),
    type: all(sub(b, 22), 1).map((f) => td.decode(f.bytes!)),
    items: all(sub(b, 23), 1).map((f) => schema(f.bytes!)),
    properties: props,
    additional: ap ? schema(sub(ap.bytes!, 1)) : undefined,
    required: all(b, 19).map((f) => td.decode(f.bytes!)),
    ext: Object.fromEntries(all(b, 31).map((f) => [s(f.bytes!, 1), s(sub(f.bytes!, 2), 2)])),
  };
}

function decodeDoc(bytes: Uint8Array) {
  const paths: Record<string, Uint8Array> = {};
  for (const np of all(sub(bytes, 8), 2)) paths[s(np.bytes!, 1)] = sub(np.bytes!, 2);
  const defs: Record<string, SchemaView> = {};
  for (const ns of all(sub(bytes, 9), 1)) defs[s(ns.bytes!, 1)] = schema(sub(ns.bytes!, 2));
  return { swagger: s(bytes, 1), title: s(sub(bytes, 2), 1), paths, defs };
}

describe("openapi v2 protobuf", () => {
  const bytes = openApiV2Protobuf(resources).bytes;
  const doc = decodeDoc(bytes);

  test("document header and paths", () => {
    expect(doc.swagger).toBe("2.0");
    expect(doc.title).toBe("Kubernetes");
    expect(Object.keys(doc.paths)).toContain("/apis/apps/v1/namespaces/{namespace}/deployments/{name}");
    expect(Object.keys(doc.paths)).toContain("/api/v1/namespaces/{namespace}/configmaps");
  });

  test("PATCH operations carry the GVK extension as YAML and the query params kubectl looks for", () => {
    // kubectl 1.27's query_param_verifier: first PATCH whose GVK extension matches, then its parameters
    const patchFor = (gvk: Record<string, string>) => {
      for (const item of Object.values(doc.paths)) {
        const op = one(item, 8)?.bytes;
        if (!op) continue;
        const ext = all(op, 13).find((f) => s(f.bytes!, 1) === "x-kubernetes-group-version-kind");
        const y = ext ? s(sub(ext.bytes!, 2), 2) : "";
        const parsed = Bun.YAML ? Bun.YAML.parse(y) : undefined;
        if (JSON.stringify(parsed) === JSON.stringify(gvk)) return op;
      }
      return undefined;
    };
    for (const gvk of [{ group: "apps", kind: "Deployment", version: "v1" }, { group: "", kind: "ConfigMap", version: "v1" }, { group: "autoscaling", kind: "Scale", version: "v1" }, { group: "example.com", kind: "Widget", version: "v1" }]) {
      const op = patchFor(gvk);
      expect([gvk.kind, op !== undefined]).toEqual([gvk.kind, true]);
      const names = all(op!, 8).map((pi) => {
        const nb = sub(sub(pi.bytes!, 1), 2); // ParametersItem.parameter → Parameter.non_body_parameter
        const q = sub(nb, 3); // query_parameter_sub_schema
        return `${s(q, 2)}:${s(q, 4)}`;
      });
      expect(names).toEqual(expect.arrayContaining(["query:dryRun", "query:fieldManager", "query:fieldValidation", "query:force"]));
      expect(s(op!, 5)).toMatch(/^patch/);
    }
  });

  test("definitions satisfy kubectl's proto.Models parser: refs resolve, arrays have one item schema, one type at most, required in properties", () => {
    const names = Object.keys(doc.defs);
    expect(names).toContain("io.k8s.api.apps.v1.Deployment");
    expect(names).toContain("com.example.v1.Widget");
    const check = (v: SchemaView, at: string) => {
      if (v.ref) {
        expect([at, v.ref.startsWith("#/definitions/") && names.includes(v.ref.slice("#/definitions/".length))]).toEqual([at, true]);
        return;
      }
      expect([at, v.type.length <= 1]).toEqual([at, true]);
      if (v.type[0] === "array") expect([at, v.items.length]).toEqual([at, 1]);
      if (v.type.length === 1) expect([at, ["object", "array", "string", "integer", "number", "boolean"].includes(v.type[0]!)]).toEqual([at, true]);
      for (const r of v.required) expect([at, r, r in v.properties]).toEqual([at, r, true]);
      for (const [k, p] of Object.entries(v.properties)) check(p, `${at}.${k}`);
      for (const i of v.items) check(i, `${at}[]`);
      if (v.additional) check(v.additional, `${at}{}`);
    };
    for (const [n, v] of Object.entries(doc.defs)) check(v, n);
    const d = doc.defs["io.k8s.api.apps.v1.Deployment"]!;
    expect(Bun.YAML.parse(d.ext["x-kubernetes-group-version-kind"]!)).toEqual([{ group: "apps", version: "v1", kind: "Deployment" }]);
    expect(d.properties.spec!.ref).toBe("#/definitions/io.k8s.api.apps.v1.DeploymentSpec");
    expect(doc.defs["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]!.type).toEqual(["string"]);
    expect(doc.defs["io.k8s.apimachinery.pkg.api.resource.Quantity"]!.type).toEqual(["string"]);
    expect(doc.defs["com.example.v1.Widget"]!.required).toEqual(["spec"]);
  });

  test("encodes the JSON document deterministically and memoises", () => {
    expect(encodeOpenApiV2(openApiV2Doc(resources))).toEqual(bytes);
    expect(openApiV2Protobuf(resources)).toBe(openApiV2Protobuf(resources));
    expect(openApiV2Protobuf(resources, { definitions: false }).bytes.length).toBeLessThan(bytes.length / 5);
  });

  test("yamlOf writes values gnostic reads back", () => {
    expect(yamlOf({ group: "", kind: "Pod", version: "v1" })).toBe('group: ""\nkind: "Pod"\nversion: "v1"\n');
    expect(Bun.YAML.parse(yamlOf([{ a: 1 }]))).toEqual([{ a: 1 }]);
  });
});
