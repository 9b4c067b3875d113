/**
 * @module cluster/raft-node
 * RaftNode: one member's Raft, on real timers, real disks and the peer transport.
 *
 * The Ready loop (one turn per event-loop turn with work):
 *   1. persist: one raft.db transaction (synchronous=FULL), so entries, term and vote are
 *      on disk before any message that depends on them leaves or a client is answered;
 *   2. send (a snapshot goes out as a fresh `VACUUM INTO` image of state.db);
 *   3. apply into state.db (synchronous=NORMAL: the log is the durable record);
 *   4. every `snapshotEvery` applied entries: checkpoint state.db (the checkpoint syncs
 *      the database file), record a snapshot marker in raft.db and compact the log;
 *   5. advance.
 *
 * Also here: ticking (PreVote + CheckQuorum), a quicker election when the leader's
 * connection drops, learner promotion on the leader (never to an even voter count of 2),
 * leadership transfer before a graceful stop, and removal.
 */
import { type ApplyStateMachine, ReadyHandler, startRawNode } from "./driver.ts";
import { ProposalDroppedError, RaftError, StepLocalMsgError, StepPeerNotFoundError } from "../raft/errors.ts";
import type { RawNode } from "../raft/raw-node.ts";
import type { SqliteLogStorage } from "./log-storage.ts";
import { type ConfChange, type ConfState, type Entry, type Message, type ReadState, type Ready, type SoftState, NONE } from "../raft/types.ts";
import type { CommandResult } from "../store/commands.ts";
import { LOCAL_SNAPSHOT_MARKER, type StoreFsm } from "./fsm.ts";
import { PeerTransport } from "./transport.ts";
import type { PeerIdentity } from "./peer-auth.ts";
import { logger } from "../util/log.ts";

const log = logger("raft");

export interface RaftTiming {
  /** Milliseconds per Raft tick. */
  tickMs: number;
  /** Election timeout in ticks (randomized in [e, 2e)). */
  electionTick: number;
  heartbeatTick: number;
}

/** 50 ms ticks, elections after 0.5–1 s of silence, heartbeats every tick. */
export const DEFAULT_TIMING: RaftTiming = { tickMs: 50, electionTick: 10, heartbeatTick: 1 };

/** Timing from KITE_RAFT_TICK_MS / KITE_RAFT_ELECTION_TICKS, else the defaults. */
export function timingFromEnv(env: Record<string, string | undefined> = process.env): RaftTiming {
  const tickMs = Number(env.KITE_RAFT_TICK_MS) || DEFAULT_TIMING.tickMs;
  const electionTick = Number(env.KITE_RAFT_ELECTION_TICKS) || DEFAULT_TIMING.electionTick;
  return { tickMs, electionTick, heartbeatTick: 1 };
}

/**
 * Snapshot cadence from KITE_RAFT_SNAPSHOT_EVERY / KITE_RAFT_COMPACTION_MARGIN (for tests that
 * want snapshots and log compaction to happen often, as Jepsen's etcd suite lowers
 * --snapshot-count); unset: the defaults (10 000 / 5 000).
 */
export function snapshotCadenceFromEnv(env: Record<string, string | undefined> = process.env): { snapshotEvery?: number; compactionMargin?: number } {
  const num = (v: string | undefined) => {
    const n = Number(v);
    return v !== undefined && v !== "" && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
  };
  return { snapshotEvery: num(env.KITE_RAFT_SNAPSHOT_EVERY), compactionMargin: num(env.KITE_RAFT_COMPACTION_MARGIN) };
}

export interface RaftNodeOptions {
  id: number;
  storage: SqliteLogStorage;
  fsm: StoreFsm;
  identity: PeerIdentity;
  /** CA for https peers. */
  caPem?: string;
  timing?: RaftTiming;
  /** Snapshot + log compaction every this many applied entries. Default 10 000. */
  snapshotEvery?: number;
  /** Entries kept below the snapshot when compacting (for followers slightly behind). Default 5 000. */
  compactionMargin?: number;
  /** A learner is promoted when its match index is within this many entries of the leader's last index. */
  promoteLag?: number;
}

export interface RaftNodeEvents {
  onApplied?(entries: Entry[], results: CommandResult[]): void;
  onReadStates?(rs: ReadState[]): void;
  onSoftState?(ss: SoftState): void;
  onConfState?(cs: ConfState): void;
  /** This member was removed from the membership: it has stopped. */
  onRemoved?(): void;
  /** A disk write failed: the node stopped (it must not go on after a failed fsync). */
  onFatal?(err: unknown): void;
}

