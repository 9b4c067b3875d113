/**
 * @module api/schema/validate
 * Server-side field validation of request bodies for the built-in kinds, worded like kube-apiserver
 * (its JSON decoding into Go structs with sigs.k8s.io/json in strict mode):
 *  - unknown and duplicate fields, handled per `fieldValidation=Strict|Warn|Ignore`:
 *    Strict → 400 `Deployment in version "v1" cannot be handled as a Deployment: strict decoding
 *    error: unknown field "spec.bogus", unknown field "spec.x"`; Warn → one warning per field
 *    (`unknown field "spec.bogus"`), Ignore → silently dropped. The returned object never holds them.
 *  - type mismatches, always 400: `… cannot be handled as a Deployment: json: cannot unmarshal
 *    string into Go struct field DeploymentSpec.spec.replicas of type int32`, and the custom
 *    decoders' texts (Quantity, Time, IntOrString, base64 []byte).
 * Custom resources are checked by ./validate-custom.ts against their CRD's schema.
 */
import { errors } from "../errors.ts";
import {
  type Schema, INT_OR_STRING, MICRO_TIME, QUANTITY, TIME, deref, goTypeOfField, refOf, schemaNameFor, resolve,
} from "./index.ts";
import { findDuplicateFields } from "./json-duplicates.ts";
import { base64Error, quantityError, rfc3339Error } from "./scalars.ts";

export type FieldValidation = "Strict" | "Warn" | "Ignore";

/**
 * The `fieldValidation` query parameter; absent means Warn (kube-apiserver's default since 1.27).
 * An unsupported value is 422 like upstream's options validation:
 * `CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "x": supported values: "", "Ignore", "Strict", "Warn"`.
 */
export function parseFieldValidation(
  value: string | null | undefined,
  options: "CreateOptions" | "UpdateOptions" | "PatchOptions" = "CreateOptions",
): FieldValidation {
  if (value === null || value === undefined || value === "") return "Warn";
  if (value === "Strict" || value === "Warn" || value === "Ignore") return value;
  throw errors.invalid(options, "meta.k8s.io", "", [{
    reason: "FieldValueNotSupported",
    message: `Unsupported value: ${JSON.stringify(value)}: supported values: "", "Ignore", "Strict", "Warn"`,
    field: "fieldValidation",
  }]);
}

export interface FieldCheckOptions {
  mode: FieldValidation;
  /** Request body text, to find duplicate fields (JSON.parse keeps the last silently). */
  rawBody?: string;
}

export interface FieldCheckResult {
  /** The object without unknown fields (a copy where something was dropped). */
  object: Record<string, unknown>;
  /** `Warning` header texts (Warn mode): `unknown field "spec.x"`, `duplicate field "a"`. */
  warnings: string[];
}

/** Problems found by walking a value against a built-in schema. */
export interface DecodeIssues {
  /** Paths of unknown fields in document order (`spec.containers[0].bogus`). */
  unknown: string[];
  /** The decode error kube-apiserver would fail on (without the "cannot be handled" prefix). */
  error?: string;
}

/** Type error raised while walking; `fatal` ones (custom unmarshalers) stop decoding like Go. */
interface Failure { message: string; fatal: boolean }

interface Walk {
  unknown: string[];
  failure?: Failure;
}

/**
 * Walks `value` against the schema named `schemaName` (a built-in type), returning unknown fields
 * and the first decode error, and the value with unknown fields dropped.
 */
export function decodeCheck(value: unknown, schemaName: string): DecodeIssues & { pruned: unknown } {
  return decodeCheckAt(value, schemaName, "");
}

/**
 * Same as decodeCheck for a value found at `path` (a field of the root, like `metadata` of a
 * custom resource): paths and Go error contexts are prefixed with it.
 */
export function decodeCheckAt(value: unknown, schemaName: string, path: string): DecodeIssues & { pruned: unknown } {
  const w: Walk = { unknown: [] };
  const root = resolve(schemaName);
  if (!root) throw new Error(`no schema ${schemaName}`);
  let pruned: unknown = value;
  if (!isObject(value)) {
    const where = path ? `Go struct field .${path}` : "Go value";
    w.failure = { message: `json: cannot unmarshal ${jsonKind(value)} into ${where} of type ${goName(schemaName)}`, fatal: true };
  } else {
    pruned = walkStruct(value, schemaName, root, path, path ? path.split(".") : [], w);
  }
  return { unknown: w.unknown, error: w.failure?.message, pruned };
}

/**
 * Checks a built-in kind's request body. Throws ApiError 400 for decode errors and, in Strict
 * mode, for unknown/duplicate fields. `gvk` is the kind the body is decoded as.
 */
