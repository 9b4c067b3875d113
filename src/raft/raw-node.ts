/**
 * @module raft/raw-node
 * RawNode: the synchronous front end of the Raft core (etcd-io/raft rawnode.go). The
 * host ticks it, steps incoming messages, proposes, and loops over
 * `hasReady()` / `ready()` / (persist, send, apply) / `advance()`.
 *
 * Durability rules enforced here: a Ready's messages may only be sent after its writes
 * are durable; the node counts its own vote and its own append ack only at `advance()`
 * (after the host persisted them); committed entries handed out are always durable
 * locally (etcd #14370).
 */
import { RaftInvariantError, StepLocalMsgError, StepPeerNotFoundError } from "./errors.ts";
import { Raft, type RaftConfig } from "./raft.ts";
import {
  type ConfChange,
  type ConfState,
  type HardState,
  type Message,
  type Ready,
  type SnapshotStatus,
  type SoftState,
  type StateType,
  encodeConfChange,
  entriesSize,
  hardStateEqual,
  isEmptyHardState,
  isLocalMsg,
  isResponseMsg,
  mustSync,
  newMessage,
} from "./types.ts";

export interface ProgressStatus {
  match: number;
  next: number;
  state: "probe" | "replicate" | "snapshot";
  recentActive: boolean;
  isLearner: boolean;
  pendingSnapshot: number;
}

export interface Status {
  id: number;
  hardState: HardState;
  softState: SoftState;
  applied: number;
  leadTransferee: number;
  config: ConfState;
  /** Only on the leader. */
  progress: Map<number, ProgressStatus>;
}

export class RawNode {
  readonly raft: Raft;
  private prevSoftSt: SoftState;
  private prevHardSt: HardState;
  private stepsOnAdvance: Message[] = [];
  private readyOutstanding = false;

  constructor(config: RaftConfig) {
    this.raft = new Raft(config);
    this.prevSoftSt = this.raft.softState();
    this.prevHardSt = this.raft.hardState();
  }

  /** Advances the logical clock by one tick. */
  tick(): void {
    this.raft.tick();
  }

  /** Starts an election now (pre-vote first when enabled). */
  campaign(): void {
    this.raft.step(newMessage({ type: "MsgHup" }));
  }

  /** Proposes data for the log. Throws ProposalDroppedError when it cannot be appended or forwarded. */
  propose(data: string): void {
    this.raft.step(newMessage({ type: "MsgProp", from: this.raft.id, entries: [{ term: 0, index: 0, type: "normal", data }] }));
  }

  /** Proposes a membership change (one may be pending at a time). */
  proposeConfChange(cc: ConfChange): void {
    this.raft.step(
      newMessage({
        type: "MsgProp",
        from: this.raft.id,
        entries: [{ term: 0, index: 0, type: "confChange", data: encodeConfChange(cc) }],
      }),
    );
  }

  /** Applies a committed conf change to the node's membership; call when applying its entry. */
  applyConfChange(cc: ConfChange): ConfState {
    return this.raft.applyConfChange(cc);
  }

  /** Steps a message received from a peer. */
  step(m: Message): void {
    if (isLocalMsg(m.type)) throw new StepLocalMsgError(m.type);
    if (isResponseMsg(m.type) && !this.raft.trk.progress.has(m.from)) throw new StepPeerNotFoundError(m.from);
    this.raft.step(m);
  }

  /** Whether there is work for the host. */
  hasReady(): boolean {
    const r = this.raft;
    const ss = r.softState();
    if (ss.lead !== this.prevSoftSt.lead || ss.raftState !== this.prevSoftSt.raftState) return true;
    const hs = r.hardState();
    if (!isEmptyHardState(hs) && !hardStateEqual(hs, this.prevHardSt)) return true;
    if (r.raftLog.hasNextUnstableSnapshot()) return true;
    if (r.msgs.length > 0 || r.msgsAfterAppend.length > 0) return true;
    if (r.raftLog.hasNextUnstableEnts() || r.raftLog.hasNextCommittedEnts()) return true;
    return r.readStates.length > 0;
  }

  /** Takes the outstanding work. It must be handled and then acknowledged with advance(). */
  ready(): Ready {
    if (this.readyOutstanding) throw new RaftInvariantError("ready() called again before advance()");
    const r = this.raft;
    const rd: Ready = {
      entries: r.raftLog.nextUnstableEnts(),
      committedEntries: r.raftLog.nextCommittedEnts(),
      messages: r.msgs,
      readStates: r.readStates,
      mustSync: false,
    };
    const ss = r.softState();
    if (ss.lead !== this.prevSoftSt.lead || ss.raftState !== this.prevSoftSt.raftState) rd.softState = ss;
    const hs = r.hardState();
    if (!hardStateEqual(hs, this.prevHardSt)) rd.hardState = hs;
    const snap = r.raftLog.nextUnstableSnapshot();
    if (snap !== undefined) rd.snapshot = snap;
    rd.mustSync = mustSync(hs, this.prevHardSt, rd.entries.length) || snap !== undefined;
    // Replies that vote or ack appends go out with this Ready: the host sends only after persisting it.
    const afterAppend = r.msgsAfterAppend;
    if (afterAppend.length > 0) {
      rd.messages = rd.messages.slice();
      for (const m of afterAppend) if (m.to !== r.id) rd.messages.push(m);
    }
    this.acceptReady(rd, afterAppend);
    return rd;
  }

