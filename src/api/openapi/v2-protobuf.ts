/**
 * @module api/openapi/v2-protobuf
 * Encodes a Swagger 2.0 document (v2.ts) as gnostic's `openapi.v2.Document` protobuf, the body
 * kubectl wants from `GET /openapi/v2` (Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf).
 * Hand-written against google/gnostic openapiv2/OpenAPIv2.proto (proto3: zero values are left out);
 * vendor extensions are `NamedAny{name, Any{yaml}}` with the value written as YAML.
 * Serve the bytes as `Content-Type: application/octet-stream` (kubectl-wire.md §3.3).
 */
import { openApiV2Doc, type SwaggerDoc, type V2Options } from "./v2.ts";
import type { ResourceInfo } from "./types.ts";
import { OpenApiError } from "./types.ts";
import { etagOf } from "./v3.ts";

/** Minimal protobuf writer: fields are appended in call order. */
class Writer {
  private buf = new Uint8Array(256);
  private len = 0;

  private ensure(n: number) {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  varint(v: number) {
    if (!Number.isSafeInteger(v) || v < 0) throw new OpenApiError(`cannot encode ${v} as varint`);
    this.ensure(10);
    while (v > 0x7f) {
      this.buf[this.len++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.len++] = v;
  }

  tag(field: number, wire: number) {
    this.varint(field * 8 + wire);
  }

  raw(bytes: Uint8Array) {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }

  string(field: number, s: string | undefined) {
    if (!s) return;
    const b = new TextEncoder().encode(s);
    this.tag(field, 2);
    this.varint(b.length);
    this.raw(b);
  }

  strings(field: number, list: readonly string[] | undefined) {
    // repeated string: every element is written, empty ones too.
    for (const s of list ?? []) {
      const b = new TextEncoder().encode(s);
      this.tag(field, 2);
      this.varint(b.length);
      this.raw(b);
    }
  }

  bool(field: number, v: boolean | undefined) {
    if (!v) return;
    this.tag(field, 0);
    this.varint(1);
  }

  int64(field: number, v: number | undefined) {
    if (v === undefined || v === 0) return;
    this.tag(field, 0);
    this.varint(v);
  }

  double(field: number, v: number | undefined) {
    if (v === undefined || v === 0) return;
    this.tag(field, 1);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, true);
    this.raw(b);
  }

  message(field: number, fill: (w: Writer) => void, always = false) {
    const w = new Writer();
    fill(w);
    if (!w.len && !always) return;
    this.tag(field, 2);
    this.varint(w.len);
    this.raw(w.buf.subarray(0, w.len));
  }

  bytes(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);

/** A value as YAML text (JSON is valid YAML; top-level maps are written in block style). */
export function yamlOf(v: unknown): string {
  if (v && typeof v === "object" && !Array.isArray(v)) {
    return Object.entries(v as Obj).map(([k, x]) => `${k}: ${JSON.stringify(x)}\n`).join("");
  }
  return `${JSON.stringify(v)}\n`;
}

/** `repeated NamedAny vendor_extension` for every `x-` key of `o`. */
function vendorExtensions(w: Writer, field: number, o: Obj) {
  for (const [k, v] of Object.entries(o)) {
    if (!k.startsWith("x-")) continue;
    w.message(field, (na) => {
      na.string(1, k);
      na.message(2, (any) => any.string(2, yamlOf(v)), true);
    }, true);
  }
}

function encodeSchema(w: Writer, s: Obj) {
  w.string(1, str(s.$ref));
  w.string(2, str(s.format));
  w.string(3, str(s.title));
  w.string(4, str(s.description));
  if (s.default !== undefined) w.message(5, (any) => any.string(2, yamlOf(s.default)), true);
  w.double(6, num(s.multipleOf));
  w.double(7, num(s.maximum));
  w.bool(8, s.exclusiveMaximum === true);
  w.double(9, num(s.minimum));
  w.bool(10, s.exclusiveMinimum === true);
  w.int64(11, num(s.maxLength));
  w.int64(12, num(s.minLength));
  w.string(13, str(s.pattern));
  w.int64(14, num(s.maxItems));
  w.int64(15, num(s.minItems));
  w.strings(19, Array.isArray(s.required) ? (s.required as string[]) : undefined);
  for (const e of Array.isArray(s.enum) ? s.enum : []) w.message(20, (any) => any.string(2, yamlOf(e)), true);
  if (s.additionalProperties !== undefined) {
    const ap = s.additionalProperties;
    w.message(21, (item) => {
      if (typeof ap === "boolean") { item.tag(2, 0); item.varint(ap ? 1 : 0); }
      else item.message(1, (sw) => encodeSchema(sw, obj(ap)), true);
    }, true);
  }
  if (typeof s.type === "string") w.message(22, (t) => t.strings(1, [s.type as string]), true);
  if (s.items !== undefined) {
    const items = Array.isArray(s.items) ? s.items : [s.items];
    w.message(23, (it) => { for (const x of items) it.message(1, (sw) => encodeSchema(sw, obj(x)), true); }, true);
  }
  for (const x of Array.isArray(s.allOf) ? s.allOf : []) w.message(24, (sw) => encodeSchema(sw, obj(x)), true);
  if (s.properties !== undefined) {
    w.message(25, (props) => {
      for (const [k, v] of Object.entries(obj(s.properties))) {
        props.message(1, (ns) => { ns.string(1, k); ns.message(2, (sw) => encodeSchema(sw, obj(v)), true); }, true);
      }
    }, true);
  }
  vendorExtensions(w, 31, s);
}

function encodeParam(w: Writer, p: Obj) {
  // ParametersItem{parameter=1: Parameter{body_parameter=1 | non_body_parameter=2}}
  w.message(1, (param) => {
    if (p.in === "body") {
      param.message(1, (b) => {
        b.string(1, str(p.description));
        b.string(2, str(p.name));
        b.string(3, "body");
        b.bool(4, p.required === true);
        b.message(5, (sw) => encodeSchema(sw, obj(p.schema)), true);
      }, true);
      return;
    }
    param.message(2, (nb) => {
      if (p.in === "query") {
        nb.message(3, (q) => {
          q.bool(1, p.required === true);
          q.string(2, "query");
          q.string(3, str(p.description));
          q.string(4, str(p.name));
          q.string(6, str(p.type));
          q.bool(20, p.uniqueItems === true);
        }, true);
      } else if (p.in === "path") {
        nb.message(4, (q) => {
          q.bool(1, true);
          q.string(2, "path");
          q.string(3, str(p.description));
          q.string(4, str(p.name));
          q.string(5, str(p.type));
          q.bool(19, p.uniqueItems === true);
        }, true);
      } else {
        throw new OpenApiError(`unsupported parameter location ${String(p.in)}`);
      }
    }, true);
  }, true);
}

function encodeOperation(w: Writer, op: Obj) {
  w.strings(1, op.tags as string[] | undefined);
  w.string(2, str(op.summary));
  w.string(3, str(op.description));
  w.string(5, str(op.operationId));
  w.strings(6, op.produces as string[] | undefined);
  w.strings(7, op.consumes as string[] | undefined);
  for (const p of (op.parameters as Obj[] | undefined) ?? []) w.message(8, (pi) => encodeParam(pi, p), true);
  w.message(9, (rs) => {
    for (const [code, r] of Object.entries(obj(op.responses))) {
      rs.message(1, (nr) => {
        nr.string(1, code);
        nr.message(2, (rv) => rv.message(1, (resp) => {
          resp.string(1, str(obj(r).description));
          if (obj(r).schema) resp.message(2, (si) => si.message(1, (sw) => encodeSchema(sw, obj(obj(r).schema)), true), true);
        }, true), true);
      }, true);
    }
  }, true);
  w.strings(10, op.schemes as string[] | undefined);
  vendorExtensions(w, 13, op);
}

const METHOD_FIELDS: Record<string, number> = { get: 2, put: 3, post: 4, delete: 5, options: 6, head: 7, patch: 8 };

function encodePathItem(w: Writer, item: Obj) {
  for (const [method, field] of Object.entries(METHOD_FIELDS)) {
    if (item[method]) w.message(field, (ow) => encodeOperation(ow, obj(item[method])), true);
  }
  for (const p of (item.parameters as Obj[] | undefined) ?? []) w.message(9, (pi) => encodeParam(pi, p), true);
  vendorExtensions(w, 10, item);
}

/** gnostic `openapi.v2.Document` bytes of a Swagger 2.0 document. */
export function encodeOpenApiV2(doc: SwaggerDoc): Uint8Array {
  const w = new Writer();
  w.string(1, doc.swagger);
  w.message(2, (info) => { info.string(1, doc.info.title); info.string(2, doc.info.version); }, true);
  w.message(8, (paths) => {
    for (const [name, item] of Object.entries(doc.paths)) {
      paths.message(2, (np) => { np.string(1, name); np.message(2, (iw) => encodePathItem(iw, item), true); }, true);
    }
  }, true);
  w.message(9, (defs) => {
    for (const [name, s] of Object.entries(doc.definitions)) {
      defs.message(1, (ns) => { ns.string(1, name); ns.message(2, (sw) => encodeSchema(sw, s), true); }, true);
    }
  }, true);
  for (const req of doc.security ?? []) {
    // SecurityRequirement{additional_properties=1: NamedStringArray{name=1, value=2: StringArray{value=1}}}
    w.message(12, (sr) => {
      for (const [name, scopes] of Object.entries(obj(req))) {
        sr.message(1, (nsa) => { nsa.string(1, name); nsa.message(2, (sa) => sa.strings(1, scopes as string[]), true); }, true);
      }
    }, true);
  }
  if (doc.securityDefinitions) {
    // SecurityDefinitions{additional_properties=1: NamedSecurityDefinitionsItem{name, value: {api_key_security=2}}}
    w.message(13, (sd) => {
      for (const [name, def] of Object.entries(doc.securityDefinitions!)) {
        const d = obj(def);
        if (d.type !== "apiKey") continue;
        sd.message(1, (n) => {
          n.string(1, name);
          n.message(2, (item) => item.message(2, (k) => {
            k.string(1, "apiKey");
            k.string(2, str(d.name));
            k.string(3, str(d.in));
            k.string(4, str(d.description));
          }, true), true);
        }, true);
      }
    });
  }
  return w.bytes();
}

export interface V2Protobuf {
  bytes: Uint8Array;
  /** Upper-case hex SHA-512 of the bytes, for an ETag. */
  hash: string;
}

const cache = new Map<string, V2Protobuf>();

/** The protobuf `/openapi/v2` body for `resources` (memoised on its inputs). */
export function openApiV2Protobuf(resources: ResourceInfo[], opts: V2Options = {}): V2Protobuf {
  const key = JSON.stringify([resources, opts]);
  const hit = cache.get(key);
  if (hit) return hit;
  const bytes = encodeOpenApiV2(openApiV2Doc(resources, opts));
  const out = { bytes, hash: etagOf(bytes) };
  if (cache.size >= 16) cache.delete(cache.keys().next().value!);
  cache.set(key, out);
  return out;
}
