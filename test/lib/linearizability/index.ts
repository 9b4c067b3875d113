/**
 * @module linearizability
 * Public surface of the linearizability checker: Porcupine's algorithm (checker.ts), the
 * power-set adapter for nondeterministic models, kite's per-key store model and a plain
 * register (models.ts), and the text report (report.ts). Histories are recorded with
 * test/lib/history.ts.
 */
export * from "./types.ts";
export { checkOperations } from "./checker.ts";
export { powerSetModel } from "./nondeterministic.ts";
export * from "./models.ts";
export { renderResult, describeOp, type RenderOptions } from "./report.ts";
