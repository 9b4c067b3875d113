/**
 * @module raft/raft
 * The Raft state machine (etcd-io/raft raft.go): terms and roles, elections with PreVote
 * and CheckQuorum, the generic message step, log replication sending, snapshots,
 * and membership switches. It is pure: no clock (abstract ticks), no randomness (an
 * injected `random`), no I/O (messages and writes leave through RawNode's Ready).
 * Role-specific message handling lives in raft-step.ts, the leader's ReadIndex in
 * raft-read-index.ts, the configuration in config.ts.
 *
 * Messages that vote (MsgAppResp, MsgVoteResp, MsgPreVoteResp) are held until the state
 * they depend on is durable ("persist before you speak"); see `send`.
 */
import { type RaftConfig, validateConfig } from "./config.ts";
import { simpleChange, restoreConfig, type TrackerConfig } from "./confchange.ts";
import {
  CompactedError,
  RaftInvariantError,
  SnapshotTemporarilyUnavailableError,
  UnavailableError,
} from "./errors.ts";
import { RaftLog } from "./log.ts";
import type { Progress } from "./progress.ts";
import { ReadOnly } from "./read-only.ts";
import { stepCandidate, stepFollower, stepLeader } from "./raft-step.ts";
import { ProgressTracker } from "./tracker.ts";
import {
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  type Message,
  type ReadState,
  type Snapshot,
  type SoftState,
  type StateType,
  NO_LIMIT,
  NONE,
  entriesSize,
  isEmptyHardState,
  isEmptySnap,
  newMessage,
  payloadsSize,
  voteRespMsgType,
} from "./types.ts";

export type { RaftConfig } from "./config.ts";

export const CAMPAIGN_PRE_ELECTION = "CampaignPreElection";
export const CAMPAIGN_ELECTION = "CampaignElection";
export const CAMPAIGN_TRANSFER = "CampaignTransfer";
export type CampaignType = typeof CAMPAIGN_PRE_ELECTION | typeof CAMPAIGN_ELECTION | typeof CAMPAIGN_TRANSFER;

export class Raft {
  readonly id: number;
  term = 0;
  vote = NONE;
  readStates: ReadState[] = [];
  readonly raftLog: RaftLog;
  readonly maxMsgSize: number;
  readonly maxUncommittedSize: number;
  trk: ProgressTracker;
  state: StateType = "follower";
  isLearner = false;
  /** Messages to send as soon as the current Ready is handed out. */
  msgs: Message[] = [];
  /** Messages to send (or step locally) only after the current unstable state is durable. */
  msgsAfterAppend: Message[] = [];
  lead = NONE;
  leadTransferee = NONE;
  /** Index of the latest conf change in the log; a new one may be proposed once applied >= it. */
  pendingConfIndex = 0;
  uncommittedSize = 0;
  readOnly = new ReadOnly();
  electionElapsed = 0;
  heartbeatElapsed = 0;
  readonly checkQuorum: boolean;
  readonly preVote: boolean;
  readonly heartbeatTimeout: number;
  readonly electionTimeout: number;
  randomizedElectionTimeout = 0;
  readonly disableProposalForwarding: boolean;
  readonly stepDownOnRemoval: boolean;
  pendingReadIndexMessages: Message[] = [];
  readonly skipElectionRestriction: boolean;
  readonly unsafeReadIndex: boolean;
  private readonly random: (n: number) => number;
  private stepFn: (r: Raft, m: Message) => void = stepFollower;

  constructor(c: RaftConfig) {
    const rc = validateConfig(c);
    this.id = c.id;
    this.random = c.random;
    this.raftLog = new RaftLog(c.storage, rc.maxCommittedSizePerReady);
    const { hardState, confState } = c.storage.initialState();
    this.maxMsgSize = rc.maxSizePerMsg;
    this.maxUncommittedSize = rc.maxUncommittedEntriesSize;
    this.trk = new ProgressTracker(rc.maxInflightMsgs, rc.maxInflightBytes);
    this.electionTimeout = c.electionTick;
    this.heartbeatTimeout = c.heartbeatTick;
    this.checkQuorum = c.checkQuorum ?? true;
    this.preVote = c.preVote ?? true;
    this.disableProposalForwarding = c.disableProposalForwarding ?? false;
    this.stepDownOnRemoval = c.stepDownOnRemoval ?? true;
    this.skipElectionRestriction = c.testingKnobs?.skipElectionRestriction ?? false;
    this.unsafeReadIndex = c.testingKnobs?.unsafeReadIndex ?? false;

    this.switchToConfig(restoreConfig(this.trk, confState, this.raftLog.lastIndex()));
    if (!isEmptyHardState(hardState)) this.loadState(hardState);
    if (c.applied !== undefined && c.applied > 0) this.raftLog.appliedTo(c.applied, 0);
    this.becomeFollower(this.term, NONE);
  }

