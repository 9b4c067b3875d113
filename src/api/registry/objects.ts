/**
 * @module api/registry/objects
 * Small helpers over API objects as plain JSON: paths, timestamps, names, owner references.
 */
import type { Obj } from "./types.ts";

/** RFC 3339 with second precision, as Kubernetes serialises metav1.Time. */
export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** MicroTime (events.k8s.io eventTime, Lease renewTime): microsecond precision. */
export function rfc3339Micro(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

/** Read a dotted path like "spec.replicas" or "status.conditions". */
export function getPath(obj: Obj | undefined, path: string): unknown {
  let cur: unknown = obj;
  for (const p of path.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Obj)[p];
  }
  return cur;
}

export function setPath(obj: Obj, path: string, value: unknown) {
  const parts = path.split(".");
  let cur = obj;
  for (const p of parts.slice(0, -1)) {
    if (cur[p] === null || typeof cur[p] !== "object") cur[p] = {};
    cur = cur[p];
  }
  cur[parts[parts.length - 1]!] = value;
}

const GENERATE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";
/** Five random characters from Kubernetes' safe alphabet (utilrand.String). */
export function randomSuffix(n = 5): string {
  const bytes = crypto.getRandomValues(new Uint8Array(n));
  let s = "";
  for (const b of bytes) s += GENERATE_ALPHABET[b % GENERATE_ALPHABET.length];
  return s;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a as Obj);
  const kb = Object.keys(b as Obj);
  if (ka.length !== kb.length) return false;
  for (const k of ka) if (!deepEqual((a as Obj)[k], (b as Obj)[k])) return false;
  return true;
}

export function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/** The parts of an object that define its generation: everything but metadata and status. */
export function specPart(o: Obj): Obj {
  const { metadata: _m, status: _s, ...rest } = o;
  return rest;
}

export function controllerRef(o: Obj): Obj | undefined {
  return (o.metadata?.ownerReferences as Obj[] | undefined)?.find((r) => r.controller === true);
}

/** Kubernetes' duration.HumanDuration, used for AGE columns. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.floor(hours / 24) % 365;
    return dy === 0 ? `${Math.floor(hours / 24 / 365)}y` : `${Math.floor(hours / 24 / 365)}y${dy}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

/** AGE cell from a timestamp string, "<unknown>" when absent. */
export function age(ts: string | undefined, now: number): string {
  if (!ts) return "<unknown>";
  const t = Date.parse(ts);
  if (Number.isNaN(t)) return "<unknown>";
  return humanDuration(now - t);
}
