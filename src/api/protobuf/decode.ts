/**
 * @module api/protobuf/decode
 * Turns a Kubernetes protobuf message into the JSON object a JSON client would have sent for the
 * same Go value: fields in Go struct order, Go's encoding/json rules for zero values (`omitempty`
 * drops "", 0, false and empty lists/maps; structs are never omitted; a nil list/map/pointer without
 * omitempty is null), Time as RFC 3339 (null when zero), Quantity and IntOrString as their JSON
 * scalars, bytes as base64, inline structs merged into their parent. Unknown field numbers are
 * skipped (newer clients), wrong wire types are errors.
 */
import { MESSAGES } from "./descriptors.generated.ts";
import {
  ProtobufDecodeError, type RawField, WIRE, readFields, toInt32, toInt64, toUint,
} from "./wire.ts";

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

interface FieldDesc {
  num: number;
  json: string;
  type: string;
  pointer: boolean;
  repeated: boolean;
  omitempty: boolean;
  inline: boolean;
}

interface MessageDesc {
  name: string;
  fields: FieldDesc[];
  byNum: Map<number, FieldDesc>;
}

const parsed = new Map<string, MessageDesc>();

/** Descriptor of a message (`core.v1.ConfigMap`), parsed from the generated table on first use. */
export function messageDesc(name: string): MessageDesc {
  let d = parsed.get(name);
  if (d) return d;
  const spec = MESSAGES[name];
  if (spec === undefined) throw new ProtobufDecodeError("UnknownKind", `no protobuf descriptor for ${name}`);
  const fields: FieldDesc[] = spec === "" ? [] : spec.split(",").map((f) => {
    // number:json:type:flags — the type may contain ':' ({s:Q}), so split from both ends.
    const first = f.indexOf(":"), second = f.indexOf(":", first + 1), last = f.lastIndexOf(":");
    const flags = f.slice(last + 1);
    return {
      num: Number(f.slice(0, first)), json: f.slice(first + 1, second), type: f.slice(second + 1, last),
      pointer: flags.includes("p"), repeated: flags.includes("r"), omitempty: flags.includes("o"), inline: flags.includes("i"),
    };
  });
  d = { name, fields, byNum: new Map(fields.map((f) => [f.num, f])) };
  parsed.set(name, d);
  return d;
}

const utf8 = new TextDecoder();

/** Decodes `bytes` as message `name`. `base` is the absolute offset of `bytes`, for errors. */
export function decodeMessage(bytes: Uint8Array, name: string, base = 0): { [k: string]: Json } {
  const desc = messageDesc(name);
  const seen = new Map<FieldDesc, RawField[]>();
  for (const raw of readFields(bytes, base)) {
    const f = desc.byNum.get(raw.num);
    if (!f) continue; // a field this server does not know (newer client): dropped, like Go.
    const list = seen.get(f);
    if (list) list.push(raw);
    else seen.set(f, [raw]);
  }
  const out: { [k: string]: Json } = {};
  for (const f of desc.fields) {
    const raws = seen.get(f);
    if (f.inline) {
      const nested = raws ? decodeMessage(concatPayloads(raws, f, desc.name), messageOf(f, desc.name), raws[0]!.dataOffset) : zeroStruct(f.type, desc.name);
      Object.assign(out, nested);
      continue;
    }
    let value: Json;
    let empty: boolean;
    if (f.repeated) {
      const items = raws ? decodeRepeated(raws, f, desc.name) : null;
      value = items;
      empty = !items || items.length === 0;
    } else if (f.type.startsWith("{")) {
      const map = raws ? decodeMap(raws, f, desc.name) : null;
      value = map;
      empty = !map || Object.keys(map).length === 0;
    } else if (raws) {
      value = decodeSingle(raws, f, desc.name);
      empty = !f.pointer && isEmptyScalar(value, f.type);
    } else if (f.pointer) {
      value = null;
      empty = true;
    } else {
      value = zeroValue(f.type, desc.name);
      empty = isEmptyScalar(value, f.type);
    }
    if (empty && f.omitempty) continue;
    out[f.json] = value;
  }
  return out;
}

function where(msg: string, f: FieldDesc) {
  return `${msg}.${f.json || "(inline)"}`;
}

function messageOf(f: FieldDesc, msg: string): string {
  if (!f.type.startsWith("@")) throw new ProtobufDecodeError("Invalid", `${where(msg, f)}: inline field of type ${f.type}`);
  return f.type.slice(1);
}

function expectWire(raw: RawField, wire: number, f: FieldDesc, msg: string) {
  if (raw.wire !== wire) throw new ProtobufDecodeError("WireType", `${where(msg, f)}: wire type ${raw.wire}, expected ${wire}`, raw.offset);
}

