/**
 * @module test/lib/history
 * Records what concurrent clients did, for the linearizability checker
 * (test/lib/linearizability). A client wraps each request:
 *
 *   const op = history.begin(clientId, { op: "write", key, value });
 *   try { const res = await api.put(...); op.end({ type: "ok", rv: res.rv }); }
 *   catch (e) { op.fail(isDefinitelyNotApplied(e) ? false : true); }
 *
 * Times come from performance.now() (monotonic), relative to the recorder's creation.
 * `fail(true)` (outcome unknown: timeout, connection reset, server killed mid-request) keeps
 * the op with return = +Infinity: it may or may not have taken effect. `fail(false)` (the
 * request certainly did nothing, e.g. connection refused before sending) drops it.
 * Ops still open when the history is read are treated as unknown too.
 */
import { checkOperations } from "./linearizability/checker.ts";
import { renderResult, type RenderOptions } from "./linearizability/report.ts";
import type { CheckOptions, CheckResult, Model, Operation } from "./linearizability/types.ts";

/** end/fail called twice, or on an op of another recorder state. */
export class HistoryStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "HistoryStateError";
  }
}

export interface PendingOperation<O> {
  /** Position in begin() order. */
  readonly id: number;
  /** The response arrived: record it now. */
  end(output: O): void;
  /** No response. `unknown`: it may have taken effect (kept, return = +Infinity); otherwise it certainly did not (dropped). */
  fail(unknown: boolean): void;
}

/** JSON form: Infinity is not JSON, so an unknown outcome has `return: null` and no output. */
export interface HistoryJSON<I, O> {
  version: 1;
  operations: { clientId: number; input: I; call: number; output?: O; return: number | null }[];
}

type Slot<I, O> = { op: Operation<I, O>; state: "open" | "done" | "unknown" | "dropped" };

export class History<I, O> {
  private readonly slots: Slot<I, O>[] = [];
  private readonly t0: number;
  private readonly now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.now = options.now ?? (() => performance.now());
    this.t0 = this.now();
  }

  private time(): number {
    return this.now() - this.t0;
  }

  begin(clientId: number, input: I): PendingOperation<O> {
    const slot: Slot<I, O> = { op: { clientId, input, call: this.time(), output: undefined, return: Infinity }, state: "open" };
    const id = this.slots.push(slot) - 1;
    const close = (what: string): void => {
      if (slot.state !== "open") throw new HistoryStateError(`operation ${id} (client ${clientId}) already closed (${slot.state}); cannot ${what}`);
    };
    return {
      id,
      end: (output: O) => {
        close("end");
        if (output === undefined) throw new HistoryStateError(`operation ${id}: end() needs an output; use fail(true) for an unknown outcome`);
        slot.op.return = Math.max(this.time(), slot.op.call);
        slot.op.output = output;
        slot.state = "done";
      },
      fail: (unknown: boolean) => {
        close("fail");
        slot.state = unknown ? "unknown" : "dropped";
      },
    };
  }

  /** Number of ops begun (including dropped ones). */
  get size(): number {
    return this.slots.length;
  }

  /** Ops still waiting for end/fail. */
  get open(): number {
    return this.slots.filter((s) => s.state === "open").length;
  }

  /** The history to check: completed ops and unknown-outcome ops (open ones count as unknown), in begin order. */
  operations(): Operation<I, O>[] {
    const out: Operation<I, O>[] = [];
    for (const s of this.slots) {
      if (s.state === "dropped") continue;
      if (s.state === "done") out.push({ ...s.op });
      else out.push({ clientId: s.op.clientId, input: s.op.input, call: s.op.call, output: undefined, return: Infinity });
    }
    return out;
  }

  toJSON(): HistoryJSON<I, O> {
    return {
      version: 1,
      operations: this.operations().map((o) =>
        o.return === Infinity
          ? { clientId: o.clientId, input: o.input, call: o.call, return: null }
          : { clientId: o.clientId, input: o.input, call: o.call, output: o.output as O, return: o.return },
      ),
    };
  }

  /** Check this history against a model (see checkOperations). */
  check<S>(model: Model<S, I, O>, options?: CheckOptions): CheckResult<S, I, O> {
    return checkOperations(model, this.operations(), options);
  }
}

/** Parse HistoryJSON (e.g. a saved failure report) back into operations. */
export function operationsFromJSON<I, O>(json: HistoryJSON<I, O> | string): Operation<I, O>[] {
  const data = (typeof json === "string" ? JSON.parse(json) : json) as HistoryJSON<I, O>;
  if (data?.version !== 1 || !Array.isArray(data.operations)) throw new TypeError("not a version 1 history JSON");
  return data.operations.map((o) => ({
    clientId: o.clientId,
    input: o.input,
    call: o.call,
    output: o.return === null ? undefined : o.output,
    return: o.return === null ? Infinity : o.return,
  }));
}

/** Text visualisation of a result; for Illegal, the ops around the first illegal point. */
export function formatCheckResult<S, I, O>(result: CheckResult<S, I, O>, model: Model<S, I, O>, options?: RenderOptions): string {
  return renderResult(result, model, options);
}

/**
 * Write `history.json` and `result.txt` into `dir` (created if needed) and return their paths;
 * for failing tests to leave evidence behind.
 */
export async function saveFailureReport<S, I, O>(dir: string, history: History<I, O>, result: CheckResult<S, I, O>, model: Model<S, I, O>): Promise<string[]> {
  const { mkdir } = await import("node:fs/promises");
  await mkdir(dir, { recursive: true });
  const historyPath = `${dir}/history.json`;
  const textPath = `${dir}/result.txt`;
  await Bun.write(historyPath, JSON.stringify(history.toJSON(), null, 1));
  await Bun.write(textPath, renderResult(result, model, { context: 20 }) + "\n");
  return [historyPath, textPath];
}