export class RaftNode {
  readonly id: number;
  readonly transport: PeerTransport;
  readonly rn: RawNode;
  private readonly handler: ReadyHandler<CommandResult>;
  private readonly timing: RaftTiming;
  private readonly snapshotEvery: number;
  private readonly compactionMargin: number;
  private readonly promoteLag: number;
  private lastSnapshotIndex: number;
  private ticker: ReturnType<typeof setInterval> | null = null;
  private scheduled = false;
  private stopped = false;
  private removed = false;
  private ticks = 0;
  private warnedTwoVoters = false;
  events: RaftNodeEvents = {};

  constructor(private readonly o: RaftNodeOptions) {
    this.id = o.id;
    this.timing = o.timing ?? DEFAULT_TIMING;
    const cadence = snapshotCadenceFromEnv();
    this.snapshotEvery = o.snapshotEvery ?? cadence.snapshotEvery ?? 10_000;
    this.compactionMargin = o.compactionMargin ?? cadence.compactionMargin ?? 5_000;
    this.promoteLag = o.promoteLag ?? 1_000;
    this.transport = new PeerTransport({
      selfId: o.id,
      identity: o.identity,
      caPem: o.caPem,
      host: {
        onMessage: (m) => this.stepPeer(m),
        onUnreachable: (id) => this.withNode(() => this.rn.reportUnreachable(id)),
        onSnapshotStatus: (id, ok) => this.withNode(() => this.rn.reportSnapshot(id, ok ? "finish" : "failure")),
        onPeerDown: (id) => this.peerDown(id),
      },
    });
    const random = (n: number) => Math.floor(Math.random() * n);
    this.rn = startRawNode(
      { id: o.id, electionTick: this.timing.electionTick, heartbeatTick: this.timing.heartbeatTick, random, checkQuorum: true, preVote: true, maxInflightBytes: 32 << 20, maxUncommittedEntriesSize: 64 << 20 },
      o.storage,
      o.fsm as ApplyStateMachine<CommandResult>,
    );
    this.lastSnapshotIndex = o.storage.snapshot().metadata.index;
    const send = { send: (msgs: Message[]) => this.send(msgs) };
    this.handler = new ReadyHandler<CommandResult>({
      node: this.rn,
      storage: o.storage,
      transport: send,
      fsm: o.fsm,
      snapshotEvery: 0, // compaction is done here, after a durable checkpoint of state.db
      onApplied: (ents, results) => this.events.onApplied?.(ents, results),
      onReadStates: (rs) => this.events.onReadStates?.(rs),
      onSoftState: (ss) => this.softState(ss),
      onConfChangeRefused: (cc, index, err) => log.warn("membership change refused", { change: cc.type, member: cc.nodeId.toString(16), index, error: err.message }),
    });
  }

  /** Starts ticking; a sole voter campaigns at once instead of waiting out an election timeout. */
  start(): void {
    this.ticker = setInterval(() => this.tick(), this.timing.tickMs);
    const cs = this.handler.confState;
    if (cs.voters.length === 1 && cs.voters[0] === this.id) this.withNode(() => this.rn.campaign());
    this.schedule();
  }

  get confState(): ConfState {
    return this.handler.confState;
  }
  get isLeader(): boolean {
    return this.rn.state === "leader";
  }
  get leader(): number {
    return this.rn.lead;
  }
  get term(): number {
    return this.rn.term;
  }
  get isStopped(): boolean {
    return this.stopped;
  }
  get isRemoved(): boolean {
    return this.removed;
  }
  get electionTimeoutMs(): number {
    return this.timing.electionTick * this.timing.tickMs;
  }

  /** Runs `f` on the Raft node and schedules the Ready loop; Raft's "try again" errors are swallowed. */
  private withNode(f: () => void): void {
    if (this.stopped) return;
    try {
      f();
    } catch (err) {
      if (!(err instanceof ProposalDroppedError || err instanceof StepPeerNotFoundError || err instanceof StepLocalMsgError)) throw err;
    }
    this.schedule();
  }

  private stepPeer(m: Message): void {
    this.withNode(() => this.rn.step(m));
  }

  /** Proposes entry data; throws ProposalDroppedError when it cannot be appended or forwarded now. */
  propose(data: string): void {
    if (this.stopped) throw new ProposalDroppedError("raft node stopped");
    this.rn.propose(data);
    this.schedule();
  }

  /** Proposes a membership change; throws ProposalDroppedError when it cannot be proposed now. */
  proposeConfChange(cc: ConfChange): void {
    if (this.stopped) throw new ProposalDroppedError("raft node stopped");
    this.rn.proposeConfChange(cc);
    this.schedule();
  }

