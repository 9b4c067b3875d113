import { describe, expect, test } from "bun:test";
import { ApiError } from "../errors.ts";
import type { Schema } from "./index.ts";
import { checkCustomFields, type CustomKindSchema } from "./validate-custom.ts";

const schema: Schema = {
  type: "object",
  properties: {
    spec: {
      type: "object",
      required: ["size"],
      properties: {
        size: { type: "integer", minimum: 1, maximum: 10 },
        mode: { type: "string", enum: ["fast", "slow"] },
        port: { "x-kubernetes-int-or-string": true, anyOf: [{ type: "integer" }, { type: "string" }] },
        name: { type: "string", maxLength: 5, pattern: "^[a-z]+$" },
        tags: { type: "array", items: { type: "string" }, maxItems: 2 },
        labels: { type: "object", additionalProperties: { type: "string" } },
        config: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
        note: { type: "string", nullable: true },
        other: { type: "string" },
        template: { type: "object", "x-kubernetes-embedded-resource": true, properties: { spec: { type: "object", "x-kubernetes-preserve-unknown-fields": true } } },
      },
    },
    status: { type: "object", properties: { ready: { type: "boolean" } } },
  },
};
const crd: CustomKindSchema = { group: "example.com", version: "v1", kind: "Widget", schema };

const widget = (spec: Record<string, unknown>, meta: Record<string, unknown> = {}) => ({
  apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w1", namespace: "default", ...meta }, spec,
});

function apiError(fn: () => unknown): ApiError {
  try { fn(); } catch (e) { if (e instanceof ApiError) return e; throw e; }
  throw new Error("expected an ApiError");
}

describe("checkCustomFields", () => {
  test("accepts valid objects, preserve-unknown-fields subtrees, embedded resources, int-or-string", () => {
    const obj = widget({
      size: 3, mode: "fast", port: "http", name: "abc", tags: ["a"], labels: { x: "y" },
      config: { anything: { goes: [1, 2] } }, note: null,
      template: { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: { containers: [] } },
    });
    const r = checkCustomFields(obj, crd, { mode: "Strict" });
    expect(r.warnings).toEqual([]);
    expect(r.object).toEqual(obj);
    expect(checkCustomFields(widget({ size: 1, port: 8080 }), crd, { mode: "Strict" }).warnings).toEqual([]);
  });

  test("unknown fields: Strict → 400 with the upstream text, Warn → warnings and pruned", () => {
    const obj = widget({ size: 1, replicas: 3, labels: { a: "b" } }, { bogus: 1 });
    (obj as Record<string, unknown>).extra = true;
    const e = apiError(() => checkCustomFields(obj, crd, { mode: "Strict" }));
    expect(e.code).toBe(400);
    expect(e.message).toBe('Widget in version "v1" cannot be handled as a Widget: strict decoding error: unknown field "metadata.bogus", unknown field "spec.replicas", unknown field "extra"');
    const w = checkCustomFields(obj, crd, { mode: "Warn" });
    expect(w.warnings).toEqual(['unknown field "metadata.bogus"', 'unknown field "spec.replicas"', 'unknown field "extra"']);
    expect(w.object).toEqual(widget({ size: 1, labels: { a: "b" } }));
  });

  test("nulls of non-nullable fields are dropped, nullable ones kept", () => {
    const r = checkCustomFields(widget({ size: 2, other: null, note: null }), crd, { mode: "Strict" });
    expect(r.object.spec).toEqual({ size: 2, note: null });
  });

  test("schema violations → 422 Invalid with one cause each, in kube-openapi words", () => {
    const e = apiError(() => checkCustomFields(widget({ size: "big", mode: "medium", port: true, name: "toolong", tags: ["a", "b", "c"] }), crd, { mode: "Strict" }));
    expect(e.code).toBe(422);
    expect(e.reason).toBe("Invalid");
    expect(e.details?.causes).toEqual([
      { reason: "FieldValueInvalid", message: 'Invalid value: "string": spec.size in body must be of type integer: "string"', field: "spec.size" },
      { reason: "FieldValueNotSupported", message: 'Unsupported value: "medium": supported values: "fast", "slow"', field: "spec.mode" },
      { reason: "FieldValueInvalid", message: 'Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean"', field: "spec.port" },
      { reason: "FieldValueTooLong", message: "Too long: may not be more than 5 bytes", field: "spec.name" },
      { reason: "FieldValueTooMany", message: "Too many: 3: must have at most 2 items", field: "spec.tags" },
    ]);
    expect(e.message.startsWith('Widget.example.com "w1" is invalid: [spec.size: Invalid value: "string": spec.size in body must be of type integer: "string", ')).toBe(true);
  });

  test("required, bounds and pattern", () => {
    const e1 = apiError(() => checkCustomFields(widget({ mode: "fast" }), crd, { mode: "Strict" }));
    expect(e1.message).toBe('Widget.example.com "w1" is invalid: spec.size: Required value');
    const e2 = apiError(() => checkCustomFields(widget({ size: 11 }), crd, { mode: "Strict" }));
    expect(e2.message).toBe('Widget.example.com "w1" is invalid: spec.size: Invalid value: 11: spec.size in body should be less than or equal to 10');
    const e3 = apiError(() => checkCustomFields(widget({ size: 1, name: "AB" }), crd, { mode: "Strict" }));
    expect(e3.message).toBe('Widget.example.com "w1" is invalid: spec.name: Invalid value: "AB": spec.name in body should match \'^[a-z]+$\'');
  });

  test("strict errors come before schema errors; metadata is checked as ObjectMeta", () => {
    const e = apiError(() => checkCustomFields(widget({ size: "x", bogus: 1 }), crd, { mode: "Strict" }));
    expect(e.code).toBe(400);
    const e2 = apiError(() => checkCustomFields(widget({ size: 1 }, { labels: { a: 1 } }), crd, { mode: "Strict" }));
    expect(e2.message).toBe('Widget in version "v1" cannot be handled as a Widget: json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string');
  });

  test("without a schema anything goes", () => {
    const obj = widget({ whatever: [1] });
    expect(checkCustomFields(obj, { ...crd, schema: undefined }, { mode: "Strict" }).object).toEqual(obj);
  });
});
