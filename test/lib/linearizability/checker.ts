/**
 * @module linearizability/checker
 * Linearizability checking by Wing & Gong's backtracking search with Lowe's memoisation of
 * (linearized set, state), checked per partition (Horn & Kroening's P-compositionality), as
 * Porcupine's checkSingle/checkParallel do (anishathalye/porcupine checker.go).
 *
 * The search walks the entry list from its head. At a call entry it steps the model; if the
 * step is legal and (linearized ∪ {op}, state') is not already in the cache, it pushes the op,
 * lifts its call and return out of the list and restarts from the head. Reaching a return entry
 * means a pending op cannot be placed before its response: backtrack (pop, unlift, try the next
 * entry). An empty stack means illegal; every known op placed means linearizable.
 *
 * Unknown outcomes (return = +Infinity) may take effect at any point after their call, or never,
 * so they are optional: the search succeeds once every *known* op is placed. To keep the search
 * from exploring every subset of them, (1) at each node known ops are tried before unknown ones,
 * and (2) the cache prunes by dominance: a pair (L', s) is skipped when (L, s) was seen with the
 * same known ops and L's unknown ops ⊆ L''s — from (L, s) the same unknown ops can still be
 * placed later or never, and unknown ops never block anything (they have no return entry).
 *
 * Bitsets are Uint32Arrays; the set's hash is a Zobrist hash (xor of a random word per known op)
 * maintained in O(1) per push/pop, so a step allocates only the cache entry it stores.
 */
import { buildEntryList, HEAD, lift, NIL, unlift, validateOperation, type EntryList } from "./entries.ts";
import type { CheckOptions, CheckResult, CheckVerdict, IllegalPoint, Model, Operation, PartitionResult } from "./types.ts";

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_STATES = 2_000_000;
const CLOCK_CHECK_EVERY = 1024;

interface CacheEntry<S> {
  bits: Uint32Array;
  state: S;
}

/** Outcome of searching one partition, before it is dressed up as a PartitionResult. */
interface SearchOutcome {
  ok: CheckVerdict;
  linearization?: number[];
  /** Longest prefix reached (op indices) and the op whose return stopped it. */
  bestPrefix: number[];
  stuck: number;
  explored: number;
}

/** Deterministic 32-bit PRNG (mulberry32) for the Zobrist words: runs are reproducible. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) | 0;
  };
}

function mix(bitHash: number, stateHash: number): number {
  return (bitHash ^ Math.imul(stateHash | 0, 0x9e3779b1)) | 0;
}

/**
 * Compare a stored bitset with a candidate one. Returns 1 if stored dominates (same known ops,
 * stored unknown ⊆ candidate unknown), -1 if the candidate strictly dominates stored, 0 if
 * unrelated.
 */
function dominance(stored: Uint32Array, cand: Uint32Array, knownMask: Uint32Array): number {
  let storedSubset = true;
  let candSubset = true;
  for (let w = 0; w < stored.length; w++) {
    const s = stored[w]!;
    const c = cand[w]!;
    const diff = s ^ c;
    if (diff === 0) continue;
    if ((diff & knownMask[w]!) !== 0) return 0;
    if ((s & ~c) !== 0) storedSubset = false;
    if ((c & ~s) !== 0) candSubset = false;
    if (!storedSubset && !candSubset) return 0;
  }
  if (storedSubset) return 1;
  return candSubset ? -1 : 0;
}