export function checkBuiltinFields(
  body: unknown,
  gvk: { group: string; version: string; kind: string },
  opts: FieldCheckOptions,
): FieldCheckResult {
  const name = schemaNameFor(gvk.group, gvk.version, gvk.kind);
  if (!name) throw new Error(`no schema for ${gvk.group}/${gvk.version} ${gvk.kind}`);
  const issues = decodeCheck(body, name);
  const prefix = cannotHandle(body, gvk);
  if (issues.error) throw errors.badRequest(`${prefix}: ${issues.error}`);
  const strict = strictProblems(issues.unknown, opts);
  return finish(issues.pruned as Record<string, unknown>, strict, prefix, opts.mode);
}

/** `Deployment in version "v1" cannot be handled as a Deployment` (kube-apiserver transformDecodeError). */
export function cannotHandle(body: unknown, gvk: { version: string; kind: string }): string {
  let kind = gvk.kind;
  let version = gvk.version;
  if (isObject(body)) {
    if (typeof body.kind === "string" && body.kind) kind = body.kind;
    if (typeof body.apiVersion === "string" && body.apiVersion) version = body.apiVersion.slice(body.apiVersion.indexOf("/") + 1);
  }
  return `${kind} in version ${JSON.stringify(version)} cannot be handled as a ${gvk.kind}`;
}

/** Unknown fields then duplicate fields, as strict-decoding messages. */
export function strictProblems(unknown: string[], opts: FieldCheckOptions): string[] {
  if (opts.mode === "Ignore") return [];
  const out = unknown.map((p) => `unknown field ${JSON.stringify(p)}`);
  if (opts.rawBody) for (const p of findDuplicateFields(opts.rawBody)) out.push(`duplicate field ${JSON.stringify(p)}`);
  return out;
}

/** Applies the mode to strict problems: throw (Strict), warn (Warn) or nothing (Ignore). */
export function finish(object: Record<string, unknown>, strict: string[], prefix: string, mode: FieldValidation): FieldCheckResult {
  if (strict.length && mode === "Strict") throw errors.badRequest(`${prefix}: strict decoding error: ${strict.join(", ")}`);
  return { object, warnings: mode === "Warn" ? strict : [] };
}

// ---------------------------------------------------------------------------------------------

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Go's name for a JSON value in UnmarshalTypeError. */
function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return "array";
  if (typeof v === "boolean") return "bool";
  return typeof v === "number" ? "number" : typeof v === "string" ? "string" : "object";
}

/** `io.k8s.api.apps.v1.DeploymentSpec` → `v1.DeploymentSpec` (Go's reflect type string). */
function goName(schemaName: string): string {
  const parts = schemaName.split(".");
  const short = parts.pop()!;
  if (schemaName === INT_OR_STRING) return "intstr.IntOrString";
  if (schemaName === QUANTITY) return "resource.Quantity";
  if (schemaName.startsWith("io.k8s.apimachinery.pkg.runtime.")) return `runtime.${short}`;
  return `${parts.pop()}.${short}`;
}

function shortName(schemaName: string): string {
  return schemaName.slice(schemaName.lastIndexOf(".") + 1);
}

/** Go type of a (non-dereferenced) property schema, as reflect prints it. */
function goTypeOf(s: Schema): string {
  const r = refOf(s);
  if (r) return goName(r);
  switch (s.type) {
    case "array": return `[]${s.items ? goTypeOf(s.items) : "interface {}"}`;
    case "object":
      if (s.additionalProperties && typeof s.additionalProperties === "object") return `map[string]${goTypeOf(s.additionalProperties)}`;
      return "map[string]interface {}";
    case "string": return s.format === "byte" ? "[]uint8" : "string";
    case "integer": return s.format === "int32" ? "int32" : "int64";
    case "number": return "float64";
    case "boolean": return "bool";
  }
  return "interface {}";
}

/** Element type of a Go slice/map type string (`[]v1.Capability` → `v1.Capability`). */
function elemGoType(t: string): string {
  if (t.startsWith("[]")) return t.slice(2);
  const m = /^map\[[^\]]+\](.+)$/.exec(t);
  return m ? m[1]! : t;
}

/**
 * Where a value is being decoded, for Go-style error messages. Built for every field, read only
 * when something is wrong, so the strings are computed on demand.
 */
class Ctx {
  constructor(
    private readonly schemaName: string,
    private readonly parentStack: string[],
    private readonly key: string,
    private readonly prop: Schema,
    /** How many slice/map element levels below the field (each strips one `[]` / `map[..]`). */
    private readonly elem = 0,
  ) {}
  /** Struct whose field is being decoded (Go's errorContext.Struct). */
  get struct(): string {
    return shortName(this.schemaName);
  }
  /** JSON names of the struct fields leading here (Go's errorContext.FieldStack). */
  get stack(): string[] {
    return [...this.parentStack, this.key];
  }
  /** Go type of the value at this position. */
  get goType(): string {
    let t = goTypeOfField(this.schemaName, this.key) ?? goTypeOf(this.prop);
    for (let i = 0; i < this.elem; i++) t = elemGoType(t);
    return t;
  }
  element(): Ctx {
    return new Ctx(this.schemaName, this.parentStack, this.key, this.prop, this.elem + 1);
  }
}

