/**
 * @module linearizability/models
 * Sequential specifications for the checker:
 *  - `kvModel` (kv-model.ts, re-exported): a per-key object store as kite's API exposes it;
 *  - `registerModel`: a plain read/write register, optionally keyed (for tests and examples);
 *  - `partitionBy`: the per-key split, and `hashString` for model hashes.
 */
import { hashString, partitionBy } from "./keyed.ts";
import type { Model } from "./types.ts";

export * from "./keyed.ts";
export * from "./kv-model.ts";

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
    readOnly: (i) => i.op === "read",
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
