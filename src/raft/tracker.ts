/**
 * @module raft/tracker
 * The leader's view of the group: the membership (voters, learners), one Progress per
 * member, and the votes of the current election (etcd-io/raft tracker/tracker.go).
 * Members are visited in ascending id order so that output is deterministic.
 */
import { Inflights } from "./inflights.ts";
import { Progress } from "./progress.ts";
import { committedIndex, type VoteResult, voteResult } from "./quorum.ts";
import type { ConfState } from "./types.ts";

export class ProgressTracker {
  voters = new Set<number>();
  learners = new Set<number>();
  progress = new Map<number, Progress>();
  votes = new Map<number, boolean>();
  private sortedIds: number[] = [];

  constructor(
    readonly maxInflight: number,
    readonly maxInflightBytes: number,
  ) {}

  newInflights(): Inflights {
    return new Inflights(this.maxInflight, this.maxInflightBytes);
  }

  /** Replaces the membership and progress map (after a conf change or a snapshot). */
  setConfig(voters: Set<number>, learners: Set<number>, progress: Map<number, Progress>): void {
    this.voters = voters;
    this.learners = learners;
    this.progress = progress;
    this.sortedIds = [...progress.keys()].sort((a, b) => a - b);
  }

  confState(): ConfState {
    return {
      voters: [...this.voters].sort((a, b) => a - b),
      learners: [...this.learners].sort((a, b) => a - b),
    };
  }

  isSingleton(): boolean {
    return this.voters.size === 1;
  }

  /** Highest index durable on a quorum of voters. */
  committed(): number {
    return committedIndex(this.voters, (id) => this.progress.get(id)?.match);
  }

  /** Calls fn for every member (voters and learners) in ascending id order. */
  visit(fn: (id: number, pr: Progress) => void): void {
    for (const id of this.sortedIds) {
      const pr = this.progress.get(id);
      if (pr !== undefined) fn(id, pr);
    }
  }

  /** Whether a quorum of voters was recently active (CheckQuorum). */
  quorumActive(): boolean {
    const votes = new Map<number, boolean>();
    this.visit((id, pr) => {
      if (!pr.isLearner) votes.set(id, pr.recentActive);
    });
    return voteResult(this.voters, votes) === "won";
  }

  voterNodes(): number[] {
    return [...this.voters].sort((a, b) => a - b);
  }

  learnerNodes(): number[] {
    return [...this.learners].sort((a, b) => a - b);
  }

  resetVotes(): void {
    this.votes = new Map();
  }

  /** Records a vote; the first vote of a node in an election is the one that counts. */
  recordVote(id: number, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  tallyVotes(): { granted: number; rejected: number; result: VoteResult } {
    let granted = 0;
    let rejected = 0;
    for (const [id, pr] of this.progress) {
      if (pr.isLearner) continue;
      const v = this.votes.get(id);
      if (v === undefined) continue;
      if (v) granted++;
      else rejected++;
    }
    return { granted, rejected, result: voteResult(this.voters, this.votes) };
  }
}
