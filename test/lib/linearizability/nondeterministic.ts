/**
 * @module linearizability/nondeterministic
 * The power-set construction (Porcupine's NondeterministicModel.ToModel): a model whose step
 * may lead to several states becomes a deterministic model over *sets* of states. A step maps
 * every state of the set and keeps the distinct results; an empty set is illegal. Sets are
 * arrays without duplicates (by the inner model's hash + equal).
 */
import type { Model, NondeterministicModel } from "./types.ts";

function scramble(h: number): number {
  // A 32-bit finaliser (murmur3 fmix32) so that summing member hashes does not cancel out.
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

export function powerSetModel<S, I, O>(m: NondeterministicModel<S, I, O>): Model<S[], I, O> {
  const addUnique = (set: S[], hashes: number[], s: S): void => {
    const h = m.hash(s);
    for (let i = 0; i < set.length; i++) {
      if (hashes[i] === h && m.equal(set[i]!, s)) return;
    }
    set.push(s);
    hashes.push(h);
  };
  const model: Model<S[], I, O> = {
    init() {
      const set: S[] = [];
      const hashes: number[] = [];
      for (const s of m.init()) addUnique(set, hashes, s);
      return set;
    },
    step(states, input, output) {
      const set: S[] = [];
      const hashes: number[] = [];
      for (const s of states) for (const t of m.step(s, input, output)) addUnique(set, hashes, t);
      return set.length === 0 ? undefined : set;
    },
    equal(a, b) {
      if (a.length !== b.length) return false;
      outer: for (const x of a) {
        for (const y of b) if (m.equal(x, y)) continue outer;
        return false;
      }
      return true;
    },
    hash(states) {
      let h = 0;
      for (const s of states) h = (h + scramble(m.hash(s))) | 0;
      return h;
    },
    describeState(states) {
      const d = m.describeState ?? ((s: S) => JSON.stringify(s));
      return states.length === 1 ? d(states[0]!) : `{${states.map(d).join(" | ")}}`;
    },
  };
  if (m.partition) model.partition = (h) => m.partition!(h);
  if (m.describeOperation) model.describeOperation = (i, o) => m.describeOperation!(i, o);
  return model;
}
