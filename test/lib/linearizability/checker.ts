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
 * Two refinements keep real histories tractable:
 *  - Unknown outcomes (return = +Infinity) may take effect at any point after their call, or
 *    never: they are optional, and the search succeeds once every known op is placed. At each
 *    node the known ops are tried first; the unknown ones are then generated together and
 *    cached before any is explored, so with dominance pruning (memo.ts) a chain u1,u2 is cut by
 *    its sibling u2 instead of exploring every subset of the unknown ops.
 *    Unknown ops with the same Model.equivalenceKey are interchangeable, so a node tries only
 *    the earliest of them.
 *  - Read-only ops (Model.readOnly): if one is legal now and leaves the state as it is,
 *    placing it now is as good as any order (later it could only narrow the state, and moving
 *    it earlier breaks no real-time constraint), so the node gets that single child.
 *    Concurrent reads then never multiply the search.
 * Soundness of both is checked against an exhaustive oracle in oracle.test.ts.
 */
import { buildEntryLists, HEAD, lift, NIL, unlift, validateOperation, type EntryLists } from "./entries.ts";
import { LinearizedSet, StateCache } from "./memo.ts";
import type { CheckOptions, CheckResult, CheckVerdict, IllegalPoint, Model, Operation, PartitionResult } from "./types.ts";

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_STATES = 2_000_000;
const CLOCK_CHECK_EVERY = 1024;

/** Outcome of searching one partition, before it is dressed up as a PartitionResult. */
interface SearchOutcome {
  ok: CheckVerdict;
  linearization?: number[];
  /** Longest prefix reached (op indices) and the op whose return stopped it. */
  bestPrefix: number[];
  stuck: number;
  explored: number;
}

// What the current node does next.
const PURE = 0; // look for a legal read-only op to force
const BRANCH = 1; // try known ops one by one from `cursor`
const CHILDREN = 2; // try its pre-generated unknown-op children
const DEAD = 3; // nothing left: backtrack

