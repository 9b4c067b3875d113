import { describe, expect, test } from "bun:test";
import { checkSupportedFields, escapeFieldValue, fieldSelectorFromSet, FieldSelectorError, parseFieldSelector, unescapeFieldValue } from "./fields.ts";

function getterOf(fields: Record<string, string>) {
  return (f: string) => fields[f];
}

function parseError(s: string): string {
  try {
    parseFieldSelector(s);
  } catch (e) {
    expect(e).toBeInstanceOf(FieldSelectorError);
    expect((e as FieldSelectorError).status).toBe(400);
    return (e as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(s)} to fail`);
}

describe("kubectl's selectors (kubectl-wire §5)", () => {
  const pod = getterOf({ "metadata.name": "web", "metadata.namespace": "default", "spec.nodeName": "node-1", "status.phase": "Running" });
  test("describe node pod list", () => {
    const s = parseFieldSelector("spec.nodeName=node-1,status.phase!=Succeeded,status.phase!=Failed");
    expect(s.matches(pod)).toBe(true);
    expect(s.matches(getterOf({ "spec.nodeName": "node-1", "status.phase": "Failed" }))).toBe(false);
    expect(s.matches(getterOf({ "spec.nodeName": "node-2", "status.phase": "Running" }))).toBe(false);
    expect(s.fields()).toEqual(["spec.nodeName", "status.phase"]);
  });
  test("events of an object, terms in any order, empty namespace", () => {
    const s = parseFieldSelector("involvedObject.kind=Node,involvedObject.namespace=,involvedObject.name=node-1,involvedObject.uid=node-1");
    const ev = getterOf({ "involvedObject.kind": "Node", "involvedObject.name": "node-1", "involvedObject.uid": "node-1", "involvedObject.namespace": "" });
    expect(s.matches(ev)).toBe(true);
    // an absent field reads as ""
    expect(s.matches(getterOf({ "involvedObject.kind": "Node", "involvedObject.name": "node-1", "involvedObject.uid": "node-1" }))).toBe(true);
    expect(s.matches(getterOf({ "involvedObject.kind": "Pod", "involvedObject.name": "node-1", "involvedObject.uid": "node-1" }))).toBe(false);
  });
  test("metadata.name with == and the watch form", () => {
    expect(parseFieldSelector("metadata.name==web").matches(pod)).toBe(true);
    expect(parseFieldSelector("metadata.name=web").requiresExactMatch("metadata.name")).toBe("web");
    expect(parseFieldSelector("metadata.name!=web").requiresExactMatch("metadata.name")).toBeUndefined();
    expect(parseFieldSelector("").matches(pod)).toBe(true);
    expect(parseFieldSelector("").empty()).toBe(true);
    expect(parseFieldSelector("a=b,,c=d").requirements.length).toBe(2);
  });
});

describe("escaping", () => {
  test("escaped , = \\ in values", () => {
    const s = parseFieldSelector("a=x\\,y,b=1\\=2,c=p\\\\q");
    expect(s.requirements).toEqual([
      { field: "a", operator: "=", value: "x,y" },
      { field: "b", operator: "=", value: "1=2" },
      { field: "c", operator: "=", value: "p\\q" },
    ]);
    expect(s.toString()).toBe("a=x\\,y,b=1\\=2,c=p\\\\q");
    expect(parseFieldSelector(s.toString()).requirements).toEqual(s.requirements);
  });
  test("escape/unescape round trip", () => {
    for (const v of ["", "plain", "a,b", "a=b", "\\", "a\\,=b"]) expect(unescapeFieldValue(escapeFieldValue(v))).toBe(v);
  });
  test("errors", () => {
    expect(parseError("a=b=c")).toBe("invalid field selector: unescaped character in value: 61");
    expect(parseError("a=b\\x")).toBe("invalid field selector: invalid escape sequence: \\x");
    expect(parseError("a=b\\")).toBe("invalid field selector: invalid escape sequence: \\");
    expect(parseError("nooperator")).toBe("invalid selector: 'nooperator'; can't understand 'nooperator'");
    expect(parseError("a=1,bad")).toBe("invalid selector: 'a=1,bad'; can't understand 'bad'");
  });
  test("the first operator splits; != before ==/=", () => {
    expect(parseFieldSelector("a!=b").requirements[0]).toEqual({ field: "a", operator: "!=", value: "b" });
    expect(parseFieldSelector("a==b").requirements[0]).toEqual({ field: "a", operator: "==", value: "b" });
    expect(parseFieldSelector("a!b=c").requirements[0]).toEqual({ field: "a!b", operator: "=", value: "c" });
  });
});

test("toString sorts terms as upstream parses them", () => {
  expect(parseFieldSelector("status.phase!=Failed,spec.nodeName=n1").toString()).toBe("spec.nodeName=n1,status.phase!=Failed");
  expect(fieldSelectorFromSet({ "metadata.name": "x" }).toString()).toBe("metadata.name=x");
});

test("unsupported fields are reported like upstream", () => {
  const s = parseFieldSelector("metadata.name=x,spec.bogus=y");
  expect(() => checkSupportedFields(s, ["metadata.name", "metadata.namespace"])).toThrow("field label not supported: spec.bogus");
  expect(() => checkSupportedFields(parseFieldSelector("metadata.name=x"), ["metadata.name"])).not.toThrow();
});
