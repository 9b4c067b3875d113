import { describe, expect, test } from "bun:test";
import { PatchApplyError, PatchError } from "./errors.ts";
import { applyJsonPatch, applyJsonPatchToObject, MAX_JSON_PATCH_OPERATIONS } from "./json-patch.ts";
import type { JsonObject, JsonValue } from "./json.ts";

function fails(fn: () => unknown): PatchError {
  try {
    fn();
  } catch (e) {
    if (e instanceof PatchError) return e;
    throw e;
  }
  throw new Error("expected a PatchError");
}

describe("RFC 6902 appendix A", () => {
  const ok: [string, JsonValue, JsonValue, JsonValue][] = [
    ["A.1 add object member", { foo: "bar" }, [{ op: "add", path: "/baz", value: "qux" }], { baz: "qux", foo: "bar" }],
    ["A.2 add array element", { foo: ["bar", "baz"] }, [{ op: "add", path: "/foo/1", value: "qux" }], { foo: ["bar", "qux", "baz"] }],
    ["A.3 remove member", { baz: "qux", foo: "bar" }, [{ op: "remove", path: "/baz" }], { foo: "bar" }],
    ["A.4 remove element", { foo: ["bar", "qux", "baz"] }, [{ op: "remove", path: "/foo/1" }], { foo: ["bar", "baz"] }],
    ["A.5 replace", { baz: "qux", foo: "bar" }, [{ op: "replace", path: "/baz", value: "boo" }], { baz: "boo", foo: "bar" }],
    [
      "A.6 move member",
      { foo: { bar: "baz", waldo: "fred" }, qux: { corge: "grault" } },
      [{ op: "move", from: "/foo/waldo", path: "/qux/thud" }],
      { foo: { bar: "baz" }, qux: { corge: "grault", thud: "fred" } },
    ],
    ["A.7 move element", { foo: ["all", "grass", "cows", "eat"] }, [{ op: "move", from: "/foo/1", path: "/foo/3" }], { foo: ["all", "cows", "eat", "grass"] }],
    [
      "A.8 test success",
      { baz: "qux", foo: ["a", 2, "c"] },
      [
        { op: "test", path: "/baz", value: "qux" },
        { op: "test", path: "/foo/1", value: 2 },
      ],
      { baz: "qux", foo: ["a", 2, "c"] },
    ],
    ["A.10 add nested member", { foo: "bar" }, [{ op: "add", path: "/child", value: { grandchild: {} } }], { foo: "bar", child: { grandchild: {} } }],
    ["A.11 ignore unrecognized members", { foo: "bar" }, [{ op: "add", path: "/baz", value: "qux", xyz: 123 }], { foo: "bar", baz: "qux" }],
    ["A.14 ~ escape ordering", { "/": 9, "~1": 10 }, [{ op: "test", path: "/~01", value: 10 }], { "/": 9, "~1": 10 }],
    ["A.16 add array value", { foo: ["bar"] }, [{ op: "add", path: "/foo/-", value: ["abc", "def"] }], { foo: ["bar", ["abc", "def"]] }],
    ["pointer ~1 means /", { a: {} }, [{ op: "add", path: "/a/b~1c", value: 1 }], { a: { "b/c": 1 } }],
    ["copy", { a: { b: [1] } }, [{ op: "copy", from: "/a", path: "/c" }], { a: { b: [1] }, c: { b: [1] } }],
    ["replace root", { a: 1 }, [{ op: "replace", path: "", value: { b: 2 } }], { b: 2 }],
    ["negative index counts from the end (upstream)", { a: [1, 2, 3] }, [{ op: "remove", path: "/a/-1" }], { a: [1, 2] }],
    ["replace of a missing member adds it (upstream)", { metadata: {} }, [{ op: "replace", path: "/metadata/annotations", value: { a: "b" } }], { metadata: { annotations: { a: "b" } } }],
    ["test of a missing member against null passes (upstream)", { a: 1 }, [{ op: "test", path: "/b", value: null }], { a: 1 }],
  ];
  for (const [name, doc, patch, want] of ok) {
    test(name, () => expect(applyJsonPatch(doc, patch)).toEqual(want));
  }

  test("A.9 test failure", () => {
    const e = fails(() => applyJsonPatch({ baz: "qux" }, [{ op: "test", path: "/baz", value: "bar" }]));
    expect(e.status).toBe(422);
    expect(e.message).toBe("testing value /baz failed: test failed");
  });
  test("A.12 add to a nonexistent target", () => {
    const e = fails(() => applyJsonPatch({ foo: "bar" }, [{ op: "add", path: "/baz/bat", value: "qux" }]));
    expect(e).toBeInstanceOf(PatchApplyError);
    expect(e.message).toBe('add operation does not apply: doc is missing path: "/baz/bat": missing value');
  });
  test("A.15 comparing strings and numbers", () => {
    const e = fails(() => applyJsonPatch({ "/": 9, "~1": 10 }, [{ op: "test", path: "/~01", value: "10" }]));
    expect(e.message).toBe("testing value /~01 failed: test failed");
  });
});

