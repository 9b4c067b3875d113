/**
 * @module linearizability/kv-model
 * A per-key object store as kite's API exposes it — read, unconditional write, create,
 * compare-and-swap on resourceVersion, delete — where the state carries the key's
 * resourceVersion, so a read that goes back in time, or a write whose resourceVersion does not
 * move forward, is illegal.
 *
 * resourceVersions are kite's global store revisions (modRevision), so per key we only know
 * they strictly increase: every successful write must report one greater than the key's
 * current one. A write whose outcome is unknown leaves the new revision unknown (only a lower
 * bound) unless the history shows it (kv-history.ts); a read that sees the value pins it.
 */
import { annotateKvPartition, INFERRED_RV, UNOBSERVED, type AnnotatedKvInput } from "./kv-history.ts";
import { hashString, partitionBy } from "./keyed.ts";
import type { Model } from "./types.ts";

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
 * "actual resourceVersion > rv" (written by an op whose response was lost), minus the
 * revisions in `not` (ruled out by preconditions that failed against it).
 */
export interface KvState {
  readonly exists: boolean;
  readonly value: string;
  readonly rv: number;
  readonly rvExact: boolean;
  /** Sorted; empty unless present with an inexact rv. */
  readonly not: readonly number[];
  /** For reports only (equal/hash ignore it): the real value behind UNOBSERVED_VALUE. */
  readonly label?: string;
}

export interface KvModelOptions {
  /** Does an unconditional write of an absent key create it (true, default) or answer notFound (false)? */
  writeCreates?: boolean;
}

/** Stored instead of a value no read ever returned (see kv-history.ts). */
export const UNOBSERVED_VALUE = "\u0000unobserved";

const NONE: readonly number[] = [];
const ABSENT: KvState = { exists: false, value: "", rv: 0, rvExact: false, not: NONE };

function absent(floor: number): KvState {
  return { exists: false, value: "", rv: floor, rvExact: false, not: NONE };
}

/** Could the key's actual resourceVersion be `r`? */
function rvMayBe(s: KvState, r: number): boolean {
  return s.rvExact ? s.rv === r : r > s.rv && !s.not.includes(r);
}

/** A precondition on `r` failed against a present key: its revision is not `r`. */
function ruleOut(s: KvState, r: number): KvState {
  if (s.rvExact || r <= s.rv || s.not.includes(r)) return s;
  return { ...s, not: [...s.not, r].sort((a, b) => a - b) };
}

function present(w: Written, rv: number | undefined, floor: number): KvState {
  const s: KvState = rv === undefined ? { exists: true, value: w.value, rv: floor, rvExact: false, not: NONE } : { exists: true, value: w.value, rv, rvExact: true, not: NONE };
  return w.label === undefined ? s : { ...s, label: w.label };
}

/** A newly reported resourceVersion must move past everything the key has had. */
function advances(s: KvState, rv: number | undefined): boolean {
  return rv === undefined || rv > s.rv;
}

/** What a writer stores: its value (or the placeholder) and its new resourceVersion if known. */
interface Written {
  value: string;
  rv: number | undefined;
  label?: string;
}

function written(i: AnnotatedKvInput & { value: string }, out: KvOutput | undefined): Written {
  const rv = (out?.type === "ok" ? out.rv : undefined) ?? i[INFERRED_RV];
  return i[UNOBSERVED] ? { value: UNOBSERVED_VALUE, rv, label: i.value } : { value: i.value, rv };
}

function stepWrite(s: KvState, w: Written, out: KvOutput | undefined, writeCreates: boolean): KvState | undefined {
  if (out === undefined) {
    if (!s.exists && !writeCreates) return s;
    return advances(s, w.rv) ? present(w, w.rv, s.rv) : undefined;
  }
  if (out.type === "ok") return (s.exists || writeCreates) && advances(s, w.rv) ? present(w, w.rv, s.rv) : undefined;
  if (out.type === "notFound") return !s.exists && !writeCreates ? s : undefined;
  return undefined;
}

function stepCreate(s: KvState, w: Written, out: KvOutput | undefined): KvState | undefined {
  if (out === undefined) {
    if (s.exists) return s;
    return advances(s, w.rv) ? present(w, w.rv, s.rv) : undefined;
  }
  if (out.type === "ok") return !s.exists && advances(s, w.rv) ? present(w, w.rv, s.rv) : undefined;
  if (out.type === "exists") return s.exists ? s : undefined;
  return undefined;
}

