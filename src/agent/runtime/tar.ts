/**
 * @module agent/runtime/tar
 * A minimal ustar writer (regular files, directories, symlinks) for building
 * image root filesystems in memory and feeding them to `podman/docker import`
 * without temp dirs or a tar binary.
 */

export type TarEntry =
  | { type: "file"; path: string; data: Uint8Array; mode?: number }
  | { type: "dir"; path: string; mode?: number }
  | { type: "symlink"; path: string; target: string };

const enc = new TextEncoder();

function field(buf: Uint8Array, off: number, len: number, s: string): void {
  const b = enc.encode(s);
  if (b.length > len) throw new RangeError(`tar field too long: ${s}`);
  buf.set(b, off);
}

function octal(n: number, len: number): string {
  return n.toString(8).padStart(len - 1, "0");
}

function header(path: string, typeflag: string, size: number, mode: number, linkname = ""): Uint8Array {
  const h = new Uint8Array(512);
  let name = path;
  let prefix = "";
  if (enc.encode(name).length > 100) {
    const cut = path.lastIndexOf("/", 155);
    if (cut <= 0) throw new RangeError(`tar path too long: ${path}`);
    prefix = path.slice(0, cut);
    name = path.slice(cut + 1);
  }
  field(h, 0, 100, name);
  field(h, 100, 8, octal(mode, 8));
  field(h, 108, 8, octal(0, 8)); // uid
  field(h, 116, 8, octal(0, 8)); // gid
  field(h, 124, 12, octal(size, 12));
  field(h, 136, 12, octal(0, 12)); // mtime: fixed, so equal content gives equal bytes
  field(h, 148, 8, "        "); // checksum placeholder
  field(h, 156, 1, typeflag);
  field(h, 157, 100, linkname);
  field(h, 257, 6, "ustar");
  field(h, 263, 2, "00");
  field(h, 345, 155, prefix);
  let sum = 0;
  for (const b of h) sum += b;
  field(h, 148, 8, `${octal(sum, 7)}\0`);
  return h;
}

/** Serialises entries into a ustar archive (ends with two zero blocks). */
export function tar(entries: TarEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const e of entries) {
    const p = e.path.replace(/^\/+/, "");
    if (e.type === "file") {
      parts.push(header(p, "0", e.data.length, e.mode ?? 0o644), e.data);
      const pad = (512 - (e.data.length % 512)) % 512;
      if (pad) parts.push(new Uint8Array(pad));
    } else if (e.type === "dir") {
      parts.push(header(p.endsWith("/") ? p : `${p}/`, "5", 0, e.mode ?? 0o755));
    } else {
      parts.push(header(p, "2", 0, 0o777, e.target));
    }
  }
  parts.push(new Uint8Array(1024));
  const total = parts.reduce((n, b) => n + b.length, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const b of parts) {
    out.set(b, off);
    off += b.length;
  }
  return out;
}