function searchPartition<S, I, O>(
  model: Model<S, I, O>,
  ops: readonly Operation<I, O>[],
  deadline: number,
  maxStates: number,
): SearchOutcome {
  const l: EntryList = buildEntryList(ops as readonly Operation<unknown, unknown>[]);
  const { n, next, opOf, isReturn, unknown } = l;
  const words = (n + 31) >>> 5;
  const bits = new Uint32Array(words);
  const knownMask = new Uint32Array(words);
  const zob = new Int32Array(n);
  const rand = mulberry32(0x5eed ^ n);
  let remainingKnown = 0;
  let unknownCount = 0;
  for (let i = 0; i < n; i++) {
    if (unknown[i]) {
      unknownCount++;
      continue;
    }
    remainingKnown++;
    knownMask[i >>> 5]! |= 1 << (i & 31);
    let z = rand();
    while (z === 0) z = rand();
    zob[i] = z;
  }

  const cache = new Map<number, CacheEntry<S>[]>();
  let explored = 0;
  /** Returns true if (bits, newState) is new (and now stored), false if a stored pair dominates it. */
  const insertOrPrune = (key: number, newState: S): boolean => {
    const bucket = cache.get(key);
    if (bucket === undefined) {
      cache.set(key, [{ bits: bits.slice(), state: newState }]);
      explored++;
      return true;
    }
    for (let i = 0; i < bucket.length; i++) {
      const e = bucket[i]!;
      if (!model.equal(e.state, newState)) continue;
      const d = unknownCount === 0 ? (equalBits(e.bits, bits) ? 1 : 0) : dominance(e.bits, bits, knownMask);
      if (d === 1) return false;
      if (d === -1) {
        e.bits = bits.slice(); // the new pair dominates the stored one: keep only the stronger
        return true;
      }
    }
    bucket.push({ bits: bits.slice(), state: newState });
    explored++;
    return true;
  };

  // The current path: the call node placed at each depth and the state before it.
  const pathNode = new Int32Array(n);
  const pathState: S[] = new Array(n);
  let depth = 0;
  let bitHash = 0;
  let state = model.init();
  // Per path node, once its known ops are exhausted: the unknown-op children, generated (and
  // cached) all at once so that a chain u1,u2 is pruned by its sibling u2 alone.
  const childNode: number[] = [];
  const childState: S[] = [];
  const childHash: number[] = [];
  let childTop = 0;
  const frameLo = new Int32Array(n + 1);
  const frameNext = new Int32Array(n + 1);
  const frameStuck = new Int32Array(n + 1);

  // Longest prefix, maintained incrementally: bestOps[0..lowWater) is known to equal the path.
  const bestOps = new Int32Array(n);
  let bestLen = -1;
  let lowWater = 0;
  let stuck = -1;
  const partial = (ok: CheckVerdict): SearchOutcome => ({ ok, bestPrefix: Array.from(bestOps.subarray(0, Math.max(bestLen, 0))), stuck, explored });

  const descend = (node: number, newState: S, newHash: number): void => {
    const op = opOf[node]!;
    bits[op >>> 5]! |= 1 << (op & 31);
    pathNode[depth] = node;
    pathState[depth] = state;
    depth++;
    state = newState;
    bitHash = newHash;
    if (!unknown[op]) remainingKnown--;
    lift(l, node);
  };

  let scanning = true; // true: trying known ops from `cursor`; false: trying this node's unknown-op children
  let cursor = next[HEAD]!;
  let iterations = 0;
  for (;;) {
    if (remainingKnown === 0) {
      const lin: number[] = new Array(depth);
      for (let i = 0; i < depth; i++) lin[i] = opOf[pathNode[i]!]!;
      return { ok: "Ok", linearization: lin, bestPrefix: lin, stuck: -1, explored };
    }
    if (++iterations % CLOCK_CHECK_EVERY === 0 && performance.now() > deadline) return partial("Unknown");
    if (explored > maxStates) return partial("Unknown");

    if (scanning) {
      if (cursor !== NIL && !isReturn[cursor]) {
        const op = opOf[cursor]!;
        if (!unknown[op]) {
          const o = ops[op]!;
          const newState = model.step(state, o.input, o.output);
          if (newState !== undefined) {
            const w = op >>> 5;
            const bit = 1 << (op & 31);
            bits[w]! |= bit;
            const newHash = bitHash ^ zob[op]!;
            const fresh = insertOrPrune(mix(newHash, model.hash(newState)), newState);
            bits[w]! &= ~bit;
            if (fresh) {
              descend(cursor, newState, newHash);
              cursor = next[HEAD]!;
              continue;
            }
          }
        }
        cursor = next[cursor]!;
        continue;
      }
      // Known ops exhausted at this node (a pending op's return is reached): generate the
      // unknown-op children of the current window.
      frameStuck[depth] = cursor === NIL ? -1 : opOf[cursor]!;
      frameLo[depth] = childTop;
      frameNext[depth] = childTop;
      if (unknownCount > 0) {
        for (let e = next[HEAD]!; e !== NIL && !isReturn[e]; e = next[e]!) {
          const op = opOf[e]!;
          if (!unknown[op]) continue;
          const o = ops[op]!;
          const newState = model.step(state, o.input, o.output);
          if (newState === undefined) continue;
          const w = op >>> 5;
          const bit = 1 << (op & 31);
          bits[w]! |= bit;
          if (insertOrPrune(mix(bitHash, model.hash(newState)), newState)) {
            childNode[childTop] = e;
            childState[childTop] = newState;
            childHash[childTop] = bitHash; // unknown ops do not enter the Zobrist hash
            childTop++;
          }
          bits[w]! &= ~bit;
        }
      }
      scanning = false;
      continue;
    }

    const i = frameNext[depth]!;
    if (i < childTop) {
      frameNext[depth] = i + 1;
      descend(childNode[i]!, childState[i]!, childHash[i]!);
      scanning = true;
      cursor = next[HEAD]!;
      continue;
    }
    // Dead end: drop this node's children, record the furthest point, backtrack.
    for (let k = frameLo[depth]!; k < childTop; k++) childState[k] = undefined as S;
    childTop = frameLo[depth]!;
    if (depth > bestLen) {
      for (let k = lowWater; k < depth; k++) bestOps[k] = opOf[pathNode[k]!]!;
      bestLen = depth;
      lowWater = depth;
      stuck = frameStuck[depth]!;
    }
    if (depth === 0) return partial("Illegal");
    depth--;
    if (depth < lowWater) lowWater = depth;
    const node = pathNode[depth]!;
    const op = opOf[node]!;
    state = pathState[depth]!;
    pathState[depth] = undefined as S;
    bits[op >>> 5]! &= ~(1 << (op & 31));
    bitHash ^= zob[op]!;
    unlift(l, node);
    if (unknown[op]) {
      scanning = false; // continue with the parent's next unknown-op child
    } else {
      remainingKnown++;
      scanning = true;
      cursor = next[node]!;
    }
  }
}