function typeError(w: Walk, value: unknown, ctx: Ctx, valueText?: string) {
  if (w.failure) return;
  const v = valueText ?? jsonKind(value);
  w.failure = { message: `json: cannot unmarshal ${v} into Go struct field ${ctx.struct}.${ctx.stack.join(".")} of type ${ctx.goType}`, fatal: false };
}

function fatal(w: Walk, message: string) {
  if (!w.failure || !w.failure.fatal) w.failure = { message, fatal: true };
}

function walkStruct(obj: Record<string, unknown>, schemaName: string, schema: Schema, path: string, stack: string[], w: Walk): Record<string, unknown> {
  const props = schema.properties ?? {};
  let out: Record<string, unknown> | undefined;
  for (const key of Object.keys(obj)) {
    const v = obj[key];
    const p = path ? `${path}.${key}` : key;
    const prop = props[key];
    if (!prop) {
      w.unknown.push(p);
      out ??= { ...obj };
      delete out[key];
      continue;
    }
    const nv = walkValue(v, prop, p, new Ctx(schemaName, stack, key, prop), w);
    if (nv !== v) { out ??= { ...obj }; out[key] = nv; }
    if (w.failure?.fatal) break;
  }
  return out ?? obj;
}

function walkValue(v: unknown, s: Schema, path: string, ctx: Ctx, w: Walk): unknown {
  if (v === null || v === undefined) return v;
  const ref = refOf(s);
  if (ref === QUANTITY) {
    if (typeof v === "string" || typeof v === "number") {
      const err = quantityError(String(v));
      if (err) fatal(w, err);
    } else fatal(w, quantityError(JSON.stringify(v))!);
    return v;
  }
  if (ref === INT_OR_STRING) {
    if (typeof v === "string") return v;
    if (typeof v === "number" && Number.isInteger(v) && v >= -2147483648 && v <= 2147483647) return v;
    const valueText = typeof v === "number" ? `number ${v}` : jsonKind(v);
    if (!w.failure?.fatal) w.failure = { message: `json: cannot unmarshal ${valueText} into Go struct field ${ctx.struct}.${ctx.stack.join(".")} of type int32`, fatal: true };
    return v;
  }
  if (ref === TIME || ref === MICRO_TIME) {
    if (typeof v !== "string") {
      if (!w.failure?.fatal) w.failure = { message: `json: cannot unmarshal ${jsonKind(v)} into Go struct field ${ctx.struct}.${ctx.stack.join(".")} of type string`, fatal: true };
      return v;
    }
    const err = rfc3339Error(v);
    if (err) fatal(w, err);
    return v;
  }
  const t = deref(s);
  if (t.type === "object" && t.properties) {
    if (!isObject(v)) { typeError(w, v, ctx); return v; }
    return walkStruct(v, ref ?? ctx.struct, t, path, ctx.stack, w);
  }
  if (t.type === "object" && t.additionalProperties && typeof t.additionalProperties === "object") {
    if (!isObject(v)) { typeError(w, v, ctx); return v; }
    const elem = t.additionalProperties;
    let out: Record<string, unknown> | undefined;
    for (const k of Object.keys(v)) {
      const x = v[k];
      const nx = walkValue(x, elem, `${path}.${k}`, ctx.element(), w);
      if (nx !== x) { out ??= { ...v }; out[k] = nx; }
      if (w.failure?.fatal) break;
    }
    return out ?? v;
  }
  if (t.type === "array") {
    if (!Array.isArray(v)) { typeError(w, v, ctx); return v; }
    let out: unknown[] | undefined;
    const items = t.items ?? {};
    v.forEach((x, i) => {
      if (w.failure?.fatal) return;
      const nx = walkValue(x, items, `${path}[${i}]`, ctx.element(), w);
      if (nx !== x) { out ??= [...v]; out[i] = nx; }
    });
    return out ?? v;
  }
  switch (t.type) {
    case "string":
      if (typeof v !== "string") typeError(w, v, ctx);
      else if (t.format === "byte") { const err = base64Error(v); if (err && !w.failure) w.failure = { message: err, fatal: false }; }
      return v;
    case "integer": {
      if (typeof v !== "number") { typeError(w, v, ctx); return v; }
      const limit = t.format === "int32" ? 2 ** 31 : 2 ** 63;
      if (!Number.isInteger(v) || v < -limit || v >= limit) typeError(w, v, ctx, `number ${v}`);
      return v;
    }
    case "number":
      if (typeof v !== "number") typeError(w, v, ctx);
      return v;
    case "boolean":
      if (typeof v !== "boolean") typeError(w, v, ctx);
      return v;
  }
  // RawExtension, FieldsV1, JSON…: anything goes, nothing is unknown inside.
  return v;
}