/** A singular field given several times: messages merge (concatenation), scalars take the last. */
function concatPayloads(raws: RawField[], f: FieldDesc, msg: string): Uint8Array {
  for (const r of raws) expectWire(r, WIRE.BYTES, f, msg);
  if (raws.length === 1) return raws[0]!.bytes!;
  const total = raws.reduce((n, r) => n + r.bytes!.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const r of raws) { out.set(r.bytes!, at); at += r.bytes!.length; }
  return out;
}

const VARINT_TYPES = new Set(["b", "i32", "i64", "u32", "u64"]);

function decodeSingle(raws: RawField[], f: FieldDesc, msg: string): Json {
  const t = f.type;
  if (t.startsWith("@") || isSpecialMessage(t)) {
    return decodeTyped(concatPayloads(raws, f, msg), raws[0]!.dataOffset, t, f, msg);
  }
  return decodeScalar(raws[raws.length - 1]!, t, f, msg);
}

function decodeScalar(raw: RawField, t: string, f: FieldDesc, msg: string): Json {
  if (VARINT_TYPES.has(t)) {
    expectWire(raw, WIRE.VARINT, f, msg);
    return varintValue(raw.varint!, t);
  }
  if (t === "f64") {
    expectWire(raw, WIRE.FIXED64, f, msg);
    return new DataView(raw.bytes!.buffer, raw.bytes!.byteOffset, 8).getFloat64(0, true);
  }
  expectWire(raw, WIRE.BYTES, f, msg);
  if (t === "s") return utf8.decode(raw.bytes!);
  if (t === "y") return Buffer.from(raw.bytes!).toString("base64");
  return decodeTyped(raw.bytes!, raw.dataOffset, t, f, msg);
}

function varintValue(v: bigint, t: string): Json {
  switch (t) {
    case "b": return v !== 0n;
    case "i32": return toInt32(v);
    case "i64": return toInt64(v);
    case "u32": return toUint(v, 32);
    default: return toUint(v, 64);
  }
}

function decodeRepeated(raws: RawField[], f: FieldDesc, msg: string): Json[] {
  const out: Json[] = [];
  for (const raw of raws) {
    if (VARINT_TYPES.has(f.type) && raw.wire === WIRE.BYTES) {
      // packed encoding
      for (const r of readPacked(raw)) out.push(varintValue(r, f.type));
      continue;
    }
    out.push(decodeScalar(raw, f.type, f, msg));
  }
  return out;
}

function readPacked(raw: RawField): bigint[] {
  const out: bigint[] = [];
  const bytes = raw.bytes!;
  let i = 0;
  while (i < bytes.length) {
    let v = 0n, shift = 0n, n = 0;
    for (;;) {
      if (i >= bytes.length || n++ >= 10) throw new ProtobufDecodeError("Truncated", "bad packed varint", raw.dataOffset + i);
      const b = bytes[i++]!;
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) break;
      shift += 7n;
    }
    out.push(BigInt.asUintN(64, v));
  }
  return out;
}

function decodeMap(raws: RawField[], f: FieldDesc, msg: string): { [k: string]: Json } {
  const m = /^\{s:(.+)\}$/.exec(f.type);
  if (!m) throw new ProtobufDecodeError("Invalid", `${where(msg, f)}: bad map type ${f.type}`);
  const valueType = m[1]!;
  const out: { [k: string]: Json } = {};
  for (const raw of raws) {
    expectWire(raw, WIRE.BYTES, f, msg);
    let key = "";
    let val: RawField | undefined;
    for (const e of readFields(raw.bytes!, raw.dataOffset)) {
      if (e.num === 1) { expectWire(e, WIRE.BYTES, f, msg); key = utf8.decode(e.bytes!); }
      else if (e.num === 2) val = e;
    }
    out[key] = val ? decodeScalar(val, valueType, f, msg) : zeroValue(valueType, msg);
  }
  return out;
}

function isSpecialMessage(t: string): boolean {
  return t === "T" || t === "MT" || t === "D" || t === "F" || t === "Q" || t === "IOS" || t === "R" || t === "XV";
}

