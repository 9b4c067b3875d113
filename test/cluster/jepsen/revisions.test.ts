/** Unit tests of the cross-key revision check (revisions.ts). */
import { describe, expect, it } from "bun:test";
import { checkRevisions, type RevisionEvent } from "./revisions.ts";

const ev = (kind: RevisionEvent["kind"], call: number, ret: number, rev: number, client = 1): RevisionEvent => ({ kind, client, call, ret, rev });

describe("checkRevisions", () => {
  it("accepts revisions that move forward, and overlapping ops in any order", () => {
    expect(
      checkRevisions([ev("write", 0, 10, 5), ev("list", 11, 12, 5), ev("write", 13, 20, 6), ev("list", 15, 30, 5), ev("read", 31, 32, 2), ev("list", 33, 34, 6)]),
    ).toEqual([]);
  });

  it("flags a list that goes back in time, after a write or after another list", () => {
    const v = checkRevisions([ev("write", 0, 10, 7, 1), ev("list", 11, 12, 6, 2), ev("list", 20, 21, 9, 3), ev("list", 22, 23, 8, 4)]);
    expect(v.map((x) => [x.event.client, x.after.client])).toEqual([
      [2, 1],
      [4, 3],
    ]);
    expect(v[0]!.message).toContain("reported revision 6");
  });

  it("flags a write whose revision does not exceed one seen before it started (reads count as floors)", () => {
    expect(checkRevisions([ev("read", 0, 1, 9), ev("write", 2, 3, 9)])).toHaveLength(1);
    expect(checkRevisions([ev("list", 0, 1, 9), ev("write", 2, 3, 10)])).toEqual([]);
  });

  it("never constrains reads (they report the object's own, possibly old, revision)", () => {
    expect(checkRevisions([ev("write", 0, 1, 50), ev("read", 2, 3, 4)])).toEqual([]);
  });
});
