/**
 * @module linearizability/entries
 * The event lists the search walks (Porcupine's makeEntries + makeLinkedEntries). Every op
 * becomes a call entry and, when its outcome is known, a return entry; entries are sorted by
 * time with calls before returns on ties, and numbered 1..m in that order (so a smaller node
 * number means earlier). Two doubly linked lists, held in typed arrays so lift/unlift are O(1)
 * and allocation-free:
 *  - the main list (head node 0): calls and returns of known ops;
 *  - the unknown list (head node m+1): calls of unknown-outcome ops (return = +Infinity), which
 *    have no return entry — nothing ever has to wait for them.
 * Ops are also ranked by call order separately among known and unknown ops, for bitsets.
 */
import { HistoryError, type Operation } from "./types.ts";

export const NIL = -1;
export const HEAD = 0;

export interface EntryLists {
  /** Number of ops in the partition (including skipped ones). */
  n: number;
  knownCount: number;
  unknownCount: number;
  /** Head of the unknown list. */
  uhead: number;
  next: Int32Array;
  prev: Int32Array;
  /** Op index of each node (heads: -1). */
  opOf: Int32Array;
  /** For a known op's call node: its return node; NIL otherwise. */
  match: Int32Array;
  isReturn: Uint8Array;
  /** Per op: 1 if its outcome is unknown. */
  unknown: Uint8Array;
  /** Per op: rank among known ops, or among unknown ops, by call time; -1 if skipped. */
  rank: Int32Array;
}

/** Validate one op's times; throws HistoryError with the op index. */
export function validateOperation(op: Operation<unknown, unknown>, index: number): void {
  if (typeof op.call !== "number" || !Number.isFinite(op.call)) {
    throw new HistoryError(`call time must be a finite number, got ${String(op.call)}`, index);
  }
  if (typeof op.return !== "number" || Number.isNaN(op.return)) {
    throw new HistoryError(`return time must be a number or Infinity, got ${String(op.return)}`, index);
  }
  if (op.return < op.call) {
    throw new HistoryError(`returns (${op.return}) before it is called (${op.call})`, index);
  }
  if (op.return !== Infinity && op.output === undefined) {
    throw new HistoryError("has a finite return time but no output (use return = Infinity for an unknown outcome)", index);
  }
}

/** Build the lists; ops with skip[i] = 1 are left out entirely. */
export function buildEntryLists(ops: readonly Operation<unknown, unknown>[], skip?: Uint8Array): EntryLists {
  const n = ops.length;
  const unknown = new Uint8Array(n);
  const rank = new Int32Array(n).fill(-1);
  const active: number[] = [];
  let knownCount = 0;
  for (let i = 0; i < n; i++) {
    if (ops[i]!.return === Infinity) unknown[i] = 1;
    if (skip?.[i]) continue;
    active.push(i);
    if (!unknown[i]) knownCount++;
  }
  const unknownCount = active.length - knownCount;
  const byCall = active.slice().sort((a, b) => ops[a]!.call - ops[b]!.call || a - b);
  let kr = 0;
  let ur = 0;
  for (const i of byCall) rank[i] = unknown[i] ? ur++ : kr++;

  const m = active.length + knownCount; // entries
  const entryOp = new Int32Array(m);
  const entryIsRet = new Uint8Array(m);
  const entryTime = new Float64Array(m);
  let k = 0;
  for (const i of active) {
    entryOp[k] = i;
    entryTime[k] = ops[i]!.call;
    k++;
    if (!unknown[i]) {
      entryOp[k] = i;
      entryIsRet[k] = 1;
      entryTime[k] = ops[i]!.return;
      k++;
    }
  }
  const order = new Int32Array(m);
  for (let e = 0; e < m; e++) order[e] = e;
  // (time, call before return, entry order): a total order.
  order.sort((a, b) => entryTime[a]! - entryTime[b]! || entryIsRet[a]! - entryIsRet[b]! || a - b);

  const uhead = m + 1;
  const size = m + 2;
  const next = new Int32Array(size).fill(NIL);
  const prev = new Int32Array(size).fill(NIL);
  const opOf = new Int32Array(size).fill(-1);
  const match = new Int32Array(size).fill(NIL);
  const isReturn = new Uint8Array(size);
  const callNode = new Int32Array(n).fill(NIL);
  const returnNode = new Int32Array(n).fill(NIL);
  let lastMain = HEAD;
  let lastUnknown = uhead;
  for (let j = 0; j < m; j++) {
    const node = j + 1;
    const e = order[j]!;
    const op = entryOp[e]!;
    opOf[node] = op;
    if (entryIsRet[e]) {
      isReturn[node] = 1;
      returnNode[op] = node;
    } else {
      callNode[op] = node;
    }
    if (unknown[op]) {
      next[lastUnknown] = node;
      prev[node] = lastUnknown;
      lastUnknown = node;
    } else {
      next[lastMain] = node;
      prev[node] = lastMain;
      lastMain = node;
    }
  }
  for (const i of active) match[callNode[i]!] = returnNode[i]!;
  return { n, knownCount, unknownCount, uhead, next, prev, opOf, match, isReturn, unknown, rank };
}

function unlink(l: EntryLists, node: number): void {
  const p = l.prev[node]!;
  const nx = l.next[node]!;
  l.next[p] = nx;
  if (nx !== NIL) l.prev[nx] = p;
}

function relink(l: EntryLists, node: number): void {
  const p = l.prev[node]!;
  const nx = l.next[node]!;
  l.next[p] = node;
  if (nx !== NIL) l.prev[nx] = node;
}

/** Remove a call node and its return node (if any) from their list. */
export function lift(l: EntryLists, call: number): void {
  unlink(l, call);
  const ret = l.match[call]!;
  if (ret !== NIL) unlink(l, ret);
}

/** Undo the matching lift (lifts and unlifts must be LIFO). */
export function unlift(l: EntryLists, call: number): void {
  const ret = l.match[call]!;
  if (ret !== NIL) relink(l, ret);
  relink(l, call);
}
