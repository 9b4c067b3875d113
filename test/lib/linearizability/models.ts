/**
 * @module linearizability/models
 * Sequential specifications for the checker:
 *  - `kvModel`: a per-key object store as kite's API exposes it (read, unconditional write,
 *    create, compare-and-swap on resourceVersion, delete), where the state carries the key's
 *    resourceVersion so a read that goes back in time, or a write whose resourceVersion does
 *    not move forward, is illegal;
 *  - `registerModel`: a plain read/write register, optionally keyed (for tests and examples);
 *  - `partitionBy`: the per-key split both use.
 *
 * resourceVersions are kite's global store revisions (modRevision), so per key we only know
 * they strictly increase: every successful write must return one greater than the key's
 * current one. A write whose outcome is unknown leaves the new revision unknown (only a lower
 * bound); the next read that sees the value pins it.
 */
import type { Model, Operation } from "./types.ts";

/** Split a history by a key function, keeping op order; partitions come in first-seen key order. */
export function partitionBy<I, O>(keyOf: (input: I) => string): (history: readonly Operation<I, O>[]) => Operation<I, O>[][] {
  return (history) => {
    const byKey = new Map<string, Operation<I, O>[]>();
    for (const op of history) {
      const k = keyOf(op.input);
      let list = byKey.get(k);
      if (list === undefined) byKey.set(k, (list = []));
      list.push(op);
    }
    return [...byKey.values()];
  };
}

/** FNV-1a over UTF-16 code units, 32-bit. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h | 0;
}

// ---------------------------------------------------------------------------------------------
// kite's per-key object store

export type KvInput =
  | { op: "read"; key: string }
  /** Unconditional PUT (no resourceVersion precondition). */
  | { op: "write"; key: string; value: string }
  /** POST: fails with `exists` when the key is present. */
  | { op: "create"; key: string; value: string }
  /** PUT with a resourceVersion precondition: `conflict` on mismatch, `notFound` when absent. */
  | { op: "cas"; key: string; expectedRV: number; value: string }
  /** DELETE, optionally with a resourceVersion precondition. */
  | { op: "delete"; key: string; expectedRV?: number };

export type KvOutput =
  /** read: the object's value and resourceVersion. */
  | { type: "found"; value: string; rv: number }
  /** read/cas/delete (and write when it cannot create): the key is absent. */
  | { type: "notFound" }
  /**
   * write/create/cas: `rv` is the new resourceVersion (omit if the API did not report it).
   * delete: `prevRV` is the deleted object's resourceVersion, `rv` the revision of the delete (both optional).
   */
  | { type: "ok"; rv?: number; prevRV?: number }
  /** cas/delete: resourceVersion precondition failed (HTTP 409 Conflict). */
  | { type: "conflict" }
  /** create: the key already exists (HTTP 409 AlreadyExists). */
  | { type: "exists" };

/**
 * One key's state. Absent keys keep `rv` as a floor: any later write's resourceVersion must
 * exceed it. Present keys have an exact `rv`, or when `rvExact` is false only the bound
 * "actual resourceVersion > rv" (written by an op whose response was lost).
 */
export interface KvState {
  readonly exists: boolean;
  readonly value: string;
  readonly rv: number;
  readonly rvExact: boolean;
}

export interface KvModelOptions {
  /** Does an unconditional write of an absent key create it (true, default) or answer notFound (false)? */
  writeCreates?: boolean;
}

const ABSENT: KvState = { exists: false, value: "", rv: 0, rvExact: false };

/** Could the key's actual resourceVersion be `r`? */
function rvMayBe(s: KvState, r: number): boolean {
  return s.rvExact ? s.rv === r : r > s.rv;
}

function present(value: string, rv: number | undefined, floor: number): KvState {
  return rv === undefined ? { exists: true, value, rv: floor, rvExact: false } : { exists: true, value, rv, rvExact: true };
}

/** A newly reported resourceVersion must move past everything the key has had. */
function advances(s: KvState, rv: number | undefined): boolean {
  return rv === undefined || rv > s.rv;
}

function stepWrite(s: KvState, value: string, out: KvOutput | undefined, writeCreates: boolean): KvState | undefined {
  if (out === undefined) return !s.exists && !writeCreates ? s : present(value, undefined, s.rv);
  if (out.type === "ok") return (s.exists || writeCreates) && advances(s, out.rv) ? present(value, out.rv, s.rv) : undefined;
  if (out.type === "notFound") return !s.exists && !writeCreates ? s : undefined;
  return undefined;
}

function stepCreate(s: KvState, value: string, out: KvOutput | undefined): KvState | undefined {
  if (out === undefined) return s.exists ? s : present(value, undefined, s.rv);
  if (out.type === "ok") return !s.exists && advances(s, out.rv) ? present(value, out.rv, s.rv) : undefined;
  if (out.type === "exists") return s.exists ? s : undefined;
  return undefined;
}

function stepCas(s: KvState, expected: number, value: string, out: KvOutput | undefined): KvState | undefined {
  if (out === undefined) {
    // Took effect here: it succeeded if the precondition can hold (the failed branch is the
    // same as the op never having happened, which the checker also explores).
    return s.exists && rvMayBe(s, expected) ? present(value, undefined, expected) : s;
  }
  switch (out.type) {
    case "ok":
      if (!s.exists || !rvMayBe(s, expected)) return undefined;
      return out.rv === undefined || out.rv > expected ? present(value, out.rv, expected) : undefined;
    case "conflict":
      return s.exists && !(s.rvExact && s.rv === expected) ? s : undefined;
    case "notFound":
      return s.exists ? undefined : s;
    default:
      return undefined;
  }
}