function searchPartition<S, I, O>(model: Model<S, I, O>, ops: readonly Operation<I, O>[], deadline: number, maxStates: number): SearchOutcome {
  const n = ops.length;
  const pure = new Uint8Array(n);
  const skip = new Uint8Array(n);
  if (model.readOnly) {
    for (let i = 0; i < n; i++) {
      const o = ops[i]!;
      if (!model.readOnly(o.input, o.output)) continue;
      if (o.return === Infinity) skip[i] = 1; // an observation nobody saw constrains nothing
      else pure[i] = 1;
    }
  }
  const l: EntryLists = buildEntryLists(ops as readonly Operation<unknown, unknown>[], skip);
  const { next, opOf, isReturn, unknown, rank, uhead } = l;
  // Interchangeable unknown ops share a class; a node tries one op per class.
  const classOf = new Int32Array(n);
  const classIds = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    if (!unknown[i] || skip[i]) continue;
    const input = ops[i]!.input;
    const key = model.equivalenceKey ? model.equivalenceKey(input) : JSON.stringify(input);
    let id = classIds.get(key);
    if (id === undefined) classIds.set(key, (id = classIds.size));
    classOf[i] = id;
  }
  const classStamp = new Int32Array(classIds.size);
  let stamp = 0;
  const set = new LinearizedSet(l.knownCount, l.unknownCount, classIds.size);

  const cache = new StateCache<S>(
    set,
    (a, b) => model.equal(a, b),
    (s) => model.hash(s),
  );
  const place = (node: number): void => {
    const op = opOf[node]!;
    if (unknown[op]) set.addUnknown(classOf[op]!);
    else set.addKnown(rank[op]!);
  };
  const unplace = (node: number): void => {
    const op = opOf[node]!;
    if (unknown[op]) set.removeUnknown(classOf[op]!);
    else set.removeKnown(rank[op]!);
  };

  const maxDepth = l.knownCount + l.unknownCount + 1;
  const pathNode = new Int32Array(maxDepth);
  const pathState: S[] = new Array(maxDepth);
  let depth = 0;
  let state = model.init();
  let remainingKnown = l.knownCount;
  // Unknown-op children, per node, on one shared stack: frame d owns [childLo[d], childTop).
  const childNode: number[] = [];
  const childState: S[] = [];
  let childTop = 0;
  const childLo = new Int32Array(maxDepth);
  /** Whether the move made at each depth was forced (a read-only op): then it was the only option. */
  const forcedAt = new Uint8Array(maxDepth);
  /** Scratch: known call nodes in the window that are illegal at the current node. */
  const blocked = new Int32Array(l.knownCount + 1);
  const childNext = new Int32Array(maxDepth);

  // Longest prefix, maintained incrementally: bestOps[0..lowWater) equals the path.
  const bestOps = new Int32Array(maxDepth);
  let bestLen = -1;
  let lowWater = 0;
  let stuck = -1;
  const partial = (ok: CheckVerdict): SearchOutcome => ({ ok, bestPrefix: Array.from(bestOps.subarray(0, Math.max(bestLen, 0))), stuck, explored: cache.size });

  /** Push `node` (already placed in the set) with its new state. */
  const descend = (node: number, newState: S): void => {
    pathNode[depth] = node;
    pathState[depth] = state;
    depth++;
    state = newState;
    if (!unknown[opOf[node]!]) remainingKnown--;
    lift(l, node);
    childLo[depth] = childTop;
  };

  let mode = PURE;
  let cursor = NIL;
  let iterations = 0;
  for (;;) {
    if (remainingKnown === 0) {
      const lin: number[] = new Array(depth);
      for (let i = 0; i < depth; i++) lin[i] = opOf[pathNode[i]!]!;
      return { ok: "Ok", linearization: lin, bestPrefix: lin, stuck: -1, explored: cache.size };
    }
    if (++iterations % CLOCK_CHECK_EVERY === 0 && performance.now() > deadline) return partial("Unknown");
    if (cache.size > maxStates) return partial("Unknown");

    if (mode === PURE) {
      let forced = NIL;
      let forcedState: S | undefined;
      if (model.readOnly) {
        for (let e = next[HEAD]!; e !== NIL && !isReturn[e]; e = next[e]!) {
          const op = opOf[e]!;
          if (!pure[op]) continue;
          const o = ops[op]!;
          const ns = model.step(state, o.input, o.output);
          if (ns === undefined || !model.equal(ns, state)) continue;
          forced = e;
          forcedState = ns;
          break;
        }
      }
      if (forced === NIL) {
        mode = BRANCH;
        cursor = next[HEAD]!;
        continue;
      }
      place(forced);
      if (cache.visit(forcedState as S)) {
        forcedAt[depth] = 1;
        descend(forced, forcedState as S);
        continue;
      }
      unplace(forced);
      mode = DEAD;
    } else if (mode === BRANCH) {
      if (cursor !== NIL && !isReturn[cursor]) {
        const o = ops[opOf[cursor]!]!;
        const ns = model.step(state, o.input, o.output);
        // (A read-only op legal here narrows the state, or PURE would have forced it.)
        if (ns !== undefined) {
          place(cursor);
          if (cache.visit(ns)) {
            forcedAt[depth] = 0;
            descend(cursor, ns);
            mode = PURE;
            continue;
          }
          unplace(cursor);
        }
        cursor = next[cursor]!;
        continue;
      }
      // Known ops exhausted (a pending op's return is reached): generate the unknown-op
      // children among ops called before that return. Children that make some blocked known
      // op legal go first: the others rarely help, and explored after them they are mostly
      // pruned by dominance instead of duplicating the useful child's subtree.
      const stop = cursor === NIL ? Infinity : cursor;
      childNext[depth] = childTop;
      let blockedCount = 0;
      for (let e = next[HEAD]!; e !== NIL && !isReturn[e]; e = next[e]!) {
        const o = ops[opOf[e]!]!;
        if (model.step(state, o.input, o.output) === undefined) blocked[blockedCount++] = e;
      }
      let usefulTop = childTop;
      stamp++;
      for (let u = next[uhead]!; u !== NIL && u < stop; u = next[u]!) {
        const c = classOf[opOf[u]!]!;
        if (classStamp[c] === stamp) continue;
        classStamp[c] = stamp;
        const o = ops[opOf[u]!]!;
        const ns = model.step(state, o.input, o.output);
        if (ns === undefined) continue;
        place(u);
        if (cache.visit(ns)) {
          let useful = false;
          for (let b = 0; b < blockedCount && !useful; b++) {
            const k = ops[opOf[blocked[b]!]!]!;
            useful = model.step(ns, k.input, k.output) !== undefined;
          }
          childNode[childTop] = u;
          childState[childTop] = ns;
          if (useful) {
            // Swap into the useful prefix, keeping both groups in call order.
            for (let j = childTop; j > usefulTop; j--) {
              childNode[j] = childNode[j - 1]!;
              childState[j] = childState[j - 1]!;
            }
            childNode[usefulTop] = u;
            childState[usefulTop] = ns;
            usefulTop++;
          }
          childTop++;
        }
        unplace(u);
      }
      mode = CHILDREN;
      continue;
    } else if (mode === CHILDREN) {
      const i = childNext[depth]!;
      if (i < childTop) {
        childNext[depth] = i + 1;
        place(childNode[i]!);
        forcedAt[depth] = 0;
        descend(childNode[i]!, childState[i]!);
        mode = PURE;
        continue;
      }
      mode = DEAD;
    }

    // Dead end: drop this node's children, record the furthest point, backtrack.
    for (let k = childLo[depth]!; k < childTop; k++) childState[k] = undefined as S;
    childTop = childLo[depth]!;
    if (depth > bestLen) {
      for (let k = lowWater; k < depth; k++) bestOps[k] = opOf[pathNode[k]!]!;
      bestLen = depth;
      lowWater = depth;
      let first = next[HEAD]!;
      while (first !== NIL && !isReturn[first]) first = next[first]!;
      stuck = first === NIL ? -1 : opOf[first]!;
    }
    if (depth === 0) return partial("Illegal");
    depth--;
    if (depth < lowWater) lowWater = depth;
    const node = pathNode[depth]!;
    const op = opOf[node]!;
    state = pathState[depth]!;
    pathState[depth] = undefined as S;
    unplace(node);
    unlift(l, node);
    if (unknown[op]) {
      mode = CHILDREN; // the parent's next unknown-op child
    } else {
      remainingKnown++;
      if (forcedAt[depth]) {
        mode = DEAD; // a forced move failed: the parent has no other option worth trying
      } else {
        mode = BRANCH;
        cursor = next[node]!;
      }
    }
  }
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
