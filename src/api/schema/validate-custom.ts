/**
 * @module api/schema/validate-custom
 * Custom resources against their CRD's structural `openAPIV3Schema`, in kube-apiserver's order:
 *  1. decoding: fields the schema does not know are pruned (unless
 *     `x-kubernetes-preserve-unknown-fields`), reported per fieldValidation like built-ins
 *     (`Widget in version "v1" cannot be handled as a Widget: strict decoding error: unknown field
 *     "spec.x"`); `metadata` is checked as ObjectMeta; nulls of non-nullable fields are dropped;
 *  2. schema validation → 422 Invalid with one cause per problem, worded like kube-openapi:
 *     `Widget.example.com "w1" is invalid: spec.size: Invalid value: "string": spec.size in body
 *     must be of type integer: "string"`.
 */
import { errors, type StatusCause } from "../errors.ts";
import { type Schema, OBJECT_META } from "./index.ts";
import {
  type FieldCheckOptions, type FieldCheckResult, cannotHandle, decodeCheckAt, finish, strictProblems,
} from "./validate.ts";

/** What a served custom resource version is checked against. */
export interface CustomKindSchema {
  group: string;
  version: string;
  kind: string;
  /** `spec.versions[].schema.openAPIV3Schema` of the CRD; absent means anything goes. */
  schema?: Schema;
}

/**
 * Checks a custom resource body: throws ApiError 400 (decode/strict) or 422 (schema), returns the
 * pruned object and Warn-mode warnings.
 */
export function checkCustomFields(body: unknown, crd: CustomKindSchema, opts: FieldCheckOptions): FieldCheckResult {
  const prefix = cannotHandle(body, crd);
  if (!isObject(body)) throw errors.badRequest(`${prefix}: Object 'Kind' is missing in '${JSON.stringify(body)}'`);
  const st: State = { unknown: [], causes: [] };
  let obj: Record<string, unknown> = { ...body };
  if (obj.metadata !== undefined && obj.metadata !== null) {
    const meta = decodeCheckAt(obj.metadata, OBJECT_META, "metadata");
    if (meta.error) throw errors.badRequest(`${prefix}: ${meta.error}`);
    st.unknown.push(...meta.unknown);
    obj.metadata = meta.pruned;
  }
  if (crd.schema) obj = pruneObject(obj, crd.schema, "", st, true) as Record<string, unknown>;
  const result = finish(obj, strictProblems(st.unknown, opts), prefix, opts.mode);
  if (crd.schema) validate(obj, crd.schema, "", st, true);
  if (st.causes.length) {
    const name = isObject(obj.metadata) && typeof obj.metadata.name === "string" ? obj.metadata.name : "";
    throw errors.invalid(crd.kind, crd.group, name, st.causes);
  }
  return result;
}

interface State {
  unknown: string[];
  causes: StatusCause[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);
const ROOT_FIELDS = new Set(["apiVersion", "kind", "metadata"]);

/** Drops unknown fields (recording them) and nulls of non-nullable fields. */
function pruneObject(v: unknown, s: Schema, path: string, st: State, root = false): unknown {
  if (s["x-kubernetes-preserve-unknown-fields"] && !s.properties && !s.items && !s.additionalProperties) return v;
  if (Array.isArray(v)) {
    if (!s.items) return v;
    return v.map((x, i) => pruneValue(x, s.items!, `${path}[${i}]`, st));
  }
  if (!isObject(v)) return v;
  const embedded = root || s["x-kubernetes-embedded-resource"] === true;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    const p = join(path, k);
    const prop = s.properties?.[k];
    if (prop) {
      const nx = pruneValue(x, prop, p, st);
      if (nx !== undefined) out[k] = nx;
    } else if (s.additionalProperties && typeof s.additionalProperties === "object") {
      const nx = pruneValue(x, s.additionalProperties, p, st);
      if (nx !== undefined) out[k] = nx;
    } else if (embedded && ROOT_FIELDS.has(k)) {
      out[k] = x;
    } else if (s["x-kubernetes-preserve-unknown-fields"] || s.additionalProperties === true) {
      out[k] = x;
    } else {
      st.unknown.push(p);
    }
  }
  return out;
}

function pruneValue(x: unknown, s: Schema, path: string, st: State): unknown {
  if (x === null) return s.nullable ? null : undefined;
  return pruneObject(x, s, path, st);
}

/** JSON type name kube-openapi reports for a value. */
function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function show(v: unknown): string {
  if (typeof v === "string" || typeof v === "number" || typeof v === "boolean" || v === null) return JSON.stringify(v);
  return JSON.stringify(typeName(v));
}