function stepDelete(s: KvState, expected: number | undefined, out: KvOutput | undefined): KvState | undefined {
  const preconditionMayHold = expected === undefined || rvMayBe(s, expected);
  if (out === undefined) {
    if (!s.exists || !preconditionMayHold) return s;
    return { exists: false, value: "", rv: Math.max(s.rv, expected ?? 0), rvExact: false };
  }
  switch (out.type) {
    case "ok": {
      if (!s.exists || !preconditionMayHold) return undefined;
      if (out.prevRV !== undefined && (!rvMayBe(s, out.prevRV) || (expected !== undefined && out.prevRV !== expected))) return undefined;
      const last = Math.max(s.rv, expected ?? 0, out.prevRV ?? 0);
      if (out.rv !== undefined && !(out.rv > last)) return undefined;
      return { exists: false, value: "", rv: out.rv ?? last, rvExact: false };
    }
    case "notFound":
      return s.exists ? undefined : s;
    case "conflict":
      return s.exists && expected !== undefined && !(s.rvExact && s.rv === expected) ? s : undefined;
    default:
      return undefined;
  }
}

function stepRead(s: KvState, out: KvOutput | undefined): KvState | undefined {
  if (out === undefined) return s;
  if (out.type === "notFound") return s.exists ? undefined : s;
  if (out.type !== "found") return undefined;
  if (!s.exists || s.value !== out.value || !rvMayBe(s, out.rv)) return undefined;
  return s.rvExact ? s : { exists: true, value: s.value, rv: out.rv, rvExact: true };
}

export function describeKvOutput(out: KvOutput | undefined): string {
  if (out === undefined) return "?";
  switch (out.type) {
    case "found":
      return `${JSON.stringify(out.value)}@${out.rv}`;
    case "ok": {
      const parts = [out.prevRV !== undefined ? `prev ${out.prevRV}` : "", out.rv !== undefined ? `rv ${out.rv}` : ""].filter(Boolean);
      return parts.length ? `ok (${parts.join(", ")})` : "ok";
    }
    default:
      return out.type;
  }
}

export function describeKvInput(i: KvInput): string {
  switch (i.op) {
    case "read":
      return `read(${i.key})`;
    case "write":
    case "create":
      return `${i.op}(${i.key}, ${JSON.stringify(i.value)})`;
    case "cas":
      return `cas(${i.key}, rv ${i.expectedRV}, ${JSON.stringify(i.value)})`;
    case "delete":
      return i.expectedRV === undefined ? `delete(${i.key})` : `delete(${i.key}, rv ${i.expectedRV})`;
  }
}

export function describeKvState(s: KvState): string {
  if (!s.exists) return s.rv > 0 ? `absent (rv > ${s.rv})` : "absent";
  return `${JSON.stringify(s.value)}@${s.rvExact ? s.rv : `>${s.rv}`}`;
}

/** The per-key object-store model, partitioned by key. */
export function kvModel(options: KvModelOptions = {}): Model<KvState, KvInput, KvOutput> {
  const writeCreates = options.writeCreates ?? true;
  return {
    partition: partitionBy<KvInput, KvOutput>((i) => i.key),
    init: () => ABSENT,
    step(s, input, out) {
      switch (input.op) {
        case "read":
          return stepRead(s, out);
        case "write":
          return stepWrite(s, input.value, out, writeCreates);
        case "create":
          return stepCreate(s, input.value, out);
        case "cas":
          return stepCas(s, input.expectedRV, input.value, out);
        case "delete":
          return stepDelete(s, input.expectedRV, out);
      }
    },
    equal: (a, b) => a === b || (a.exists === b.exists && a.value === b.value && a.rv === b.rv && a.rvExact === b.rvExact),
    hash: (s) => (hashString(s.value) ^ Math.imul(s.rv | 0, 0x27d4eb2d) ^ (s.exists ? 0x5bd1e995 : 0) ^ (s.rvExact ? 0x1b873593 : 0)) | 0,
    describeOperation: (i, o) => `${describeKvInput(i)} → ${describeKvOutput(o)}`,
    describeState: describeKvState,
  };
}

// ---------------------------------------------------------------------------------------------
// A plain register

export type RegisterValue = string | number | null;
export type RegisterInput = { op: "read"; key?: string } | { op: "write"; key?: string; value: RegisterValue };
/** read: the value seen (null: never written). write: `{}`. */
export type RegisterOutput = { value?: RegisterValue };

/**
 * A read/write register starting at null. With `keyed`, ops are partitioned by `input.key`
 * (a map of independent registers). An unknown-outcome write takes effect or not.
 */
export function registerModel(options: { keyed?: boolean } = {}): Model<RegisterValue, RegisterInput, RegisterOutput> {
  const model: Model<RegisterValue, RegisterInput, RegisterOutput> = {
    init: () => null,
    step(s, input, out) {
      if (input.op === "write") return input.value;
      if (out === undefined) return s;
      return (out.value ?? null) === s ? s : undefined;
    },
    equal: (a, b) => a === b,
    hash: (s) => (s === null ? 0 : typeof s === "number" ? Math.imul(s | 0, 0x9e3779b1) ^ ((s / 4294967296) | 0) : hashString(s)),
    describeOperation: (i, o) =>
      i.op === "write"
        ? `write(${i.key ?? ""}${i.key ? ", " : ""}${JSON.stringify(i.value)})${o === undefined ? " ?" : ""}`
        : `read(${i.key ?? ""}) → ${o === undefined ? "?" : JSON.stringify(o.value ?? null)}`,
    describeState: (s) => JSON.stringify(s),
  };
  if (options.keyed) model.partition = partitionBy<RegisterInput, RegisterOutput>((i) => i.key ?? "");
  return model;
}
