/**
 * @module api/protobuf/gen/extract-go-types
 * Dev tool (not used at run time): reads the Go runtime type metadata of a kubectl binary (ELF,
 * non-PIE, Go ≥ 1.21) and returns every struct of k8s.io/api and apimachinery's meta/v1 with its
 * fields' Go types and struct tags (`json:"…" protobuf:"bytes,1,opt,name=…"`). Those tags are what
 * go-to-protobuf writes `generated.proto` from, so they give the field numbers of the wire format.
 *
 * Layout read (internal/abi): Type is 48 bytes (Str nameOff at +40, TFlag at +20, Kind at +23);
 * StructType adds PkgPath (+48) and Fields (+56 ptr, +64 len) of 24-byte StructFields (name ptr,
 * type ptr, offset); named types carry an UncommonType (PkgPath nameOff) after the kind-specific part.
 */
import { readFileSync } from "node:fs";

export interface GoField { name: string; embedded: boolean; tag: string; type: string }
export interface GoTypes {
  /** Full Go name (`k8s.io/api/core/v1.PodSpec`) → fields. */
  structs: Record<string, GoField[]>;
  /** Full Go name of every named type seen → reflect.Kind number. */
  kinds: Record<string, number>;
}

const KIND = { Bool: 1, Int: 2, Int32: 5, Int64: 6, Uint8: 8, Float64: 14, Array: 17, Chan: 18, Func: 19, Interface: 20, Map: 21, Ptr: 22, Slice: 23, String: 24, Struct: 25 };
export { KIND as GO_KIND };

export function extractGoTypes(path: string, keep: (name: string) => boolean): GoTypes {
  const buf = new Uint8Array(readFileSync(path));
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const shoff = Number(dv.getBigUint64(0x28, true));
  const shentsize = dv.getUint16(0x3a, true), shnum = dv.getUint16(0x3c, true), shstrndx = dv.getUint16(0x3e, true);
  const secs: { name: string; nameOff: number; addr: number; off: number; size: number; nobits: boolean }[] = [];
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * shentsize;
    secs.push({ name: "", nameOff: dv.getUint32(o, true), nobits: dv.getUint32(o + 4, true) === 8, addr: Number(dv.getBigUint64(o + 16, true)), off: Number(dv.getBigUint64(o + 24, true)), size: Number(dv.getBigUint64(o + 32, true)) });
  }
  const strtab = secs[shstrndx]!;
  for (const s of secs) { let e = strtab.off + s.nameOff; let n = ""; while (buf[e]) n += String.fromCharCode(buf[e++]!); s.name = n; }
  const rodata = secs.find((s) => s.name === ".rodata"), typelink = secs.find((s) => s.name === ".typelink");
  if (!rodata || !typelink) throw new Error(`${path}: no .rodata/.typelink: not a Go ELF binary?`);
  const a2o = (a: number) => {
    for (const s of secs) if (s.addr && !s.nobits && a >= s.addr && a < s.addr + s.size) return s.off + (a - s.addr);
    throw new Error(`address ${a.toString(16)} outside the file`);
  };
  const base = rodata.addr;
  const td = new TextDecoder();
  const uvarint = (p: number): [number, number] => { let v = 0, sh = 0; for (;;) { const b = buf[p++]!; v |= (b & 0x7f) << sh; sh += 7; if (!(b & 0x80)) return [v, p]; } };
  const readName = (addr: number) => {
    const off = a2o(addr);
    const flags = buf[off]!;
    let [len, p] = uvarint(off + 1);
    const name = td.decode(buf.subarray(p, p + len));
    p += len;
    let tag = "";
    if (flags & 2) { let tl: number; [tl, p] = uvarint(p); tag = td.decode(buf.subarray(p, p + tl)); }
    return { flags, name, tag };
  };
  const u64 = (addr: number) => Number(dv.getBigUint64(a2o(addr), true));
  const names = new Map<number, string>();
  const structs: Record<string, GoField[]> = {};
  const kinds: Record<string, number> = {};
  const pending: number[] = [];

  const typeName = (ta: number): string => {
    const cached = names.get(ta);
    if (cached !== undefined) return cached;
    const to = a2o(ta);
    const tflag = buf[to + 20]!, kind = buf[to + 23]! & 0x1f;
    let s = readName(base + dv.getInt32(to + 40, true)).name;
    if (tflag & 2) s = s.slice(1);
    let res: string;
    if (tflag & 4) {
      // Named: package path from the uncommon part, which follows the kind-specific fields.
      const ucOff: Record<number, number> = { [KIND.Struct]: 80, [KIND.Ptr]: 56, [KIND.Slice]: 56, [KIND.Array]: 72, [KIND.Interface]: 80, [KIND.Chan]: 64, [KIND.Func]: 56, [KIND.Map]: 88 };
      const tryPkg = (o: number) => {
        try { const pn = dv.getInt32(to + o, true); if (!pn) return ""; const n = readName(base + pn).name; return /^[A-Za-z0-9._/-]+$/.test(n) ? n : null; } catch { return null; }
      };
      let pkg: string | null = "";
      if (tflag & 1) {
        pkg = tryPkg(ucOff[kind] ?? 48);
        if (pkg === null && kind === KIND.Map) pkg = tryPkg(112); // Go 1.24 swiss-table MapType
        if (pkg === null) throw new Error(`cannot read the package of ${s}`);
      }
      const short = s.includes(".") ? s.slice(s.lastIndexOf(".") + 1) : s;
      res = pkg ? `${pkg}.${short}` : s;
      kinds[res] = kind;
      names.set(ta, res);
      if (kind === KIND.Struct && !(res in structs)) { structs[res] = []; pending.push(ta); }
      return res;
    }
    if (kind === KIND.Ptr) res = `*${typeName(u64(ta + 48))}`;
    else if (kind === KIND.Slice) res = `[]${typeName(u64(ta + 48))}`;
    else if (kind === KIND.Map) res = `map[${typeName(u64(ta + 48))}]${typeName(u64(ta + 56))}`;
    else res = s;
    names.set(ta, res);
    return res;
  };

  for (let i = 0; i < typelink.size / 4; i++) {
    try { typeName(base + dv.getInt32(typelink.off + i * 4, true)); } catch { /* not a type we can read */ }
  }
  while (pending.length) {
    const ta = pending.pop()!;
    const name = names.get(ta)!;
    const fieldsPtr = u64(ta + 56), n = u64(ta + 64);
    const fields: GoField[] = [];
    for (let i = 0; i < n; i++) {
      const fa = fieldsPtr + i * 24;
      const nm = readName(u64(fa));
      fields.push({ name: nm.name, embedded: (nm.flags & 8) !== 0, tag: nm.tag, type: typeName(u64(fa + 8)) });
    }
    structs[name] = fields;
  }
  const out: GoTypes = { structs: {}, kinds: {} };
  for (const [k, v] of Object.entries(structs)) if (keep(k)) out.structs[k] = v;
  for (const [k, v] of Object.entries(kinds)) if (keep(k)) out.kinds[k] = v;
  return out;
}