  private acceptReady(rd: Ready, afterAppend: Message[]): void {
    const r = this.raft;
    if (rd.softState !== undefined) this.prevSoftSt = rd.softState;
    if (rd.hardState !== undefined) this.prevHardSt = rd.hardState;
    if (rd.readStates.length > 0) r.readStates = [];
    for (const m of afterAppend) if (m.to === r.id) this.stepsOnAdvance.push(m);
    if (r.raftLog.hasNextOrInProgressUnstableEnts() || rd.snapshot !== undefined) {
      // After this Ready is durable, everything up to the current last entry is stable.
      const m = newMessage({ type: "MsgStorageAppendResp", to: r.id, from: r.id, term: r.term });
      if (r.raftLog.hasNextOrInProgressUnstableEnts()) {
        m.index = r.raftLog.lastIndex();
        m.logTerm = r.raftLog.lastTerm();
      }
      if (rd.snapshot !== undefined) m.snapshot = rd.snapshot;
      this.stepsOnAdvance.push(m);
    }
    if (rd.committedEntries.length > 0) {
      this.stepsOnAdvance.push(
        newMessage({ type: "MsgStorageApplyResp", to: r.id, from: r.id, entries: rd.committedEntries }),
      );
    }
    r.msgs = [];
    r.msgsAfterAppend = [];
    r.raftLog.acceptUnstable();
    if (rd.committedEntries.length > 0) {
      const ents = rd.committedEntries;
      r.raftLog.acceptApplying(ents[ents.length - 1]!.index, entriesSize(ents));
    }
    this.readyOutstanding = true;
  }

  /** The last Ready was persisted, sent and applied. */
  advance(): void {
    const steps = this.stepsOnAdvance;
    this.stepsOnAdvance = [];
    this.readyOutstanding = false;
    for (const m of steps) this.raft.step(m);
  }

  status(): Status {
    const r = this.raft;
    const progress = new Map<number, ProgressStatus>();
    if (r.state === "leader") {
      r.trk.visit((id, pr) => {
        progress.set(id, {
          match: pr.match,
          next: pr.next,
          state: pr.state,
          recentActive: pr.recentActive,
          isLearner: pr.isLearner,
          pendingSnapshot: pr.pendingSnapshot,
        });
      });
    }
    return {
      id: r.id,
      hardState: r.hardState(),
      softState: r.softState(),
      applied: r.raftLog.applied,
      leadTransferee: r.leadTransferee,
      config: r.trk.confState(),
      progress,
    };
  }

  /** Cheap accessors for hosts and checkers. */
  get id(): number {
    return this.raft.id;
  }
  get term(): number {
    return this.raft.term;
  }
  get lead(): number {
    return this.raft.lead;
  }
  get state(): StateType {
    return this.raft.state;
  }
  get committed(): number {
    return this.raft.raftLog.committed;
  }
  get applied(): number {
    return this.raft.raftLog.applied;
  }
  lastIndex(): number {
    return this.raft.raftLog.lastIndex();
  }
  /** Term of the entry at `index`, or undefined when it is compacted or beyond the log. */
  termAt(index: number): number | undefined {
    return this.raft.raftLog.termOrUndefined(index);
  }

  /** The last send to `id` failed: fall back to probing. */
  reportUnreachable(id: number): void {
    this.raft.step(newMessage({ type: "MsgUnreachable", from: id }));
  }

  /** Outcome of sending a snapshot to `id`. */
  reportSnapshot(id: number, status: SnapshotStatus): void {
    this.raft.step(newMessage({ type: "MsgSnapStatus", from: id, reject: status === "failure" }));
  }

  /** Asks the leader to hand leadership to `transferee` (forwarded when called on a follower). */
  transferLeader(transferee: number): void {
    this.raft.step(newMessage({ type: "MsgTransferLeader", from: transferee }));
  }

  forgetLeader(): void {
    this.raft.step(newMessage({ type: "MsgForgetLeader" }));
  }

  /**
   * Requests a linearizable read point. A ReadState with the same `rctx` appears in a later
   * Ready once leadership is confirmed; serve the read when applied >= its index. Reads
   * are silently dropped without a leader or on a term change: callers retry on timeout.
   */
  readIndex(rctx: string): void {
    this.raft.step(newMessage({ type: "MsgReadIndex", entries: [{ term: 0, index: 0, type: "normal", data: rctx }] }));
  }
}
