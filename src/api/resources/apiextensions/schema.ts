/**
 * @module api/resources/apiextensions/schema
 * What the apiserver does with a CRD's structural OpenAPI v3 schema when a custom
 * resource is written: prune unknown fields (unless x-kubernetes-preserve-unknown-fields),
 * apply `default`s, drop nulls of non-nullable fields, then validate types, required
 * fields, enums, bounds, lengths and patterns with kube-openapi's wording
 * ("spec.replicas in body must be of type integer: \"string\"").
 * Not covered: CEL rules (x-kubernetes-validations), format checks, list-type maps.
 */
import { field, type StatusCause } from "../../errors.ts";
import type { Obj } from "../../registry/types.ts";
import { cause } from "../common/causes.ts";

export type Schema = Obj;

function isObject(v: unknown): v is Obj {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

/** Prune unknown fields and apply defaults, in place. `root` keeps apiVersion/kind/metadata. */
export function pruneAndDefault(value: unknown, schema: Schema | undefined, root = false): unknown {
  if (!schema || !isObject(schema)) return value;
  if (isObject(value)) {
    const props: Obj = isObject(schema.properties) ? schema.properties : {};
    const preserve = schema["x-kubernetes-preserve-unknown-fields"] === true;
    const embedded = root || schema["x-kubernetes-embedded-resource"] === true;
    const addl = schema.additionalProperties;
    for (const k of Object.keys(value)) {
      if (embedded && (k === "apiVersion" || k === "kind" || k === "metadata")) continue;
      const ps = props[k];
      if (ps) {
        if (value[k] === null && ps.nullable !== true && ps.default === undefined) {
          delete value[k];
          continue;
        }
        value[k] = pruneAndDefault(value[k], ps);
      } else if (isObject(addl)) value[k] = pruneAndDefault(value[k], addl);
      else if (!preserve && addl !== true) delete value[k];
    }
    for (const [k, ps] of Object.entries(props)) {
      if (!isObject(ps)) continue;
      if ((value[k] === undefined || (value[k] === null && ps.nullable !== true)) && ps.default !== undefined) {
        value[k] = pruneAndDefault(structuredClone(ps.default), ps);
      }
    }
    return value;
  }
  if (Array.isArray(value) && isObject(schema.items)) {
    for (let i = 0; i < value.length; i++) value[i] = pruneAndDefault(value[i], schema.items);
  }
  return value;
}

function checkType(v: unknown, schema: Schema, path: string, out: StatusCause[]): boolean {
  if (schema["x-kubernetes-int-or-string"] === true) {
    if (typeof v === "string" || (typeof v === "number" && Number.isInteger(v))) return true;
    out.push(field.invalid(path, v, `${path} in body must be of type integer,string: ${JSON.stringify(typeName(v))}`));
    return false;
  }
  const t = schema.type;
  if (!t) return true;
  if (v === null) {
    if (schema.nullable === true) return false;
    out.push(field.invalid(path, v, `${path} in body must be of type ${t}: "null"`));
    return false;
  }
  const actual = typeName(v);
  const ok = t === actual || (t === "number" && actual === "integer") || (t === "object" && actual === "object");
  if (!ok) {
    out.push(cause.typeInvalid(path, v, `${path} in body must be of type ${t}: ${JSON.stringify(actual)}`));
    return false;
  }
  return true;
}

/** Validate a value against a structural schema; causes use upstream's field paths. */
export function validateSchema(value: unknown, schema: Schema | undefined, path: string, out: StatusCause[] = [], root = false): StatusCause[] {
  if (!schema || !isObject(schema)) return out;
  if (value === undefined) return out;
  if (!checkType(value, schema, path, out)) return out;
  if (Array.isArray(schema.enum) && !schema.enum.some((e: unknown) => JSON.stringify(e) === JSON.stringify(value))) {
    out.push(field.notSupported(path, value, schema.enum.map((e: unknown) => (typeof e === "string" ? e : JSON.stringify(e)))));
  }
  if (typeof value === "number") {
    if (typeof schema.minimum === "number") {
      const bad = schema.exclusiveMinimum === true ? value <= schema.minimum : value < schema.minimum;
      if (bad) out.push(field.invalid(path, value, `${path} in body should be greater than ${schema.exclusiveMinimum === true ? "" : "or equal to "}${schema.minimum}`));
    }
    if (typeof schema.maximum === "number") {
      const bad = schema.exclusiveMaximum === true ? value >= schema.maximum : value > schema.maximum;
      if (bad) out.push(field.invalid(path, value, `${path} in body should be less than ${schema.exclusiveMaximum === true ? "" : "or equal to "}${schema.maximum}`));
    }
    if (typeof schema.multipleOf === "number" && schema.multipleOf > 0 && Math.abs(value / schema.multipleOf - Math.round(value / schema.multipleOf)) > 1e-9) {
      out.push(field.invalid(path, value, `${path} in body should be a multiple of ${schema.multipleOf}`));
    }
  }
  if (typeof value === "string") {
    const len = [...value].length;
    if (typeof schema.maxLength === "number" && len > schema.maxLength) out.push({ reason: "FieldValueTooLong", message: `Too long: may not be more than ${schema.maxLength} bytes`, field: path });
    if (typeof schema.minLength === "number" && len < schema.minLength) out.push(field.invalid(path, value, `${path} in body should be at least ${schema.minLength} chars long`));
    if (typeof schema.pattern === "string") {
      let re: RegExp | undefined;
      try {
        re = new RegExp(schema.pattern, "u");
      } catch {
        re = undefined;
      }
      if (re && !re.test(value)) out.push(field.invalid(path, value, `${path} in body should match '${schema.pattern}'`));
    }
  }
  if (Array.isArray(value)) {
    if (typeof schema.maxItems === "number" && value.length > schema.maxItems) out.push(cause.tooMany(path, value.length, schema.maxItems));
    if (typeof schema.minItems === "number" && value.length < schema.minItems) out.push(field.invalid(path, value, `${path} in body should have at least ${schema.minItems} items`));
    if (schema["x-kubernetes-list-type"] === "set") {
      const seen = new Set<string>();
      value.forEach((v, i) => {
        const k = JSON.stringify(v);
        if (seen.has(k)) out.push(field.duplicate(`${path}[${i}]`, v));
        seen.add(k);
      });
    }
    if (isObject(schema.items)) value.forEach((v, i) => validateSchema(v, schema.items, `${path}[${i}]`, out));
  }
  if (isObject(value)) {
    const props: Obj = isObject(schema.properties) ? schema.properties : {};
    for (const r of Array.isArray(schema.required) ? schema.required : []) {
      if (value[r] === undefined) out.push(field.required(path ? `${path}.${r}` : r, ""));
    }
    for (const [k, v] of Object.entries(value)) {
      if (root && (k === "apiVersion" || k === "kind" || k === "metadata")) continue;
      const child = path ? `${path}.${k}` : k;
      if (props[k]) validateSchema(v, props[k], child, out);
      else if (isObject(schema.additionalProperties)) validateSchema(v, schema.additionalProperties, child, out);
    }
    const n = Object.keys(value).length - (root ? ["apiVersion", "kind", "metadata"].filter((k) => k in value).length : 0);
    if (typeof schema.maxProperties === "number" && n > schema.maxProperties) out.push(cause.tooMany(path, n, schema.maxProperties));
    if (typeof schema.minProperties === "number" && n < schema.minProperties) out.push(field.invalid(path, value, `${path} in body should have at least ${schema.minProperties} properties`));
  }
  return out;
}

/** Structural-schema checks a CRD's schema must pass (the common ones). */
export function structuralErrors(schema: unknown, path: string): StatusCause[] {
  const out: StatusCause[] = [];
  if (!isObject(schema)) return [field.required(path, "schemas are required")];
  if (!schema.type) out.push(field.required(`${path}.type`, "must not be empty at the root"));
  else if (schema.type !== "object") out.push(field.invalid(`${path}.type`, schema.type, "must be object at the root"));
  const walk = (s: Obj, p: string) => {
    for (const [k, child] of Object.entries(isObject(s.properties) ? s.properties : {})) {
      const cp = `${p}.properties[${k}]`;
      if (!isObject(child)) continue;
      if (!child.type && child["x-kubernetes-int-or-string"] !== true && child["x-kubernetes-preserve-unknown-fields"] !== true) {
        out.push(field.required(`${cp}.type`, "must not be empty for specified object fields"));
      }
      walk(child, cp);
    }
    if (isObject(s.items)) {
      const ip = `${p}.items`;
      if (!s.items.type && s.items["x-kubernetes-int-or-string"] !== true && s.items["x-kubernetes-preserve-unknown-fields"] !== true) out.push(field.required(`${ip}.type`, "must not be empty for specified array items"));
      walk(s.items, ip);
    }
    if (isObject(s.additionalProperties)) walk(s.additionalProperties, `${p}.additionalProperties`);
    if (s.type === "array" && !isObject(s.items)) out.push(field.required(`${p}.items`, "must be specified"));
  };
  walk(schema, path);
  return out;
}