  /** Requests a read index for `ctx` (answered through onReadStates, or silently dropped). */
  readIndex(ctx: string): void {
    this.withNode(() => this.rn.readIndex(ctx));
  }

  transferLeader(to: number): void {
    this.withNode(() => this.rn.transferLeader(to));
  }

  /** Whether no membership change is pending (proposed and not yet applied). */
  confChangeIdle(): boolean {
    return this.rn.raft.pendingConfIndex <= this.o.fsm.appliedIndex();
  }

  // ---- ticking ----

  private tick(): void {
    if (this.stopped) return;
    this.ticks++;
    this.withNode(() => this.rn.tick());
    if (this.isLeader && this.ticks % 4 === 0) this.maybePromote();
  }

  /**
   * The leader's connection to us closed (usually: its process died, and the kernel
   * closed its sockets). Forget that leader (etcd's ForgetLeader: its lease no longer
   * keeps us from granting votes) and campaign after 1-4 ticks instead of a full
   * election timeout. If the leader is in fact alive, PreVote fails against members that
   * still hear from it and its next heartbeat makes it our leader again; no term changes.
   */
  private peerDown(id: number): void {
    const r = this.rn.raft;
    if (this.stopped || r.state !== "follower" || r.lead !== id) return;
    log.info("lost the leader's connection; starting a quick election", { leader: id.toString(16) });
    this.withNode(() => this.rn.forgetLeader());
    r.electionElapsed = 0;
    r.randomizedElectionTimeout = 1 + Math.floor(Math.random() * 4);
  }

  private softState(ss: SoftState): void {
    if (ss.raftState === "leader") log.info("became leader", { member: this.id.toString(16), term: this.rn.term });
    else if (ss.lead !== NONE) log.debug("following", { leader: ss.lead.toString(16), term: this.rn.term });
    this.events.onSoftState?.(ss);
  }

