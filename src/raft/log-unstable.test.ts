import { describe, expect, test } from "bun:test";
import { Unstable } from "./log-unstable.ts";
import type { Entry, Snapshot } from "./types.ts";

const e = (index: number, term: number): Entry => ({ index, term, type: "normal", data: "" });
const snap = (index: number, term: number): Snapshot => ({
  metadata: { index, term, confState: { voters: [1], learners: [] } },
  data: new Uint8Array(),
});

function unstable(offset: number, entries: Entry[], s?: Snapshot): Unstable {
  const u = new Unstable(offset);
  u.entries = entries;
  u.snapshot = s;
  return u;
}

describe("Unstable", () => {
  test("first index comes only from a snapshot", () => {
    expect(unstable(5, [e(5, 1)]).maybeFirstIndex()).toBeUndefined();
    expect(unstable(5, [e(5, 1)], snap(4, 1)).maybeFirstIndex()).toBe(5);
    expect(unstable(5, [], snap(4, 1)).maybeFirstIndex()).toBe(5);
  });

  test("last index comes from entries, else the snapshot", () => {
    expect(unstable(5, [e(5, 1)]).maybeLastIndex()).toBe(5);
    expect(unstable(5, [e(5, 1)], snap(4, 1)).maybeLastIndex()).toBe(5);
    expect(unstable(5, [], snap(4, 1)).maybeLastIndex()).toBe(4);
    expect(unstable(0, []).maybeLastIndex()).toBeUndefined();
  });

  test("term lookup covers the snapshot index and the entries", () => {
    const u = unstable(5, [e(5, 1), e(6, 2)], snap(4, 1));
    expect(u.maybeTerm(4)).toBe(1);
    expect(u.maybeTerm(6)).toBe(2);
    expect(u.maybeTerm(7)).toBeUndefined();
    expect(u.maybeTerm(3)).toBeUndefined();
    expect(unstable(5, [e(5, 1)]).maybeTerm(4)).toBeUndefined();
  });

  test("accepting hands entries out once; later appends are handed out next", () => {
    const u = unstable(5, [e(5, 1), e(6, 1)]);
    expect(u.nextEntries()).toEqual([e(5, 1), e(6, 1)]);
    u.acceptInProgress();
    expect(u.nextEntries()).toEqual([]);
    u.truncateAndAppend([e(7, 1)]);
    expect(u.nextEntries()).toEqual([e(7, 1)]);
  });

  test("stableTo drops entries up to a matching (index, term) only", () => {
    const u = unstable(5, [e(5, 1), e(6, 1), e(7, 2)]);
    u.acceptInProgress();
    u.stableTo(6, 2); // wrong term: the log was rewritten meanwhile
    expect(u.offset).toBe(5);
    u.stableTo(6, 1);
    expect(u.offset).toBe(7);
    expect(u.entries).toEqual([e(7, 2)]);
    u.stableTo(9, 2); // beyond the log: ignored
    expect(u.entries.length).toBe(1);
  });

  test("stableTo ignores an index that only matches the snapshot", () => {
    const u = unstable(5, [e(5, 1)], snap(4, 1));
    u.stableTo(4, 1);
    expect(u.offset).toBe(5);
    expect(u.entries.length).toBe(1);
  });

  test("truncateAndAppend: append, replace before offset, truncate inside", () => {
    let u = unstable(5, [e(5, 1)]);
    u.truncateAndAppend([e(6, 1), e(7, 1)]);
    expect(u.entries.map((x) => x.index)).toEqual([5, 6, 7]);

    u = unstable(5, [e(5, 1), e(6, 1)]);
    u.acceptInProgress();
    u.truncateAndAppend([e(4, 2), e(5, 2)]);
    expect(u.offset).toBe(4);
    expect(u.offsetInProgress).toBe(4);
    expect(u.entries).toEqual([e(4, 2), e(5, 2)]);

    u = unstable(5, [e(5, 1), e(6, 1), e(7, 1)]);
    u.acceptInProgress();
    u.truncateAndAppend([e(6, 2)]);
    expect(u.entries).toEqual([e(5, 1), e(6, 2)]);
    expect(u.offsetInProgress).toBe(6); // only entry 5 is still being written
    expect(u.nextEntries()).toEqual([e(6, 2)]);
  });

  test("restore replaces everything with the snapshot", () => {
    const u = unstable(5, [e(5, 1)]);
    u.restore(snap(10, 3));
    expect(u.offset).toBe(11);
    expect(u.entries).toEqual([]);
    expect(u.nextSnapshot()?.metadata.index).toBe(10);
    u.acceptInProgress();
    expect(u.nextSnapshot()).toBeUndefined();
    u.stableSnapTo(10);
    expect(u.snapshot).toBeUndefined();
  });

  test("slice out of bounds is an invariant error", () => {
    const u = unstable(5, [e(5, 1)]);
    expect(() => u.slice(4, 6)).toThrow("out of bound");
    expect(() => u.slice(5, 7)).toThrow("out of bound");
    expect(u.slice(5, 6)).toEqual([e(5, 1)]);
  });
});
