/**
 * @module linearizability/report
 * A small text rendering of a check result for test failure messages: the verdict per
 * partition and, when illegal, the ops around the furthest point the search reached — the last
 * ops it could linearize (with the state after each), the op whose response arrived before any
 * legal order could place it, and the ops pending at that point with whether the model accepts
 * each one next.
 */
import type { CheckResult, Model, Operation } from "./types.ts";

export interface RenderOptions {
  /** How many linearized ops to show before the stuck point. Default 8. */
  context?: number;
}

function fmtTime(t: number, t0: number): string {
  return t === Infinity ? "∞" : (t - t0).toFixed(1);
}

export function describeOp<S, I, O>(model: Model<S, I, O>, op: Operation<I, O>): string {
  return model.describeOperation ? model.describeOperation(op.input, op.output) : `${JSON.stringify(op.input)} → ${op.output === undefined ? "?" : JSON.stringify(op.output)}`;
}

function describeState<S, I, O>(model: Model<S, I, O>, s: S): string {
  return model.describeState ? model.describeState(s) : JSON.stringify(s);
}

function opLine<S, I, O>(model: Model<S, I, O>, ops: Operation<I, O>[], i: number, t0: number): string {
  const op = ops[i]!;
  return `#${i} client ${op.clientId} [${fmtTime(op.call, t0)} → ${fmtTime(op.return, t0)} ms] ${describeOp(model, op)}`;
}

/** One-paragraph summary plus, for an Illegal result, the neighbourhood of the first illegal point. */
export function renderResult<S, I, O>(result: CheckResult<S, I, O>, model: Model<S, I, O>, options: RenderOptions = {}): string {
  const lines: string[] = [];
  const counts = { Ok: 0, Illegal: 0, Unknown: 0 };
  for (const p of result.partitions) counts[p.ok]++;
  lines.push(
    `linearizability: ${result.ok} — ${result.partitions.length} partition(s): ${counts.Ok} ok, ${counts.Illegal} illegal, ${counts.Unknown} unknown (${result.elapsedMs.toFixed(0)} ms)`,
  );
  const ill = result.firstIllegal;
  if (!ill) return lines.join("\n");
  const ops = ill.operations;
  const t0 = ops.reduce((m, o) => Math.min(m, o.call), Infinity);
  const context = options.context ?? 8;
  lines.push(`first illegal partition: #${ill.partition}, ${ops.length} ops; the longest linearizable prefix places ${ill.prefix.length} of them.`);
  const from = Math.max(0, ill.prefix.length - context);
  if (from > 0) lines.push(`  … ${from} earlier ops`);
  if (ill.prefix.length === 0) lines.push(`  (nothing could be linearized; initial state ${describeState(model, ill.state)})`);
  for (let k = from; k < ill.prefix.length; k++) {
    lines.push(`  ${opLine(model, ops, ill.prefix[k]!, t0)}   ⇒ ${describeState(model, ill.states[k]!)}`);
  }
  if (ill.stuck >= 0) {
    lines.push(`stuck: ${opLine(model, ops, ill.stuck, t0)}`);
    lines.push(`  returned before any legal order could place it. State there: ${describeState(model, ill.state)}`);
  }
  if (ill.pending.length > 0) {
    lines.push("pending at that point (✓ legal next, ✗ illegal next):");
    const shown = ill.pending.slice(-2 * context);
    if (shown.length < ill.pending.length) lines.push(`  … ${ill.pending.length - shown.length} earlier pending ops`);
    for (const p of shown) lines.push(`  ${p.legal ? "✓" : "✗"} ${opLine(model, ops, p.index, t0)}`);
  }
  return lines.join("\n");
}
