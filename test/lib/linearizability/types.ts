/**
 * @module linearizability/types
 * The vocabulary of the linearizability checker, after Porcupine (anishathalye/porcupine
 * model.go): an operation history, a sequential model of the object under test, and the
 * checker's result. No logic lives here beyond the typed errors.
 */

/**
 * One client operation as observed from outside: invoked at `call`, answered at `return`
 * (any monotonic clock, same unit for all ops of a history).
 *
 * An operation whose outcome is unknown (client timeout, connection reset while a write
 * was in flight, process killed) has `return === Infinity` and `output === undefined`:
 * it may have taken effect at any point after its call, or never.
 */
export interface Operation<I, O> {
  clientId: number;
  input: I;
  call: number;
  /** Defined for every op with a finite return time. */
  output: O | undefined;
  return: number;
}

/**
 * A sequential specification. `step` must be pure (never mutate `state`): the checker keeps
 * old states to backtrack. States must not be `undefined`.
 */
export interface Model<S, I, O> {
  /** Split a history into independent sub-histories (P-compositionality), e.g. per key. */
  partition?(history: readonly Operation<I, O>[]): Operation<I, O>[][];
  init(): S;
  /**
   * Apply `input` to `state` given the observed `output` (undefined: outcome unknown, the op
   * took effect here with whatever result the state dictates). Returns the next state, or
   * `undefined` when the output is impossible from this state.
   */
  step(state: S, input: I, output: O | undefined): S | undefined;
  equal(a: S, b: S): boolean;
  /** Any 32-bit integer; equal states must hash equal. */
  hash(state: S): number;
  /**
   * Optional speed-up: true if this (input, output) never enables anything — wherever `step`
   * accepts it, the state it leads to accepts no sequence of later ops that the state before
   * it rejects (a read, a failed precondition; it may narrow what is known, e.g. pin a
   * version). Where such an op is legal and leaves the state equal, the search places it at
   * once without trying other orders (moving it earlier never hurts); unknown-outcome ones are
   * dropped. A wrong `true` makes the checker unsound.
   */
  readOnly?(input: I, output: O | undefined): boolean;
  /**
   * Optional: unknown-outcome ops with equal keys are interchangeable — from every state they
   * step to equal states — so at each point the search tries only one of them. Default:
   * JSON.stringify(input), right for any model whose step reads only the input's JSON data.
   */
  equivalenceKey?(input: I): string;
  describeOperation?(input: I, output: O | undefined): string;
  describeState?(state: S): string;
}

/**
 * A model whose step may lead to several states (etcd's NonDeterministicModel). Turn it into
 * a `Model` with `powerSetModel` (nondeterministic.ts). An empty result means illegal.
 */
export interface NondeterministicModel<S, I, O> {
  partition?(history: readonly Operation<I, O>[]): Operation<I, O>[][];
  init(): S[];
  step(state: S, input: I, output: O | undefined): S[];
  equal(a: S, b: S): boolean;
  hash(state: S): number;
  describeOperation?(input: I, output: O | undefined): string;
  describeState?(state: S): string;
}

export type CheckVerdict = "Ok" | "Illegal" | "Unknown";

export interface PartitionResult<I, O> {
  ok: CheckVerdict;
  /** The partition's operations; every index below points into this array. */
  operations: Operation<I, O>[];
  /** On Ok: one linearization (indices, in linearization order; unknown ops that never took effect are absent). */
  linearization?: number[];
  /** Number of distinct (linearized set, state) pairs the search stored. */
  explored: number;
  elapsedMs: number;
}

/** Where the search got furthest in an illegal partition: Porcupine's longest partial linearization. */
export interface IllegalPoint<S, I, O> {
  /** Index into CheckResult.partitions. */
  partition: number;
  operations: Operation<I, O>[];
  /** The longest linearizable prefix found, as op indices in linearization order. */
  prefix: number[];
  /** Model states after each op of `prefix` (same length). */
  states: S[];
  /** The state after the prefix (the initial state if the prefix is empty). */
  state: S;
  /** The op whose response came before any order could place it: nothing legal fits before it. */
  stuck: number;
  /** Ops pending at that point (called, not linearized, called before `stuck` returned), with whether the model accepts each next. */
  pending: { index: number; legal: boolean }[];
}

export interface CheckResult<S, I, O> {
  ok: CheckVerdict;
  partitions: PartitionResult<I, O>[];
  /** Set when ok === "Illegal": the first illegal partition's furthest point. */
  firstIllegal?: IllegalPoint<S, I, O>;
  elapsedMs: number;
}

export interface CheckOptions {
  /** Overall time budget in ms for all partitions; on expiry the verdict is Unknown (unless a partition was Illegal). Default 10_000. */
  timeoutMs?: number;
  /** Per-partition cap on stored search states (memory guard); on excess the partition is Unknown. Default 2_000_000. */
  maxStates?: number;
}

/** A malformed history: the checker refuses it rather than guess. */
export class HistoryError extends Error {
  constructor(message: string, readonly index?: number) {
    super(index === undefined ? message : `operation ${index}: ${message}`);
    this.name = "HistoryError";
  }
}