  // ---- the Ready loop ----

  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => this.run());
  }

  /** Handles up to a few Readies now. */
  private run(): void {
    this.scheduled = false;
    if (this.stopped) return;
    try {
      for (let i = 0; i < 8; i++) {
        const rd = this.handler.take();
        if (rd === undefined) break;
        this.handleReady(rd);
        if (this.stopped) return;
      }
    } catch (err) {
      log.error("raft: fatal error in the ready loop; stopping this member", { error: err as Error });
      this.halt();
      this.events.onFatal?.(err);
      return;
    }
    if (this.rn.hasReady()) this.schedule();
  }

  private handleReady(rd: Ready): void {
    const h = this.handler;
    let late = rd.messages;
    if (this.rn.state === "leader" && late.length > 0) {
      // Like etcd's server: a leader's appends and heartbeats go out while it writes its
      // own log (it counts itself toward a quorum only after its write, at advance());
      // answers that promise durability (votes, append acks) still wait for the write.
      const early = late.filter((m) => m.type === "MsgApp" || m.type === "MsgHeartbeat");
      if (early.length > 0) {
        late = late.filter((m) => m.type !== "MsgApp" && m.type !== "MsgHeartbeat");
        this.transport.send(early);
      }
    }
    if (!rd.mustSync && rd.entries.length === 0 && rd.snapshot === undefined) {
      // Only the commit index moved: write it without waiting for the disk.
      if (rd.hardState !== undefined) this.o.storage.saveUnsynced({ hardState: rd.hardState });
    } else h.persist(rd);
    if (late.length > 0) this.send(late);
    const confIndex = h.confIndex;
    h.apply(rd);
    if (rd.snapshot !== undefined) this.lastSnapshotIndex = Math.max(this.lastSnapshotIndex, rd.snapshot.metadata.index);
    if (h.confIndex !== confIndex) this.confChanged();
    this.maybeCompact();
    h.advance();
  }

  private send(msgs: Message[]): void {
    if (!msgs.some((m) => m.type === "MsgSnap")) return this.transport.send(msgs);
    let image: Message["snapshot"] | undefined;
    const out = msgs.map((m) => {
      if (m.type !== "MsgSnap") return m;
      image ??= this.freshSnapshot();
      if (image === undefined) {
        this.rn.reportSnapshot(m.to, "failure");
        return null;
      }
      return { ...m, snapshot: image };
    });
    this.transport.send(out.filter((m): m is Message => m !== null));
  }

  /** The state machine at the applied index, with the membership in effect there. */
  private freshSnapshot(): Message["snapshot"] | undefined {
    const applied = this.o.fsm.appliedIndex();
    const term = this.rn.termAt(applied);
    if (term === undefined || this.handler.confIndex > applied) return undefined;
    return { metadata: { index: applied, term, confState: this.handler.confState }, data: this.o.fsm.snapshotData() };
  }

  private maybeCompact(): void {
    const applied = this.o.fsm.appliedIndex();
    if (this.snapshotEvery <= 0 || applied - this.lastSnapshotIndex < this.snapshotEvery || this.handler.confIndex > applied) return;
    const storage = this.o.storage;
    if (applied <= storage.snapshot().metadata.index) {
      this.lastSnapshotIndex = storage.snapshot().metadata.index;
      return;
    }
    // The log below `applied` may only go once state.db holds it durably.
    this.o.fsm.makeDurable();
    storage.createSnapshot(applied, this.handler.confState, LOCAL_SNAPSHOT_MARKER);
    this.lastSnapshotIndex = applied;
    const compactTo = applied - this.compactionMargin;
    if (compactTo > storage.firstIndex()) storage.compact(compactTo);
  }

  private confChanged(): void {
    const cs = this.handler.confState;
    log.info("membership changed", { voters: cs.voters.map((v) => v.toString(16)).join(","), learners: cs.learners.map((v) => v.toString(16)).join(",") });
    if (cs.voters.length === 2 && cs.learners.length === 0 && !this.warnedTwoVoters) {
      this.warnedTwoVoters = true;
      log.warn("the cluster has 2 voting servers: losing either one stops all writes; run 3 (or 5, 7)");
    }
    this.events.onConfState?.(cs);
    if (!cs.voters.includes(this.id) && !cs.learners.includes(this.id) && (cs.voters.length > 0 || cs.learners.length > 0)) {
      log.warn("this server was removed from the cluster; stopping its raft member", { member: this.id.toString(16) });
      this.removed = true;
      queueMicrotask(() => {
        this.halt();
        this.events.onRemoved?.();
      });
    }
  }

  // ---- membership (leader side) ----

  /**
   * Promotes caught-up learners, keeping the voter count odd: with one voter, a single
   * caught-up learner waits (two voters would halt on the loss of either) until a second
   * one is caught up too.
   */
  private maybePromote(): void {
    if (!this.confChangeIdle()) return;
    const st = this.rn.status();
    const last = this.rn.lastIndex();
    const ready = [...st.progress]
      .filter(([id, pr]) => pr.isLearner && pr.recentActive && pr.state === "replicate" && last - pr.match <= this.promoteLag && id !== this.id)
      .map(([id]) => id);
    if (ready.length === 0) return;
    const voters = st.config.voters.length;
    if ((voters + 1) % 2 === 0 && ready.length < 2) return;
    log.info("promoting learner to voter", { member: ready[0]!.toString(16) });
    this.withNode(() => this.rn.proposeConfChange({ type: "addNode", nodeId: ready[0]! }));
  }

  // ---- stopping ----

  /**
   * Stops this member. A leader first hands leadership to the most up-to-date voter and
   * waits (up to an election timeout) for it to take over, so a planned restart causes no
   * election timeout on the others.
   */
  async stop(opts: { transfer?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    if ((opts.transfer ?? true) && this.isLeader) await this.transferAway();
    this.halt();
  }

  /**
   * Leader: hands leadership to another voter, the most up-to-date first; if one does not
   * take over within an election timeout (Raft abandons the transfer then), tries the
   * next. Resolves true once this member no longer leads.
   */
  async transferAway(timeoutMs = this.electionTimeoutMs * 3): Promise<boolean> {
    if (!this.isLeader) return true;
    const deadline = Date.now() + timeoutMs;
    const st = this.rn.status();
    const candidates = [...st.progress]
      .filter(([id, pr]) => id !== this.id && !pr.isLearner && pr.recentActive)
      .sort((a, b) => b[1].match - a[1].match)
      .map(([id]) => id);
    for (const to of candidates) {
      if (!this.isLeader || this.stopped || Date.now() >= deadline) break;
      log.info("transferring leadership before stopping", { to: to.toString(16) });
      this.transferLeader(to);
      const until = Math.min(deadline, Date.now() + this.electionTimeoutMs);
      while (this.isLeader && Date.now() < until && !this.stopped) await Bun.sleep(5);
    }
    return !this.isLeader;
  }

  /** Stops at once: timers, transport; flushes nothing more. The storage stays open for the owner to close. */
  private halt(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
    this.transport.close();
  }
}

export { RaftError };
