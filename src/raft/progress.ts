/**
 * @module raft/progress
 * A follower's replication progress as the leader sees it, and the flow-control state
 * machine around it (etcd-io/raft tracker/progress.go):
 *  - probe: at most one MsgApp per heartbeat until the follower's log end is found;
 *  - replicate: optimistic pipelining bounded by Inflights;
 *  - snapshot: a snapshot is in flight, nothing else is sent.
 */
import { Inflights } from "./inflights.ts";

export type ProgressState = "probe" | "replicate" | "snapshot";

export class Progress {
  /** Highest index known to match the leader's log. */
  match: number;
  /** Next index to send. Invariant: match < next. */
  next: number;
  /** Highest commit index in flight to the follower. Invariant: pendingCommit < next. */
  pendingCommit = 0;
  state: ProgressState = "probe";
  /** In snapshot state: the index of the snapshot sent. */
  pendingSnapshot = 0;
  /** Heard from recently (reset by CheckQuorum every election timeout). */
  recentActive = false;
  /** Throttles probes: set after a MsgApp, cleared by a heartbeat response. */
  msgAppProbesPaused = false;
  inflights: Inflights;
  isLearner: boolean;

  constructor(init: { match: number; next: number; inflights: Inflights; isLearner: boolean; recentActive?: boolean }) {
    this.match = init.match;
    this.next = init.next;
    this.inflights = init.inflights;
    this.isLearner = init.isLearner;
    this.recentActive = init.recentActive ?? false;
  }

  clone(): Progress {
    const p = new Progress({
      match: this.match,
      next: this.next,
      inflights: this.inflights.clone(),
      isLearner: this.isLearner,
      recentActive: this.recentActive,
    });
    p.pendingCommit = this.pendingCommit;
    p.state = this.state;
    p.pendingSnapshot = this.pendingSnapshot;
    p.msgAppProbesPaused = this.msgAppProbesPaused;
    return p;
  }

  resetState(state: ProgressState): void {
    this.msgAppProbesPaused = false;
    this.pendingSnapshot = 0;
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    if (this.state === "snapshot") {
      // the snapshot was sent: probe from after it
      const pendingSnapshot = this.pendingSnapshot;
      this.resetState("probe");
      this.next = Math.max(this.match + 1, pendingSnapshot + 1);
    } else {
      this.resetState("probe");
      this.next = this.match + 1;
      this.pendingCommit = Math.min(this.pendingCommit, this.match);
    }
  }

  becomeReplicate(): void {
    this.resetState("replicate");
    this.next = this.match + 1;
    this.pendingCommit = Math.min(this.pendingCommit, this.match);
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.resetState("snapshot");
    this.pendingSnapshot = snapshotIndex;
  }

  /** A MsgApp with `entries` entries of `bytes` payload was sent from `next`. */
  sentEntries(entries: number, bytes: number): void {
    if (this.state === "replicate" && entries > 0) {
      this.next += entries;
      this.inflights.add(this.next - 1, bytes);
    }
    this.msgAppProbesPaused = true;
  }

  canSendEntries(lastIndex: number): boolean {
    return this.next <= lastIndex && (this.state === "probe" || !this.inflights.full());
  }

  /** Whether sending commit index `index` could advance the follower's commit index. */
  canBumpCommit(index: number): boolean {
    return this.pendingCommit < Math.min(index, this.next - 1);
  }

  sentCommit(commit: number): void {
    this.pendingCommit = Math.min(Math.max(this.pendingCommit, commit), this.next - 1);
  }

  /** An MsgAppResp acknowledged index n; false if the response is stale. */
  maybeUpdate(n: number): boolean {
    if (n <= this.match) return false;
    this.match = n;
    this.next = Math.max(this.next, n + 1);
    return true;
  }

  /**
   * An append at `rejected` was rejected with hint `matchHint`. Returns false for stale
   * rejections (duplicated or reordered messages); otherwise lowers next.
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === "replicate") {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      this.pendingCommit = Math.min(this.pendingCommit, this.match);
      return true;
    }
    // probes are sent one at a time: a rejection not for next-1 is stale
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.pendingCommit = Math.min(this.pendingCommit, this.next - 1);
    this.msgAppProbesPaused = false;
    return true;
  }

  isPaused(): boolean {
    switch (this.state) {
      case "probe":
        return this.msgAppProbesPaused;
      case "replicate":
        return this.msgAppProbesPaused && this.inflights.full();
      case "snapshot":
        return true;
    }
  }

  /** Whether the leader (log ending at `last`, committed `commit`) should send a MsgApp now. */
  shouldSendMsgApp(last: number, commit: number): boolean {
    switch (this.state) {
      case "probe":
        return !this.msgAppProbesPaused;
      case "replicate":
        return this.canBumpCommit(commit) || (this.match < last && (!this.msgAppProbesPaused || this.canSendEntries(last)));
      case "snapshot":
        return false;
    }
  }

  toString(): string {
    let s = `${this.state} match=${this.match} next=${this.next}`;
    if (this.isLearner) s += " learner";
    if (this.isPaused()) s += " paused";
    if (this.pendingSnapshot > 0) s += ` pendingSnap=${this.pendingSnapshot}`;
    if (!this.recentActive) s += " inactive";
    const n = this.inflights.countInflight();
    if (n > 0) s += ` inflight=${n}${this.inflights.full() ? "[full]" : ""}`;
    return s;
  }
}
