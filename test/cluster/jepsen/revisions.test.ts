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

  it("does not hold reads to the store's revision (they report the object's own), only to the client's earlier reads of the key", () => {
    expect(checkRevisions([ev("write", 0, 1, 50), ev("read", 2, 3, 4)])).toEqual([]);
    const read = (client: number, key: string, call: number, rev: number): RevisionEvent => ({ kind: "read", client, key, call, ret: call + 1, rev });
    expect(checkRevisions([read(1, "a", 0, 9), read(1, "b", 2, 3), read(2, "a", 4, 5), read(1, "a", 6, 9)])).toEqual([]);
    const v = checkRevisions([read(1, "a", 0, 9), read(1, "a", 2, 8)]);
    expect(v.map((x) => x.message)).toEqual(["client 1 read a at revision 8 [2.0 ms] after reading it at 9 [0.0 ms]"]);
  });
});
