import { describe, expect, test } from "bun:test";
import type { Obj } from "../../registry/types.ts";
import { configMapDef, secretDef } from "./config.ts";
import { testCtx } from "./pods/testing.ts";

describe("configmaps", () => {
  const def = configMapDef();
  test("data keys validated like upstream", () => {
    const c = def.validate!({ metadata: { name: "c" }, data: { "good.key": "1", "bad key": "2", "..x": "3" } }, testCtx());
    expect(c).toEqual([
      { reason: "FieldValueInvalid", message: `Invalid value: "bad key": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`, field: "data[bad key]" },
      { reason: "FieldValueInvalid", message: `Invalid value: "..x": must not start with '..'`, field: "data[..x]" },
    ]);
  });
  test("keys may not be in both data and binaryData; binaryData must be base64", () => {
    const c = def.validate!({ metadata: { name: "c" }, data: { k: "1" }, binaryData: { k: "aGk=", b: "%%%" } }, testCtx());
    expect(c.map((x) => `${x.field}: ${x.message}`)).toEqual([
      'data[k]: Invalid value: "k": duplicate of key present in binaryData',
      'binaryData[k]: Invalid value: "k": duplicate of key present in data',
      'binaryData[b]: Invalid value: "<binary>": must be base64-encoded',
    ]);
  });
  test("immutable configmaps", () => {
    const old = { metadata: { name: "c" }, data: { a: "1" }, immutable: true };
    expect(def.validateUpdate!({ ...old, data: { a: "2" } }, old, testCtx())).toEqual([{ reason: "FieldValueForbidden", message: "Forbidden: field is immutable when `immutable` is set", field: "data" }]);
    expect(def.validateUpdate!({ ...old }, old, testCtx())).toEqual([]);
  });
  test("DATA column counts data and binaryData", () => {
    expect(def.cells!({ metadata: { name: "c", creationTimestamp: "2025-01-01T00:00:00Z" }, data: { a: "1" }, binaryData: { b: "aGk=" } }, Date.parse("2025-01-01T00:05:00Z"))).toEqual(["c", 2, "5m"]);
  });
});

describe("secrets", () => {
  const def = secretDef();
  test("type defaults to Opaque, stringData merges into data and is removed", () => {
    const s: Obj = { metadata: { name: "s" }, data: { a: "YQ==" }, stringData: { b: "héllo", a: "override" } };
    def.defaults!(s);
    expect(s.type).toBe("Opaque");
    expect(s.stringData).toBeUndefined();
    expect(s.data).toEqual({ a: Buffer.from("override").toString("base64"), b: Buffer.from("héllo").toString("base64") });
    expect(def.validate!(s, testCtx())).toEqual([]);
  });
  test("data values must be base64; typed secrets need their keys", () => {
    expect(def.validate!({ metadata: { name: "s" }, type: "Opaque", data: { a: "not base64!" } }, testCtx())).toEqual([
      { reason: "FieldValueInvalid", message: 'Invalid value: "<secret contents redacted>": must be base64-encoded', field: "data[a]" },
    ]);
    expect(def.validate!({ metadata: { name: "s" }, type: "kubernetes.io/tls", data: { "tls.crt": "YQ==" } }, testCtx())).toEqual([
      { reason: "FieldValueRequired", message: "Required value", field: "data[tls.key]" },
    ]);
  });
  test("type is immutable", () => {
    const old = { metadata: { name: "s" }, type: "Opaque" };
    expect(def.validateUpdate!({ ...old, type: "kubernetes.io/tls" }, old, testCtx())[0]!.message).toBe('Invalid value: "kubernetes.io/tls": field is immutable');
  });
  test("table and field selector", () => {
    const s = { metadata: { name: "s", creationTimestamp: "2025-01-01T00:00:00Z" }, type: "Opaque", data: { a: "YQ==" } };
    expect(def.cells!(s, Date.parse("2025-01-01T00:00:01Z"))).toEqual(["s", "Opaque", 1, "1s"]);
    expect(def.selectableFields!(s)).toEqual({ type: "Opaque" });
  });
});
