import { describe, expect, test } from "bun:test";
import { committedIndex, voteResult } from "./quorum.ts";
import { seededRandom } from "./test-network.ts";

/** The obvious definition: the largest index that at least a majority has acked. */
function dumbCommitted(ids: number[], acked: Map<number, number>): number {
  let best = 0;
  for (const candidate of [0, ...acked.values()]) {
    const count = ids.filter((id) => (acked.get(id) ?? 0) >= candidate).length;
    if (count > ids.length / 2 && candidate > best) best = candidate;
  }
  return best;
}

describe("quorum", () => {
  test("committed index of small configs", () => {
    const acked = new Map([[1, 5], [2, 3], [3, 9]]);
    expect(committedIndex(new Set([1]), (id) => acked.get(id))).toBe(5);
    expect(committedIndex(new Set([1, 2]), (id) => acked.get(id))).toBe(3);
    expect(committedIndex(new Set([1, 2, 3]), (id) => acked.get(id))).toBe(5);
    expect(committedIndex(new Set([1, 2, 3, 4]), (id) => acked.get(id))).toBe(3);
  });

  test("committed index agrees with the dumb definition on random inputs", () => {
    const rand = seededRandom(42);
    for (let iter = 0; iter < 2000; iter++) {
      const n = 1 + rand(7);
      const ids = Array.from({ length: n }, (_, i) => i + 1);
      const acked = new Map<number, number>();
      for (const id of ids) if (rand(4) > 0) acked.set(id, rand(20));
      expect(committedIndex(new Set(ids), (id) => acked.get(id))).toBe(dumbCommitted(ids, acked));
    }
  });

  test("vote results", () => {
    const voters = new Set([1, 2, 3]);
    expect(voteResult(voters, new Map())).toBe("pending");
    expect(voteResult(voters, new Map([[1, true]]))).toBe("pending");
    expect(voteResult(voters, new Map([[1, true], [2, true]]))).toBe("won");
    expect(voteResult(voters, new Map([[1, true], [2, false]]))).toBe("pending");
    expect(voteResult(voters, new Map([[1, false], [2, false]]))).toBe("lost");
    expect(voteResult(new Set([1, 2, 3, 4]), new Map([[1, true], [2, true]]))).toBe("pending");
    // votes from non-voters do not count
    expect(voteResult(voters, new Map([[1, true], [7, true]]))).toBe("pending");
  });
});