  hasLeader(): boolean {
    return this.lead !== NONE;
  }

  softState(): SoftState {
    return { lead: this.lead, raftState: this.state };
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.raftLog.committed };
  }

  /**
   * Queues a message. Votes and append acks wait in msgsAfterAppend until everything
   * they depend on (term, vote, entries) is durable; everything else goes out with the
   * next Ready, which is itself sent only after that Ready's writes are durable.
   */
  send(m: Message): void {
    if (m.from === NONE) m.from = this.id;
    const t = m.type;
    if (t === "MsgVote" || t === "MsgVoteResp" || t === "MsgPreVote" || t === "MsgPreVoteResp") {
      if (m.term === 0) throw new RaftInvariantError(`term should be set when sending ${t}`);
    } else {
      if (m.term !== 0) throw new RaftInvariantError(`term should not be set when sending ${t} (was ${m.term})`);
      // proposals and read requests are forwarded as local messages, without a term
      if (t !== "MsgProp" && t !== "MsgReadIndex") m.term = this.term;
    }
    if (t === "MsgAppResp" || t === "MsgVoteResp" || t === "MsgPreVoteResp") {
      this.msgsAfterAppend.push(m);
    } else {
      if (m.to === this.id) throw new RaftInvariantError(`message should not be self-addressed when sending ${t}`);
      this.msgs.push(m);
    }
  }

  /** Sends a MsgApp to `to` if flow control allows it; returns whether a message was sent. */
  maybeSendAppend(to: number): boolean {
    const pr = this.trk.progress.get(to);
    if (pr === undefined) return false;
    const last = this.raftLog.lastIndex();
    const commit = this.raftLog.committed;
    if (!pr.shouldSendMsgApp(last, commit)) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.raftLog.termOrUndefined(prevIndex);
    if (prevTerm === undefined) {
      // the log was compacted past next: the follower needs a snapshot
      return this.maybeSendSnapshot(to, pr);
    }
    let ents: Entry[] = [];
    if (pr.canSendEntries(last)) {
      try {
        ents = this.raftLog.entries(pr.next, this.maxMsgSize);
      } catch (e) {
        if (e instanceof CompactedError || e instanceof UnavailableError) return this.maybeSendSnapshot(to, pr);
        throw e;
      }
    }
    this.send(newMessage({ type: "MsgApp", to, index: prevIndex, logTerm: prevTerm, entries: ents, commit }));
    pr.sentEntries(ents.length, payloadsSize(ents));
    pr.sentCommit(commit);
    return true;
  }

  maybeSendSnapshot(to: number, pr: Progress): boolean {
    if (!pr.recentActive) return false;
    let snapshot: Snapshot;
    try {
      snapshot = this.raftLog.snapshot();
    } catch (e) {
      if (e instanceof SnapshotTemporarilyUnavailableError) return false;
      throw e;
    }
    if (isEmptySnap(snapshot)) throw new RaftInvariantError("need non-empty snapshot");
    pr.becomeSnapshot(snapshot.metadata.index);
    this.send(newMessage({ type: "MsgSnap", to, snapshot }));
    return true;
  }

  sendHeartbeat(to: number, ctx: string): void {
    const pr = this.trk.progress.get(to);
    if (pr === undefined) return;
    // never tell a follower to commit beyond what it is known to have
    const commit = Math.min(pr.match, this.raftLog.committed);
    this.send(newMessage({ type: "MsgHeartbeat", to, commit, context: ctx }));
    pr.sentCommit(commit);
  }

  bcastAppend(): void {
    this.trk.visit((id) => {
      if (id !== this.id) this.maybeSendAppend(id);
    });
  }

  bcastHeartbeat(): void {
    this.bcastHeartbeatWithCtx(this.readOnly.heartbeatCtx());
  }

  bcastHeartbeatWithCtx(ctx: string): void {
    this.trk.visit((id) => {
      if (id !== this.id) this.sendHeartbeat(id, ctx);
    });
  }

  appliedTo(index: number, size: number): void {
    this.raftLog.appliedTo(Math.max(index, this.raftLog.applied), size);
  }

  appliedSnap(snap: Snapshot): void {
    const index = snap.metadata.index;
    this.raftLog.stableSnapTo(index);
    this.appliedTo(index, 0);
  }

  /** Advances the commit index to what a quorum has durably acked (leader only). */
  maybeCommit(): boolean {
    return this.raftLog.maybeCommit(this.trk.committed(), this.term);
  }

  reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.abortLeaderTransfer();
    this.trk.resetVotes();
    const last = this.raftLog.lastIndex();
    this.trk.visit((id, pr) => {
      pr.match = id === this.id ? last : 0;
      pr.next = last + 1;
      pr.pendingCommit = 0;
      pr.state = "probe";
      pr.pendingSnapshot = 0;
      pr.recentActive = false;
      pr.msgAppProbesPaused = false;
      pr.inflights = this.trk.newInflights();
    });
    this.pendingConfIndex = 0;
    this.uncommittedSize = 0;
    this.readOnly = new ReadOnly();
  }

  /** Appends proposals at the current term; false if the uncommitted size limit drops them. */
  appendEntry(es: Entry[]): boolean {
    const li = this.raftLog.lastIndex();
    for (let i = 0; i < es.length; i++) {
      es[i]!.term = this.term;
      es[i]!.index = li + 1 + i;
    }
    if (!this.increaseUncommittedSize(es)) return false;
    const last = this.raftLog.append(es);
    // Self-ack once durable: delivered back to us after the entries are persisted.
    this.send(newMessage({ type: "MsgAppResp", to: this.id, index: last }));
    return true;
  }

  tick(): void {
    if (this.state === "leader") this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.pastElectionTimeout()) {
      this.electionElapsed = 0;
      this.step(newMessage({ type: "MsgHup", from: this.id }));
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.electionTimeout) {
      this.electionElapsed = 0;
      if (this.checkQuorum) this.step(newMessage({ type: "MsgCheckQuorum", from: this.id }));
      // a transfer that did not finish within an election timeout is abandoned
      if (this.state === "leader" && this.leadTransferee !== NONE) this.abortLeaderTransfer();
    }
    if (this.state !== "leader") return;
    if (this.heartbeatElapsed >= this.heartbeatTimeout) {
      this.heartbeatElapsed = 0;
      this.step(newMessage({ type: "MsgBeat", from: this.id }));
    }
  }

  becomeFollower(term: number, lead: number): void {
    this.stepFn = stepFollower;
    this.reset(term);
    this.lead = lead;
    this.state = "follower";
  }

  becomeCandidate(): void {
    if (this.state === "leader") throw new RaftInvariantError("invalid transition [leader -> candidate]");
    this.stepFn = stepCandidate;
    this.reset(this.term + 1);
    this.vote = this.id;
    this.state = "candidate";
  }

  becomePreCandidate(): void {
    if (this.state === "leader") throw new RaftInvariantError("invalid transition [leader -> pre-candidate]");
    // no term bump, no vote change
    this.stepFn = stepCandidate;
    this.trk.resetVotes();
    this.lead = NONE;
    this.state = "preCandidate";
  }

  becomeLeader(): void {
    if (this.state === "follower") throw new RaftInvariantError("invalid transition [follower -> leader]");
    this.stepFn = stepLeader;
    this.reset(this.term);
    this.lead = this.id;
    this.state = "leader";
    const pr = this.trk.progress.get(this.id);
    if (pr !== undefined) {
      pr.becomeReplicate();
      pr.recentActive = true;
    }
    // Conservatively treat every entry in the log as a possibly pending conf change.
    this.pendingConfIndex = this.raftLog.lastIndex();
    // The empty entry commits the previous terms' entries (Raft §5.4.2) and enables ReadIndex.
    if (!this.appendEntry([{ term: 0, index: 0, type: "normal", data: "" }])) {
      throw new RaftInvariantError("empty entry was dropped");
    }
  }

  hup(t: CampaignType): void {
    if (this.state === "leader") return;
    if (!this.promotable()) return;
    if (this.hasUnappliedConfChanges()) return;
    this.campaign(t);
  }

  hasUnappliedConfChanges(): boolean {
    if (this.raftLog.applied >= this.raftLog.committed) return false;
    const ents = this.raftLog.slice(this.raftLog.applied + 1, this.raftLog.committed + 1, NO_LIMIT);
    return ents.some((e) => e.type === "confChange");
  }

  campaign(t: CampaignType): void {
    let term: number;
    let voteMsg: "MsgVote" | "MsgPreVote";
    if (t === CAMPAIGN_PRE_ELECTION) {
      this.becomePreCandidate();
      voteMsg = "MsgPreVote";
      // pre-votes ask for the next term without incrementing ours
      term = this.term + 1;
    } else {
      this.becomeCandidate();
      voteMsg = "MsgVote";
      term = this.term;
    }
    const lastIndex = this.raftLog.lastIndex();
    const lastTerm = this.raftLog.lastTerm();
    for (const id of this.trk.voterNodes()) {
      if (id === this.id) {
        // our own vote counts once our term and vote are durable
        this.send(newMessage({ type: voteRespMsgType(voteMsg), to: id, term }));
        continue;
      }
      this.send(
        newMessage({
          type: voteMsg,
          to: id,
          term,
          index: lastIndex,
          logTerm: lastTerm,
          context: t === CAMPAIGN_TRANSFER ? CAMPAIGN_TRANSFER : "",
        }),
      );
    }
  }

  poll(id: number, granted: boolean): ReturnType<ProgressTracker["tallyVotes"]> {
    this.trk.recordVote(id, granted);
    return this.trk.tallyVotes();
  }

  /** Steps any message: handles terms, elections and votes, then dispatches by role. */
  step(m: Message): void {
    if (m.term === 0) {
      // local message
    } else if (m.term > this.term) {
      if (m.type === "MsgVote" || m.type === "MsgPreVote") {
        const force = m.context === CAMPAIGN_TRANSFER;
        const inLease = this.checkQuorum && this.lead !== NONE && this.electionElapsed < this.electionTimeout;
        // Within the lease of a live leader, ignore disruptive candidates (thesis §4.2.3).
        if (!force && inLease) return;
      }
      if (m.type === "MsgPreVote") {
        // never change our term in response to a pre-vote
      } else if (m.type === "MsgPreVoteResp" && !m.reject) {
        // a granted pre-vote carries the term we will campaign at
      } else if (m.type === "MsgApp" || m.type === "MsgHeartbeat" || m.type === "MsgSnap") {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, NONE);
      }
    } else if (m.term < this.term) {
      if ((this.checkQuorum || this.preVote) && (m.type === "MsgHeartbeat" || m.type === "MsgApp")) {
        // A stale leader (or we advanced our term while partitioned): answer with our
        // term so that it steps down and a fresh election can include us.
        this.send(newMessage({ type: "MsgAppResp", to: m.from }));
      } else if (m.type === "MsgPreVote") {
        this.send(newMessage({ type: "MsgPreVoteResp", to: m.from, term: this.term, reject: true }));
      } else if (m.type === "MsgStorageAppendResp") {
        // entries written under an older term may since have been overwritten: not marked stable
        if (m.snapshot !== undefined) this.appliedSnap(m.snapshot);
      }
      return;
    }

    switch (m.type) {
      case "MsgHup":
        this.hup(this.preVote ? CAMPAIGN_PRE_ELECTION : CAMPAIGN_ELECTION);
        return;
      case "MsgStorageAppendResp":
        if (m.index !== 0) this.raftLog.stableTo(m.index, m.logTerm);
        if (m.snapshot !== undefined) this.appliedSnap(m.snapshot);
        return;
      case "MsgStorageApplyResp":
        if (m.entries.length > 0) {
          this.appliedTo(m.entries[m.entries.length - 1]!.index, entriesSize(m.entries));
          this.reduceUncommittedSize(payloadsSize(m.entries));
        }
        return;
      case "MsgVote":
      case "MsgPreVote":
        this.handleVote(m);
        return;
      default:
        this.stepFn(this, m);
    }
  }

  private handleVote(m: Message): void {
    const canVote =
      this.vote === m.from ||
      (this.vote === NONE && this.lead === NONE) ||
      (m.type === "MsgPreVote" && m.term > this.term);
    const upToDate = this.skipElectionRestriction || this.raftLog.isUpToDate(m.index, m.logTerm);
    if (canVote && upToDate) {
      // Learners vote too: a promoted learner may not know it yet (etcd #10998).
      // Reply with the message's term: for pre-votes ours may be older.
      this.send(newMessage({ type: voteRespMsgType(m.type), to: m.from, term: m.term }));
      if (m.type === "MsgVote") {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send(newMessage({ type: voteRespMsgType(m.type), to: m.from, term: this.term, reject: true }));
    }
  }

  /** Restores the log and membership from a snapshot; false if it is stale or unusable. */
  restore(s: Snapshot): boolean {
    if (s.metadata.index <= this.raftLog.committed) return false;
    if (this.state !== "follower") {
      // defense in depth: never restore a snapshot as leader or candidate
      this.becomeFollower(this.term + 1, NONE);
      return false;
    }
    const cs = s.metadata.confState;
    if (!cs.voters.includes(this.id) && !cs.learners.includes(this.id)) return false;
    if (this.raftLog.matchTerm(s.metadata.index, s.metadata.term)) {
      // we already have the snapshot's last entry: just fast-forward the commit index
      this.raftLog.commitTo(s.metadata.index);
      return false;
    }
    this.raftLog.restore(s);
    this.trk = new ProgressTracker(this.trk.maxInflight, this.trk.maxInflightBytes);
    this.switchToConfig(restoreConfig(this.trk, cs, this.raftLog.lastIndex()));
    return true;
  }

  /** A node may campaign when it is a voter and not waiting for a snapshot to be applied. */
  promotable(): boolean {
    const pr = this.trk.progress.get(this.id);
    return pr !== undefined && !pr.isLearner && !this.raftLog.hasNextOrInProgressSnapshot();
  }

  applyConfChange(cc: ConfChange): ConfState {
    return this.switchToConfig(simpleChange(this.trk, cc, this.raftLog.lastIndex()));
  }

  switchToConfig(cfg: TrackerConfig): ConfState {
    this.trk.setConfig(cfg.voters, cfg.learners, cfg.progress);
    const cs = this.trk.confState();
    const pr = this.trk.progress.get(this.id);
    this.isLearner = pr !== undefined && pr.isLearner;
    if ((pr === undefined || this.isLearner) && this.state === "leader") {
      // removed or demoted while leading
      if (this.stepDownOnRemoval) this.becomeFollower(this.term, NONE);
      return cs;
    }
    if (this.state !== "leader" || cs.voters.length === 0) return cs;
    if (this.maybeCommit()) {
      // a smaller quorum may commit more right away
      this.bcastAppend();
    } else {
      // probe new members now rather than at the next heartbeat
      this.trk.visit((id) => {
        if (id !== this.id) this.maybeSendAppend(id);
      });
    }
    if (this.leadTransferee !== NONE && !this.trk.voters.has(this.leadTransferee)) this.abortLeaderTransfer();
    return cs;
  }

  loadState(hs: HardState): void {
    if (hs.commit < this.raftLog.committed || hs.commit > this.raftLog.lastIndex()) {
      throw new RaftInvariantError(
        `${this.id} state.commit ${hs.commit} is out of range [${this.raftLog.committed}, ${this.raftLog.lastIndex()}]`,
      );
    }
    this.raftLog.committed = hs.commit;
    this.term = hs.term;
    this.vote = hs.vote;
  }

  pastElectionTimeout(): boolean {
    return this.electionElapsed >= this.randomizedElectionTimeout;
  }

  resetRandomizedElectionTimeout(): void {
    this.randomizedElectionTimeout = this.electionTimeout + this.random(this.electionTimeout);
  }

  sendTimeoutNow(to: number): void {
    this.send(newMessage({ type: "MsgTimeoutNow", to }));
  }

  abortLeaderTransfer(): void {
    this.leadTransferee = NONE;
  }

  /** Whether the leader has committed an entry of its own term (required before serving ReadIndex). */
  committedEntryInCurrentTerm(): boolean {
    return this.raftLog.termOrZero(this.raftLog.committed) === this.term;
  }

  increaseUncommittedSize(ents: readonly Entry[]): boolean {
    const s = payloadsSize(ents);
    // an empty uncommitted tail accepts any proposal; empty entries are never refused
    if (this.uncommittedSize > 0 && s > 0 && this.uncommittedSize + s > this.maxUncommittedSize) return false;
    this.uncommittedSize += s;
    return true;
  }

  reduceUncommittedSize(s: number): void {
    this.uncommittedSize = s > this.uncommittedSize ? 0 : this.uncommittedSize - s;
  }
}