/** A message-typed value (nested message or one of the special apimachinery types). */
function decodeTyped(bytes: Uint8Array, base: number, t: string, f: FieldDesc, msg: string): Json {
  if (t.startsWith("@")) return decodeMessage(bytes, t.slice(1), base);
  const fields = readFields(bytes, base);
  const get = (n: number) => { let last: RawField | undefined; for (const x of fields) if (x.num === n) last = x; return last; };
  const int = (n: number, wire = WIRE.VARINT) => { const x = get(n); if (!x) return 0n; expectWire(x, wire, f, msg); return x.varint!; };
  const str = (n: number) => { const x = get(n); if (!x) return ""; expectWire(x, WIRE.BYTES, f, msg); return utf8.decode(x.bytes!); };
  const raw = (n: number) => { const x = get(n); if (!x) return undefined; expectWire(x, WIRE.BYTES, f, msg); return x.bytes!; };
  switch (t) {
    case "T":
      // metav1.Time keeps whole seconds; an empty message is the zero time (JSON null).
      return bytes.length === 0 ? null : rfc3339(toInt64(int(1)), 0, false);
    case "MT":
      return bytes.length === 0 ? null : rfc3339(toInt64(int(1)), toInt32(int(2)), true);
    case "D":
      return goDuration(BigInt.asIntN(64, int(1)));
    case "Q": {
      const s = str(1);
      return s === "" ? "0" : s;
    }
    case "IOS":
      return toInt64(int(1)) === 1 ? str(3) : toInt32(int(2));
    case "F":
    case "R": {
      const b = raw(1);
      if (!b || b.length === 0) return null;
      try {
        return JSON.parse(utf8.decode(b)) as Json;
      } catch {
        throw new ProtobufDecodeError("Invalid", `${where(msg, f)}: embedded raw value is not JSON`, base);
      }
    }
    case "XV":
      return fields.filter((x) => x.num === 1).map((x) => { expectWire(x, WIRE.BYTES, f, msg); return utf8.decode(x.bytes!); });
  }
  throw new ProtobufDecodeError("Invalid", `${where(msg, f)}: unknown type ${t}`);
}

/** The JSON of a Go zero value of type `t` (non-pointer). */
function zeroValue(t: string, msg: string): Json {
  switch (t) {
    case "s": return "";
    case "b": return false;
    case "i32": case "i64": case "u32": case "u64": case "f64": return 0;
    case "y": case "XV": case "T": case "MT": case "F": case "R": return null;
    case "D": return "0s";
    case "Q": return "0";
    case "IOS": return 0;
  }
  if (t.startsWith("{")) return null;
  return zeroStruct(t, msg);
}

function zeroStruct(t: string, msg: string): { [k: string]: Json } {
  if (!t.startsWith("@")) throw new ProtobufDecodeError("Invalid", `${msg}: zero struct of ${t}`);
  return decodeMessage(new Uint8Array(0), t.slice(1));
}

/** Go's isEmptyValue for what omitempty drops; structs (even special ones) are never empty. */
function isEmptyScalar(v: Json, t: string): boolean {
  switch (t) {
    case "s": return v === "";
    case "b": return v === false;
    case "i32": case "i64": case "u32": case "u64": case "f64": return v === 0;
    case "y": case "XV": return v === null || (typeof v === "string" && v === "") || (Array.isArray(v) && v.length === 0);
  }
  return false;
}

function pad(n: number, w = 2) {
  return String(n).padStart(w, "0");
}

/** RFC 3339 in UTC: seconds (Time) or microseconds (MicroTime). */
export function rfc3339(seconds: number, nanos: number, micro: boolean): string {
  const d = new Date(seconds * 1000);
  const base = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  return micro ? `${base}.${pad(Math.floor(nanos / 1000), 6)}Z` : `${base}Z`;
}

/** Go's time.Duration.String(). */
export function goDuration(ns: bigint): string {
  if (ns === 0n) return "0s";
  const neg = ns < 0n;
  let u = neg ? -ns : ns;
  let out: string;
  if (u < 1_000_000_000n) {
    const units: [bigint, string][] = [[1_000_000n, "ms"], [1_000n, "µs"], [1n, "ns"]];
    const [div, unit] = units.find(([d]) => u >= d)!;
    out = fraction(u, div) + unit;
  } else {
    const h = u / 3_600_000_000_000n;
    u -= h * 3_600_000_000_000n;
    const m = u / 60_000_000_000n;
    u -= m * 60_000_000_000n;
    out = `${fraction(u, 1_000_000_000n)}s`;
    if (h > 0n || m > 0n) out = `${m}m${out}`;
    if (h > 0n) out = `${h}h${out}`;
  }
  return neg ? `-${out}` : out;
}

function fraction(v: bigint, div: bigint): string {
  const whole = v / div;
  const rest = v % div;
  if (rest === 0n) return String(whole);
  const digits = String(div).length - 1;
  return `${whole}.${String(rest).padStart(digits, "0").replace(/0+$/, "")}`;
}
