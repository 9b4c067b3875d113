/**
 * @module linearizability/kv-history
 * History annotation for the kite store model, done per key partition before the search (in
 * the spirit of etcd's robustness validate/patch_history.go). It never changes the verdict;
 * it only lets the model and the checker skip work. It relies on what the history itself
 * shows, so it is safe with or without unique write values:
 *
 *  - A write whose value no read ever returned is marked UNOBSERVED: the model stores a
 *    placeholder instead of its value (no read can tell the difference), which makes such
 *    writes interchangeable when their outcome is unknown (see Model.equivalenceKey).
 *  - When a value read back has exactly one possible writer and that writer's response did not
 *    carry a resourceVersion (outcome unknown, or the API omitted it), the writer gets the
 *    resourceVersion the read saw as INFERRED_RV: it is the only revision under which that
 *    read can be legal, since only that writer can have produced the value.
 *
 * Annotations are symbol-keyed properties on copies of the inputs: the caller's history is not
 * touched and JSON exports do not show them.
 */
import type { KvInput, KvOutput } from "./kv-model.ts";
import type { Operation } from "./types.ts";

export const UNOBSERVED: unique symbol = Symbol("kv.unobserved");
export const INFERRED_RV: unique symbol = Symbol("kv.inferredRV");

type Mark = typeof UNOBSERVED | typeof INFERRED_RV;
export type AnnotatedKvInput = KvInput & { [UNOBSERVED]?: true; [INFERRED_RV]?: number };

type KvOp = Operation<KvInput, KvOutput>;

/** Ops that may have written their value: writes/creates/cas that succeeded or whose outcome is unknown. */
function mayWrite(op: KvOp): op is KvOp & { input: { value: string } } {
  const i = op.input;
  if (i.op !== "write" && i.op !== "create" && i.op !== "cas") return false;
  return op.output === undefined || op.output.type === "ok";
}

/** Annotate one key's ops (see the module comment). Annotated ops are copies, the rest are the caller's; order is kept. */
export function annotateKvPartition(ops: readonly KvOp[]): KvOp[] {
  const writers = new Map<string, number[]>();
  const reads = new Map<string, number[]>();
  ops.forEach((op, i) => {
    if (mayWrite(op)) {
      const list = writers.get(op.input.value);
      if (list) list.push(i);
      else writers.set(op.input.value, [i]);
    } else if (op.input.op === "read" && op.output?.type === "found") {
      const list = reads.get(op.output.value);
      if (list) list.push(i);
      else reads.set(op.output.value, [i]);
    }
  });
  const annotations = new Map<number, Partial<Record<Mark, unknown>>>();
  const annotate = (i: number, key: Mark, value: unknown): void => {
    const a = annotations.get(i) ?? {};
    a[key] = value;
    annotations.set(i, a);
  };
  for (const [value, ws] of writers) {
    if (!reads.has(value)) for (const w of ws) annotate(w, UNOBSERVED, true);
  }
  for (const [value, rs] of reads) {
    const ws = writers.get(value) ?? [];
    if (ws.length !== 1) continue;
    const w = ops[ws[0]!]!;
    if (w.output?.type !== "ok" || w.output.rv === undefined) {
      const first = rs.reduce((a, b) => (ops[b]!.call < ops[a]!.call ? b : a));
      const out = ops[first]!.output as { type: "found"; rv: number };
      annotate(ws[0]!, INFERRED_RV, out.rv);
    }
  }
  return ops.map((op, i) => {
    const a = annotations.get(i);
    return a ? { ...op, input: Object.assign({ ...op.input }, a) as KvInput } : op;
  });
}
