/**
 * @module linearizability/memo
 * Lowe's memoisation for the search: the set of linearized ops and a cache of
 * (linearized set, state) pairs already explored.
 *
 * The set has two parts. Known ops: a bitset by call rank. They are placed roughly in call
 * order, so it is all ones below a low word and all zeros from a high word on; both bounds are
 * kept per depth, and the cache stores only the words in between, which keeps a step's cost
 * independent of the history's length. Unknown-outcome ops: a count per equivalence class
 * (Model.equivalenceKey) — members of a class that have been called are interchangeable, and
 * which ones are called is fixed by the known part, so only how many were used matters.
 * The hash is a Zobrist hash of the known part (xor of a random word per op), updated in O(1).
 *
 * Dominance: unknown ops are optional and never block anything, so (known K, counts U, s) is
 * at least as promising as (K, U', s) when U ≤ U' in every class. A stored pair prunes every
 * pair it dominates; a new pair that dominates a stored one replaces it.
 */

interface Entry<S> {
  lo: number;
  words: Uint32Array;
  unk: Uint16Array;
  state: S;
}

/** Deterministic 32-bit PRNG (mulberry32), so runs are reproducible. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) | 0;
  };
}

export class LinearizedSet {
  readonly known: Uint32Array;
  /** Placed unknown ops per equivalence class. */
  readonly unknown: Uint16Array;
  /** Zobrist hash of the known part. */
  hash = 0;
  /** Words below `lo` are full; words from `hiEx` on are empty. */
  lo = 0;
  hiEx = 0;
  private readonly zob: Int32Array;
  private readonly lastMask: number;
  private readonly loStack: Int32Array;
  private readonly hiStack: Int32Array;
  private depth = 0;

  constructor(readonly knownCount: number, unknownCount: number, classCount: number) {
    this.known = new Uint32Array((knownCount + 31) >>> 5);
    this.unknown = new Uint16Array(classCount);
    this.zob = new Int32Array(knownCount);
    const rand = mulberry32(0x5eed ^ knownCount);
    for (let i = 0; i < knownCount; i++) {
      let z = rand();
      while (z === 0) z = rand();
      this.zob[i] = z;
    }
    const tail = knownCount & 31;
    this.lastMask = tail === 0 ? 0xffffffff : (1 << tail) - 1;
    const depthMax = knownCount + unknownCount + 1;
    this.loStack = new Int32Array(depthMax);
    this.hiStack = new Int32Array(depthMax);
  }

  private full(w: number): number {
    return w === this.known.length - 1 ? this.lastMask : 0xffffffff;
  }

  addKnown(rank: number): void {
    this.loStack[this.depth] = this.lo;
    this.hiStack[this.depth] = this.hiEx;
    this.depth++;
    const w = rank >>> 5;
    this.known[w]! |= 1 << (rank & 31);
    this.hash ^= this.zob[rank]!;
    if (w + 1 > this.hiEx) this.hiEx = w + 1;
    if (w === this.lo) {
      while (this.lo < this.known.length && this.known[this.lo] === this.full(this.lo)) this.lo++;
    }
  }

  removeKnown(rank: number): void {
    this.known[rank >>> 5]! &= ~(1 << (rank & 31));
    this.hash ^= this.zob[rank]!;
    this.depth--;
    this.lo = this.loStack[this.depth]!;
    this.hiEx = this.hiStack[this.depth]!;
  }

  addUnknown(cls: number): void {
    this.unknown[cls]!++;
  }

  removeUnknown(cls: number): void {
    this.unknown[cls]!--;
  }
}

function mix(bitHash: number, stateHash: number): number {
  return (bitHash ^ Math.imul(stateHash | 0, 0x9e3779b1)) | 0;
}

export class StateCache<S> {
  private readonly map = new Map<number, Entry<S>[]>();
  size = 0;

  constructor(
    private readonly set: LinearizedSet,
    private readonly equal: (a: S, b: S) => boolean,
    private readonly hashState: (s: S) => number,
  ) {}

  /**
   * Record (current set, state) unless a stored pair dominates it. Callers add the op to the
   * set first and remove it again when this returns false (pruned).
   */
  visit(state: S): boolean {
    const set = this.set;
    const key = mix(set.hash, this.hashState(state));
    const lo = set.lo;
    const len = Math.max(0, set.hiEx - lo);
    const bucket = this.map.get(key);
    if (bucket !== undefined) {
      for (let i = 0; i < bucket.length; i++) {
        const e = bucket[i]!;
        if (e.lo !== lo || e.words.length !== len || !this.equal(e.state, state)) continue;
        let same = true;
        for (let w = 0; w < len; w++) {
          if (e.words[w] !== set.known[lo + w]) {
            same = false;
            break;
          }
        }
        if (!same) continue;
        const d = unknownDominance(e.unk, set.unknown);
        if (d === 1) return false;
        if (d === -1) {
          e.unk = set.unknown.slice();
          return true;
        }
      }
    }
    const entry: Entry<S> = { lo, words: set.known.slice(lo, lo + len), unk: set.unknown.slice(), state };
    if (bucket === undefined) this.map.set(key, [entry]);
    else bucket.push(entry);
    this.size++;
    return true;
  }
}

/** 1: stored ≤ cand in every class (stored dominates); -1: cand < stored; 0: unrelated. */
function unknownDominance(stored: Uint16Array, cand: Uint16Array): number {
  let storedLe = true;
  let candLe = true;
  for (let c = 0; c < stored.length; c++) {
    const s = stored[c]!;
    const x = cand[c]!;
    if (s === x) continue;
    if (s > x) storedLe = false;
    else candLe = false;
    if (!storedLe && !candLe) return 0;
  }
  return storedLe ? 1 : candLe ? -1 : 0;
}
