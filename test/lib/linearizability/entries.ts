/**
 * @module linearizability/entries
 * The event list the search walks (Porcupine's makeEntries + makeLinkedEntries): every op
 * becomes a call entry and, when its outcome is known, a return entry; entries are sorted by
 * time with calls before returns on ties, then linked into a doubly linked list held in typed
 * arrays (node 0 is the head sentinel, -1 is null) so lift/unlift are O(1) and allocation-free.
 * Ops with an unknown outcome (return = +Infinity) get no return entry: nothing ever has to
 * wait for them.
 */
import { HistoryError, type Operation } from "./types.ts";

export const NIL = -1;
export const HEAD = 0;

export interface EntryList {
  /** Number of ops. */
  n: number;
  next: Int32Array;
  prev: Int32Array;
  /** Op index of each node (node 0: -1). */
  opOf: Int32Array;
  /** For a call node: its return node, or NIL for an unknown-outcome op. NIL for return nodes. */
  match: Int32Array;
  isReturn: Uint8Array;
  /** Per op: 1 if its outcome is unknown (return = +Infinity). */
  unknown: Uint8Array;
  /** Per op: its call node. */
  callNode: Int32Array;
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

export function buildEntryList(ops: readonly Operation<unknown, unknown>[]): EntryList {
  const n = ops.length;
  const unknown = new Uint8Array(n);
  let known = 0;
  for (let i = 0; i < n; i++) {
    if (ops[i]!.return === Infinity) unknown[i] = 1;
    else known++;
  }
  const m = n + known; // entries
  // Entry e < n: call of op e; entry e >= n: return of the op listed in retOp.
  const entryOp = new Int32Array(m);
  const entryIsRet = new Uint8Array(m);
  const entryTime = new Float64Array(m);
  let k = 0;
  for (let i = 0; i < n; i++) {
    entryOp[k] = i;
    entryTime[k] = ops[i]!.call;
    k++;
  }
  for (let i = 0; i < n; i++) {
    if (unknown[i]) continue;
    entryOp[k] = i;
    entryIsRet[k] = 1;
    entryTime[k] = ops[i]!.return;
    k++;
  }
  const order = new Int32Array(m);
  for (let e = 0; e < m; e++) order[e] = e;
  // Stable on (time, call before return, original order) — a total order, so sort stability is moot.
  order.sort((a, b) => entryTime[a]! - entryTime[b]! || entryIsRet[a]! - entryIsRet[b]! || a - b);

  const size = m + 1;
  const next = new Int32Array(size);
  const prev = new Int32Array(size);
  const opOf = new Int32Array(size);
  const match = new Int32Array(size).fill(NIL);
  const isReturn = new Uint8Array(size);
  const callNode = new Int32Array(n);
  const returnNode = new Int32Array(n).fill(NIL);
  opOf[HEAD] = -1;
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
    prev[node] = node - 1;
    next[node] = node + 1 < size ? node + 1 : NIL;
  }
  prev[HEAD] = NIL;
  next[HEAD] = m > 0 ? 1 : NIL;
  for (let i = 0; i < n; i++) match[callNode[i]!] = returnNode[i]!;
  return { n, next, prev, opOf, match, isReturn, unknown, callNode };
}

function unlink(l: EntryList, node: number): void {
  const p = l.prev[node]!;
  const nx = l.next[node]!;
  l.next[p] = nx;
  if (nx !== NIL) l.prev[nx] = p;
}

function relink(l: EntryList, node: number): void {
  const p = l.prev[node]!;
  const nx = l.next[node]!;
  l.next[p] = node;
  if (nx !== NIL) l.prev[nx] = node;
}

/** Remove a call node and its return node (if any) from the list. */
export function lift(l: EntryList, call: number): void {
  unlink(l, call);
  const ret = l.match[call]!;
  if (ret !== NIL) unlink(l, ret);
}

/** Undo the matching lift (lifts and unlifts must be LIFO). */
export function unlift(l: EntryList, call: number): void {
  const ret = l.match[call]!;
  if (ret !== NIL) relink(l, ret);
  relink(l, call);
}