function stepCas(s: KvState, input: AnnotatedKvInput & { op: "cas" }, w: Written, out: KvOutput | undefined): KvState | undefined {
  const expected = input.expectedRV;
  const mayMatch = s.exists && rvMayBe(s, expected);
  const newRvOk = w.rv === undefined || w.rv > expected;
  if (out === undefined) {
    // Took effect here: it succeeded if it could (the failed branch is the same as the op
    // never having happened, which the checker explores anyway).
    return mayMatch && newRvOk ? present(w, w.rv, expected) : s;
  }
  switch (out.type) {
    case "ok":
      return mayMatch && newRvOk ? present(w, w.rv, expected) : undefined;
    case "conflict":
      return s.exists && !(s.rvExact && s.rv === expected) ? ruleOut(s, expected) : undefined;
    case "notFound":
      return s.exists ? undefined : s;
    default:
      return undefined;
  }
}

function stepDelete(s: KvState, input: AnnotatedKvInput & { op: "delete" }, out: KvOutput | undefined): KvState | undefined {
  const expected = input.expectedRV;
  const preconditionMayHold = expected === undefined || rvMayBe(s, expected);
  if (out === undefined) {
    if (!s.exists || !preconditionMayHold) return s;
    return absent(Math.max(s.rv, expected ?? 0));
  }
  switch (out.type) {
    case "ok": {
      if (!s.exists || !preconditionMayHold) return undefined;
      if (out.prevRV !== undefined && (!rvMayBe(s, out.prevRV) || (expected !== undefined && out.prevRV !== expected))) return undefined;
      const last = Math.max(s.rv, expected ?? 0, out.prevRV ?? 0);
      if (out.rv !== undefined && !(out.rv > last)) return undefined;
      return absent(out.rv ?? last);
    }
    case "notFound":
      return s.exists ? undefined : s;
    case "conflict":
      return s.exists && expected !== undefined && !(s.rvExact && s.rv === expected) ? ruleOut(s, expected) : undefined;
    default:
      return undefined;
  }
}

function stepRead(s: KvState, out: KvOutput | undefined): KvState | undefined {
  if (out === undefined) return s;
  if (out.type === "notFound") return s.exists ? undefined : s;
  if (out.type !== "found") return undefined;
  if (!s.exists || s.value !== out.value || !rvMayBe(s, out.rv)) return undefined;
  return s.rvExact ? s : { ...s, rv: out.rv, rvExact: true, not: NONE };
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
  const value = s.value === UNOBSERVED_VALUE ? `${s.label === undefined ? "<unread value>" : JSON.stringify(s.label)} (never read)` : JSON.stringify(s.value);
  return `${value}@${s.rvExact ? s.rv : `>${s.rv}${s.not.length ? ` not ${s.not.join(",")}` : ""}`}`;
}

/** The per-key object-store model: partitioned by key, each partition annotated (kv-history.ts). */
export function kvModel(options: KvModelOptions = {}): Model<KvState, KvInput, KvOutput> {
  const writeCreates = options.writeCreates ?? true;
  const byKey = partitionBy<KvInput, KvOutput>((i) => i.key);
  return {
    partition: (history) => byKey(history).map(annotateKvPartition),
    init: () => ABSENT,
    step(s, input, out) {
      switch (input.op) {
        case "read":
          return stepRead(s, out);
        case "write":
          return stepWrite(s, written(input, out), out, writeCreates);
        case "create":
          return stepCreate(s, written(input, out), out);
        case "cas":
          return stepCas(s, input, written(input, out), out);
        case "delete":
          return stepDelete(s, input, out);
      }
    },
    // Reads and failed preconditions never enable anything: they leave the state as it is or
    // narrow an unknown resourceVersion (pin it, or rule a value out).
    readOnly: (i, o) => (o === undefined ? i.op === "read" : o.type !== "ok"),
    equivalenceKey(i) {
      const a = i as AnnotatedKvInput;
      if (a.op === "read" || a.op === "delete" || !a[UNOBSERVED]) return JSON.stringify(i) + (a[INFERRED_RV] !== undefined ? `@${a[INFERRED_RV]}` : "");
      return `unobserved ${a.op} ${a.key}${a.op === "cas" ? ` ${a.expectedRV}` : ""}`;
    },
    equal: (a, b) =>
      a === b ||
      (a.exists === b.exists && a.value === b.value && a.rv === b.rv && a.rvExact === b.rvExact && a.not.length === b.not.length && a.not.every((r, i) => r === b.not[i])),
    hash: (s) => (hashString(s.value) ^ Math.imul(s.rv | 0, 0x27d4eb2d) ^ (s.exists ? 0x5bd1e995 : 0) ^ (s.rvExact ? 0x1b873593 : 0) ^ Math.imul(s.not.length, 0x68e31da4)) | 0,
    describeOperation: (i, o) => `${describeKvInput(i)} → ${describeKvOutput(o)}`,
    describeState: describeKvState,
  };
}