function equalBits(a: Uint32Array, b: Uint32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Replay a prefix to get the states, and classify the ops pending at the stuck point. */
function illegalPoint<S, I, O>(model: Model<S, I, O>, partition: number, ops: Operation<I, O>[], out: SearchOutcome): IllegalPoint<S, I, O> {
  let state = model.init();
  const states: S[] = [];
  const placed = new Set<number>();
  for (const i of out.bestPrefix) {
    const o = ops[i]!;
    const s = model.step(state, o.input, o.output);
    if (s === undefined) throw new Error(`internal: prefix replay failed at op ${i}`);
    state = s;
    states.push(s);
    placed.add(i);
  }
  const deadline = out.stuck >= 0 ? ops[out.stuck]!.return : Infinity;
  const pending: { index: number; legal: boolean }[] = [];
  for (let i = 0; i < ops.length; i++) {
    const o = ops[i]!;
    if (placed.has(i) || o.call > deadline) continue;
    pending.push({ index: i, legal: model.step(state, o.input, o.output) !== undefined });
  }
  pending.sort((a, b) => ops[a.index]!.call - ops[b.index]!.call || a.index - b.index);
  return { partition, operations: ops, prefix: out.bestPrefix, states, state, stuck: out.stuck, pending };
}

/**
 * Check a history against a model. Validates every op first (HistoryError on bad times),
 * splits it with `model.partition`, and searches each partition within the shared time budget.
 * Verdict: Illegal if any partition is illegal, else Unknown if any ran out of budget, else Ok.
 */
export function checkOperations<S, I, O>(
  model: Model<S, I, O>,
  history: readonly Operation<I, O>[],
  options: CheckOptions = {},
): CheckResult<S, I, O> {
  const started = performance.now();
  const deadline = started + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const maxStates = options.maxStates ?? DEFAULT_MAX_STATES;
  history.forEach((op, i) => validateOperation(op as Operation<unknown, unknown>, i));
  const parts = model.partition ? model.partition(history) : [history.slice()];
  const partitions: PartitionResult<I, O>[] = [];
  let firstIllegal: IllegalPoint<S, I, O> | undefined;
  let anyUnknown = false;
  for (let p = 0; p < parts.length; p++) {
    const ops = parts[p]!;
    const t0 = performance.now();
    if (t0 > deadline) {
      partitions.push({ ok: "Unknown", operations: ops, explored: 0, elapsedMs: 0 });
      anyUnknown = true;
      continue;
    }
    const out = searchPartition(model, ops, deadline, maxStates);
    const result: PartitionResult<I, O> = { ok: out.ok, operations: ops, explored: out.explored, elapsedMs: performance.now() - t0 };
    if (out.linearization) result.linearization = out.linearization;
    partitions.push(result);
    if (out.ok === "Unknown") anyUnknown = true;
    if (out.ok === "Illegal" && firstIllegal === undefined) firstIllegal = illegalPoint(model, p, ops, out);
  }
  const ok: CheckVerdict = firstIllegal ? "Illegal" : anyUnknown ? "Unknown" : "Ok";
  const result: CheckResult<S, I, O> = { ok, partitions, elapsedMs: performance.now() - started };
  if (firstIllegal) result.firstIllegal = firstIllegal;
  return result;
}
