import { describe, expect, test } from "bun:test";
import { BadPatchError } from "./errors.ts";
import { jsonMergePatch, mergePatchObject } from "./json-merge.ts";
import type { JsonObject, JsonValue } from "./json.ts";

describe("jsonMergePatch (RFC 7386 appendix A)", () => {
  // The RFC's own test vectors: [target, patch, result].
  const vectors: [JsonValue | undefined, JsonValue, JsonValue][] = [
    [{ a: "b" }, { a: "c" }, { a: "c" }],
    [{ a: "b" }, { b: "c" }, { a: "b", b: "c" }],
    [{ a: "b" }, { a: null }, {}],
    [{ a: "b", b: "c" }, { a: null }, { b: "c" }],
    [{ a: ["b"] }, { a: "c" }, { a: "c" }],
    [{ a: "c" }, { a: ["b"] }, { a: ["b"] }],
    [{ a: { b: "c" } }, { a: { b: "d", c: null } }, { a: { b: "d" } }],
    [{ a: [{ b: "c" }] }, { a: [1] }, { a: [1] }],
    [["a", "b"], ["c", "d"], ["c", "d"]],
    [{ a: "b" }, ["c"], ["c"]],
    [{ a: "foo" }, null, null],
    [{ a: "foo" }, "bar", "bar"],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: "b", c: null }, { a: "b" }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  for (const [target, patch, result] of vectors) {
    test(`${JSON.stringify(target)} + ${JSON.stringify(patch)}`, () => {
      expect(jsonMergePatch(target, patch)).toEqual(result);
    });
  }

  test("does not modify its inputs and shares nothing with them", () => {
    const target: JsonObject = { metadata: { labels: { a: "1" } }, spec: { x: { y: 1 } } };
    const patch: JsonObject = { metadata: { labels: { b: "2" } } };
    const snapshot = JSON.stringify([target, patch]);
    const out = jsonMergePatch(target, patch) as JsonObject;
    expect(JSON.stringify([target, patch])).toBe(snapshot);
    expect(out.spec).not.toBe(target.spec);
    (out.spec as JsonObject).x = 2;
    expect(target.spec).toEqual({ x: { y: 1 } });
  });

  test("__proto__ in a patch stays a plain data member", () => {
    const patch = JSON.parse('{"__proto__": {"polluted": true}}') as JsonObject;
    const out = jsonMergePatch({}, patch) as JsonObject;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(out)).toEqual(["__proto__"]);
  });
});

describe("mergePatchObject (kubectl bodies)", () => {
  const deploy: JsonObject = {
    metadata: { name: "nginx", labels: { app: "nginx", foo: "bar" } },
    spec: { replicas: 1, template: { spec: { containers: [{ name: "nginx", image: "nginx:1" }] } } },
  };

  test("kubectl label foo=baz / foo- / scale", () => {
    const labelled = mergePatchObject(deploy, { metadata: { labels: { foo: "baz" } } });
    expect((labelled.metadata as JsonObject).labels).toEqual({ app: "nginx", foo: "baz" });
    const unlabelled = mergePatchObject(labelled, { metadata: { labels: { foo: null } } });
    expect((unlabelled.metadata as JsonObject).labels).toEqual({ app: "nginx" });
    const scaled = mergePatchObject(deploy, { spec: { replicas: 3 } });
    expect((scaled.spec as JsonObject).replicas).toBe(3);
    expect((scaled.spec as JsonObject).template).toEqual((deploy.spec as JsonObject).template as JsonObject);
  });

  test("kubectl annotate on an object without annotations", () => {
    const out = mergePatchObject(deploy, { metadata: { annotations: { note: "hi" } } });
    expect((out.metadata as JsonObject).annotations).toEqual({ note: "hi" });
  });

  test("lists are replaced whole", () => {
    const out = mergePatchObject(deploy, { spec: { template: { spec: { containers: [{ name: "x" }] } } } });
    expect(out).toEqual({ ...deploy, spec: { replicas: 1, template: { spec: { containers: [{ name: "x" }] } } } });
  });

  test("a patch that is not an object is a 400", () => {
    for (const bad of [null, [], "x", 3]) {
      let err: unknown;
      try {
        mergePatchObject(deploy, bad);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(BadPatchError);
      expect((err as BadPatchError).status).toBe(400);
      expect((err as BadPatchError).message).toBe("Invalid JSON Patch");
    }
  });
});