describe("errors", () => {
  test("unknown op", () => {
    const e = fails(() => applyJsonPatch({}, [{ op: "frobnicate", path: "/a" }]));
    expect(e.status).toBe(422);
    expect(e.message).toBe("Unexpected kind: frobnicate");
    expect(fails(() => applyJsonPatch({}, [{ path: "/a" }])).message).toBe("Unexpected kind: unknown");
  });
  test("remove of a missing member / index", () => {
    expect(fails(() => applyJsonPatch({ a: {} }, [{ op: "remove", path: "/a/b" }])).message).toBe(
      "error in remove for path: '/a/b': Unable to remove nonexistent key: b: missing value",
    );
    expect(fails(() => applyJsonPatch({ a: [1] }, [{ op: "remove", path: "/a/5" }])).message).toBe(
      "error in remove for path: '/a/5': Unable to access invalid index: 5: invalid index referenced",
    );
  });
  test("replace of a missing array index", () => {
    expect(fails(() => applyJsonPatch({ a: [] }, [{ op: "replace", path: "/a/0", value: 1 }])).message).toBe(
      "replace operation does not apply: doc is missing key: /a/0: missing value",
    );
  });
  test("add past the end and a non-numeric index", () => {
    expect(fails(() => applyJsonPatch({ a: [1] }, [{ op: "add", path: "/a/3", value: 1 }])).message).toBe(
      "error in add for path: '/a/3': Unable to access invalid index: 3: invalid index referenced",
    );
    expect(fails(() => applyJsonPatch({ a: [1] }, [{ op: "add", path: "/a/x", value: 1 }])).message).toBe(
      "error in add for path: '/a/x': value was not a proper array index: 'x'",
    );
  });
  test("move from a missing path and into its own child", () => {
    expect(fails(() => applyJsonPatch({ a: 1 }, [{ op: "move", from: "/x/y", path: "/b" }])).message).toBe(
      "move operation does not apply: doc is missing from path: /x/y: missing value",
    );
    expect(fails(() => applyJsonPatch({ a: { b: 1 } }, [{ op: "move", from: "/a", path: "/a/b/c" }])).status).toBe(422);
  });
  test("copy from a missing member", () => {
    expect(fails(() => applyJsonPatch({ a: 1 }, [{ op: "copy", from: "/x", path: "/b" }])).message).toBe(
      "copy operation does not apply: doc is missing from path: /x: missing value",
    );
  });
  test("bad documents are 400, too many ops 413", () => {
    expect(fails(() => applyJsonPatch({}, { op: "add" })).status).toBe(400);
    expect(fails(() => applyJsonPatch({}, ["add"])).status).toBe(400);
    expect(fails(() => applyJsonPatch({}, [{ op: "add", path: 3 }])).status).toBe(400);
    const many = Array.from({ length: MAX_JSON_PATCH_OPERATIONS + 1 }, () => ({ op: "test", path: "/a" }));
    const e = fails(() => applyJsonPatch({}, many));
    expect(e.status).toBe(413);
    expect(e.message).toBe("The allowed maximum operations in a JSON patch is 10000, got 10001");
  });
  test("a failing op leaves the input untouched (ops are all-or-nothing)", () => {
    const doc: JsonObject = { a: { b: 1 } };
    fails(() =>
      applyJsonPatch(doc, [
        { op: "add", path: "/a/c", value: 2 },
        { op: "test", path: "/a/b", value: 99 },
      ]),
    );
    expect(doc).toEqual({ a: { b: 1 } });
  });
  test("the stored object must stay an object", () => {
    expect(fails(() => applyJsonPatchToObject({ a: 1 }, [{ op: "replace", path: "", value: [1] }])).status).toBe(422);
  });
});

test("kubectl rollout undo body (kubectl-wire §6.3)", () => {
  const deploy: JsonObject = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: "nginx",
      annotations: { "deployment.kubernetes.io/revision": "2", "kubectl.kubernetes.io/last-applied-configuration": "{}" },
    },
    spec: { replicas: 3, template: { metadata: { labels: { app: "nginx" } }, spec: { containers: [{ name: "nginx", image: "nginx:2" }] } } },
  };
  const rsTemplate = {
    metadata: { creationTimestamp: null, labels: { app: "nginx" } },
    spec: { containers: [{ name: "nginx", image: "nginx:1" }] },
  };
  const annotations = { "deployment.kubernetes.io/revision": "2", "kubectl.kubernetes.io/last-applied-configuration": "{}", "kubernetes.io/change-cause": "v1" };
  const out = applyJsonPatchToObject(deploy, [
    { op: "replace", path: "/spec/template", value: rsTemplate },
    { op: "replace", path: "/metadata/annotations", value: annotations },
  ]);
  expect((out.spec as JsonObject).template).toEqual(rsTemplate);
  expect((out.metadata as JsonObject).annotations).toEqual(annotations);
  expect((out.spec as JsonObject).replicas).toBe(3);
  // input untouched
  expect(((deploy.spec as JsonObject).template as JsonObject).spec).toEqual({ containers: [{ name: "nginx", image: "nginx:2" }] });
});
