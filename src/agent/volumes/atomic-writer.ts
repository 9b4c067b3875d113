/**
 * @module agent/volumes/atomic-writer
 * Writes a set of files into a volume directory so a running container sees either
 * the old set or the new one, never a mix (the kubelet's AtomicWriter): the payload
 * goes into a fresh `..<timestamp>` directory, the `..data` symlink is swapped to it
 * by rename(2), and each top-level name is a symlink through `..data`. An unchanged
 * payload is not rewritten.
 */
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

export interface FileEntry {
  data: Uint8Array;
  /** Permission bits (e.g. 0o644). */
  mode: number;
}

export type Payload = Map<string, FileEntry>;

export class PayloadPathError extends Error {
  override name = "PayloadPathError";
}

const DATA = "..data";

/** A payload path must be relative, without `..` components, and not start with `..`. */
export function checkPayloadPath(p: string): void {
  if (!p || p.startsWith("/") || p.split("/").some((c) => c === ".." || c === "") || p.startsWith("..")) {
    throw new PayloadPathError(`invalid path ${JSON.stringify(p)} in volume payload`);
  }
}

function same(dir: string, payload: Payload): boolean {
  const cur = join(dir, DATA);
  if (!existsSync(cur)) return false;
  const listed = new Set<string>();
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(join(d, e.name), r);
      else listed.add(r);
    }
  };
  try {
    walk(cur, "");
  } catch {
    return false;
  }
  if (listed.size !== payload.size) return false;
  for (const [p, f] of payload) {
    if (!listed.has(p)) return false;
    const full = join(cur, p);
    if ((lstatSync(full).mode & 0o7777) !== f.mode) return false;
    if (!Buffer.from(readFileSync(full)).equals(Buffer.from(f.data))) return false;
  }
  return true;
}

/** Writes `payload` into `dir` atomically. Returns false when nothing changed. */
export function writeAtomic(dir: string, payload: Payload): boolean {
  for (const p of payload.keys()) checkPayloadPath(p);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  if (same(dir, payload)) return false;
  const stamp = `..${new Date().toISOString().replace(/[:.]/g, "_")}.${Math.random().toString(36).slice(2, 8)}`;
  const tsDir = join(dir, stamp);
  mkdirSync(tsDir, { mode: 0o755 });
  for (const [p, f] of payload) {
    const full = join(tsDir, p);
    mkdirSync(dirname(full), { recursive: true, mode: 0o755 });
    writeFileSync(full, f.data);
    chmodSync(full, f.mode);
  }
  const tmp = join(dir, `${DATA}_tmp`);
  rmSync(tmp, { force: true });
  symlinkSync(stamp, tmp);
  renameSync(tmp, join(dir, DATA));
  // User-visible names: one symlink per top-level entry, through ..data.
  const top = new Set([...payload.keys()].map((p) => p.split("/")[0]!));
  for (const name of top) {
    const link = join(dir, name);
    let ok = false;
    try {
      ok = lstatSync(link).isSymbolicLink() && readlinkSync(link) === join(DATA, name);
    } catch {
      /* missing */
    }
    if (!ok) {
      rmSync(link, { force: true, recursive: true });
      symlinkSync(join(DATA, name), link);
    }
  }
  for (const e of readdirSync(dir)) {
    if (e.startsWith("..")) {
      if (e !== DATA && e !== stamp) rmSync(join(dir, e), { recursive: true, force: true });
    } else if (!top.has(e)) {
      try {
        if (lstatSync(join(dir, e)).isSymbolicLink()) unlinkSync(join(dir, e));
      } catch {
        /* gone */
      }
    }
  }
  return true;
}
