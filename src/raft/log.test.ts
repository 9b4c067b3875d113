import { describe, expect, test } from "bun:test";
import { CompactedError, RaftInvariantError, UnavailableError } from "./errors.ts";
import { RaftLog } from "./log.ts";
import { MemoryStorage } from "./storage.ts";
import type { Entry } from "./types.ts";

const e = (index: number, term: number, data = ""): Entry => ({ index, term, type: "normal", data });
const range = (from: number, to: number, term: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => e(from + i, term, `x${from + i}`));

function logWith(stored: Entry[], unstable: Entry[] = []): RaftLog {
  const s = new MemoryStorage();
  if (stored.length > 0) s.save({ entries: stored });
  const l = new RaftLog(s);
  if (unstable.length > 0) l.append(unstable);
  return l;
}

describe("RaftLog", () => {
  test("findConflict: first mismatch, first new entry, or 0", () => {
    const l = logWith([e(1, 1), e(2, 2), e(3, 3)]);
    expect(l.findConflict([])).toBe(0);
    expect(l.findConflict([e(1, 1), e(2, 2)])).toBe(0);
    expect(l.findConflict([e(2, 2), e(3, 3), e(4, 4)])).toBe(4);
    expect(l.findConflict([e(2, 1), e(3, 4)])).toBe(2);
    expect(l.findConflict([e(3, 1), e(4, 4)])).toBe(3);
  });

  test("findConflictByTerm: largest index with term <= the given term", () => {
    const l = logWith([e(1, 1), e(2, 3), e(3, 3), e(4, 5), e(5, 5)]);
    expect(l.findConflictByTerm(5, 4)).toEqual([3, 3]);
    expect(l.findConflictByTerm(5, 5)).toEqual([5, 5]);
    expect(l.findConflictByTerm(5, 2)).toEqual([1, 1]);
    expect(l.findConflictByTerm(5, 0)).toEqual([0, 0]);
    expect(l.findConflictByTerm(9, 9)).toEqual([9, 0]); // unknown index: unknown term
  });

  test("isUpToDate compares last term first, then last index", () => {
    const l = logWith([e(1, 1), e(2, 2), e(3, 3)]);
    expect(l.isUpToDate(2, 4)).toBe(true);
    expect(l.isUpToDate(3, 3)).toBe(true);
    expect(l.isUpToDate(4, 3)).toBe(true);
    expect(l.isUpToDate(2, 3)).toBe(false);
    expect(l.isUpToDate(9, 2)).toBe(false);
  });

  test("maybeAppend checks the previous entry, truncates conflicts and commits", () => {
    const l = logWith([e(1, 1), e(2, 2), e(3, 3)]);
    expect(l.maybeAppend(3, 2, 3, [e(4, 4)])).toBeUndefined(); // prev term mismatch
    expect(l.maybeAppend(4, 3, 3, [e(5, 4)])).toBeUndefined(); // prev beyond log
    expect(l.maybeAppend(1, 1, 2, [e(2, 4), e(3, 4)])).toBe(3);
    expect(l.term(2)).toBe(4);
    expect(l.committed).toBe(2);
    // commit is capped at the last new entry
    expect(l.maybeAppend(3, 4, 10, [])).toBe(3);
    expect(l.committed).toBe(3);
  });

  test("rewriting a committed entry is an invariant violation", () => {
    const l = logWith([e(1, 1), e(2, 2)]);
    l.commitTo(2);
    expect(() => l.maybeAppend(0, 0, 2, [e(1, 1), e(2, 3)])).toThrow(RaftInvariantError);
  });

  test("commitTo never decreases and never passes the last index", () => {
    const l = logWith([e(1, 1), e(2, 1)]);
    l.commitTo(2);
    l.commitTo(1);
    expect(l.committed).toBe(2);
    expect(() => l.commitTo(3)).toThrow(RaftInvariantError);
  });

  test("committed entries are handed out only once they are stable (etcd #14370)", () => {
    const l = logWith([e(1, 1)], [e(2, 1), e(3, 1)]);
    l.commitTo(3);
    expect(l.nextCommittedEnts().map((x) => x.index)).toEqual([1]);
    l.acceptUnstable();
    (l.storage as MemoryStorage).save({ entries: [e(2, 1), e(3, 1)] });
    l.stableTo(3, 1);
    expect(l.nextCommittedEnts().map((x) => x.index)).toEqual([1, 2, 3]);
    l.acceptApplying(3, 0);
    expect(l.hasNextCommittedEnts()).toBe(false);
    l.appliedTo(3, 0);
    expect(l.applied).toBe(3);
  });

  test("slices span storage and the unstable tail, with a size limit", () => {
    const l = logWith(range(1, 3, 1), range(4, 6, 2));
    expect(l.slice(2, 6, Number.MAX_SAFE_INTEGER).map((x) => x.index)).toEqual([2, 3, 4, 5]);
    const size = e(1, 1, "x1").data.length + 24;
    expect(l.slice(1, 7, size * 2).map((x) => x.index)).toEqual([1, 2]);
    expect(l.slice(3, 7, size * 2).map((x) => x.index)).toEqual([3, 4]);
    expect(() => l.slice(3, 9, 100)).toThrow(RaftInvariantError);
  });

  test("term errors outside [firstIndex-1, lastIndex]", () => {
    const s = new MemoryStorage();
    s.save({ entries: range(1, 5, 1), hardState: { term: 1, vote: 0, commit: 5 } });
    s.createSnapshot(3, { voters: [1], learners: [] }, new Uint8Array());
    s.compact(3);
    const l = new RaftLog(s);
    expect(l.term(3)).toBe(1);
    expect(() => l.term(2)).toThrow(CompactedError);
    expect(() => l.term(6)).toThrow(UnavailableError);
    expect(l.termOrZero(2)).toBe(0);
    expect(() => l.slice(2, 5, 100)).toThrow(CompactedError);
  });

  test("maybeCommit only commits entries of the given term", () => {
    const l = logWith([e(1, 1), e(2, 2)]);
    expect(l.maybeCommit(1, 2)).toBe(false);
    expect(l.maybeCommit(2, 2)).toBe(true);
    expect(l.committed).toBe(2);
  });

  test("restore resets the log to the snapshot", () => {
    const l = logWith([e(1, 1)], [e(2, 1)]);
    l.restore({ metadata: { index: 10, term: 4, confState: { voters: [1], learners: [] } }, data: new Uint8Array() });
    expect(l.lastIndex()).toBe(10);
    expect(l.firstIndex()).toBe(11);
    expect(l.committed).toBe(10);
    expect(l.term(10)).toBe(4);
    expect(l.hasNextCommittedEnts()).toBe(false);
  });
});
