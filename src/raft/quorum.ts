/**
 * @module raft/quorum
 * Majority arithmetic over a set of voters (etcd-io/raft quorum/majority.go): the
 * highest index acknowledged by a quorum, and election results.
 */

export type VoteResult = "pending" | "lost" | "won";

/** Highest index acknowledged by a majority of `voters`; `acked` returns undefined for silent voters. */
export function committedIndex(voters: ReadonlySet<number>, acked: (id: number) => number | undefined): number {
  const n = voters.size;
  if (n === 0) {
    // An empty config commits everything (it only happens transiently in joint configs in etcd).
    return Number.MAX_SAFE_INTEGER;
  }
  const indexes: number[] = [];
  for (const id of voters) indexes.push(acked(id) ?? 0);
  indexes.sort((a, b) => a - b);
  // With n voters, a quorum is n/2+1; the (n - quorum)-th smallest index is acked by a quorum.
  const q = Math.floor(n / 2) + 1;
  return indexes[n - q]!;
}

/** Election result given the recorded votes (true = granted); missing voters have not answered. */
export function voteResult(voters: ReadonlySet<number>, votes: ReadonlyMap<number, boolean>): VoteResult {
  if (voters.size === 0) return "won";
  let granted = 0;
  let missing = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === undefined) missing++;
    else if (v) granted++;
  }
  const q = Math.floor(voters.size / 2) + 1;
  if (granted >= q) return "won";
  if (granted + missing >= q) return "pending";
  return "lost";
}