function invalid(st: State, path: string, value: unknown, detail: string) {
  st.causes.push({ reason: "FieldValueInvalid", message: `Invalid value: ${show(value)}: ${detail}`, field: path });
}

function typeMatches(v: unknown, type: string): boolean {
  switch (type) {
    case "object": return isObject(v);
    case "array": return Array.isArray(v);
    case "string": return typeof v === "string";
    case "integer": return typeof v === "number" && Number.isInteger(v);
    case "number": return typeof v === "number";
    case "boolean": return typeof v === "boolean";
  }
  return true;
}

function validate(v: unknown, s: Schema, path: string, st: State, root = false) {
  const at = path || "<root>";
  if (v === null) {
    if (!s.nullable && s.type) invalid(st, path, "null", `${at} in body must be of type ${s.type}: "null"`);
    return;
  }
  if (s["x-kubernetes-int-or-string"]) {
    if (!(typeof v === "string" || (typeof v === "number" && Number.isInteger(v)))) {
      invalid(st, path, typeName(v), `${at} in body must be of type integer,string: ${JSON.stringify(typeName(v))}`);
      return;
    }
  } else if (s.type && !typeMatches(v, s.type)) {
    invalid(st, path, typeName(v), `${at} in body must be of type ${s.type}: ${JSON.stringify(typeName(v))}`);
    return;
  }
  if (s.enum && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(v))) {
    st.causes.push({
      reason: "FieldValueNotSupported",
      message: `Unsupported value: ${show(v)}: supported values: ${s.enum.map((e) => JSON.stringify(e)).join(", ")}`,
      field: path,
    });
  }
  if (typeof v === "number") numberChecks(v, s, path, at, st);
  if (typeof v === "string") stringChecks(v, s, path, at, st);
  if (Array.isArray(v)) {
    const minItems = s.minItems, maxItems = s.maxItems;
    if (maxItems !== undefined && v.length > maxItems) st.causes.push({ reason: "FieldValueTooMany", message: `Too many: ${v.length}: must have at most ${maxItems} items`, field: path });
    if (minItems !== undefined && v.length < minItems) invalid(st, path, v, `${at} in body should have at least ${minItems} items`);
    if (s.items) v.forEach((x, i) => validate(x, s.items!, `${path}[${i}]`, st));
  }
  if (isObject(v)) {
    for (const r of s.required ?? []) {
      if (!(r in v)) st.causes.push({ reason: "FieldValueRequired", message: "Required value", field: join(path, r) });
    }
    for (const [k, x] of Object.entries(v)) {
      const prop = s.properties?.[k];
      if (prop) validate(x, prop, join(path, k), st);
      else if (s.additionalProperties && typeof s.additionalProperties === "object") validate(x, s.additionalProperties, join(path, k), st);
      else if ((root || s["x-kubernetes-embedded-resource"]) && ROOT_FIELDS.has(k) && k !== "metadata") {
        if (typeof x !== "string") invalid(st, join(path, k), typeName(x), `${join(path, k)} in body must be of type string: ${JSON.stringify(typeName(x))}`);
      }
    }
  }
}

function numberChecks(v: number, s: Schema, path: string, at: string, st: State) {
  const max = s.maximum, min = s.minimum;
  if (max !== undefined) {
    if (s.exclusiveMaximum === true ? v >= max : v > max) invalid(st, path, v, `${at} in body should be less than ${s.exclusiveMaximum === true ? "" : "or equal to "}${max}`);
  }
  if (min !== undefined) {
    if (s.exclusiveMinimum === true ? v <= min : v < min) invalid(st, path, v, `${at} in body should be greater than ${s.exclusiveMinimum === true ? "" : "or equal to "}${min}`);
  }
  const multipleOf = s.multipleOf;
  if (multipleOf && Math.abs(v / multipleOf - Math.round(v / multipleOf)) > 1e-9) invalid(st, path, v, `${at} in body should be a multiple of ${multipleOf}`);
}

function stringChecks(v: string, s: Schema, path: string, at: string, st: State) {
  const maxLength = s.maxLength, minLength = s.minLength;
  const len = [...v].length;
  if (maxLength !== undefined && len > maxLength) st.causes.push({ reason: "FieldValueTooLong", message: `Too long: may not be more than ${maxLength} bytes`, field: path });
  if (minLength !== undefined && len < minLength) invalid(st, path, v, `${at} in body should be at least ${minLength} chars long`);
  const pattern = s.pattern;
  if (pattern !== undefined) {
    let re: RegExp | undefined;
    try { re = new RegExp(pattern, "u"); } catch { re = undefined; }
    if (re && !re.test(v)) invalid(st, path, v, `${at} in body should match '${pattern}'`);
  }
}

