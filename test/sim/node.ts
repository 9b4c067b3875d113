/**
 * @module sim/node
 * SimNode: one simulated server, running the real Raft core (RawNode), the real driver
 * (ReadyHandler), a real LogStorage on a SimDisk and a real state machine. Ticks come
 * from the virtual clock (with per-node skew); each Ready is persisted after a simulated
 * disk latency, then sent, applied and advanced. A crash loses the pending write and all
 * memory; a restart recovers from the disk alone.
 *
 * Canary "send-before-persist" breaks the Ready contract on purpose (messages go out
 * before the write is durable) so the checkers can prove they catch it.
 */
import { ReadyHandler, startRawNode } from "../../src/cluster/driver.ts";
import { ProposalDroppedError, RaftError, StepLocalMsgError, StepPeerNotFoundError } from "../../src/raft/errors.ts";
import type { RawNode } from "../../src/raft/raw-node.ts";
import type { ConfState, Entry, Message, ReadState, Ready, Snapshot } from "../../src/raft/types.ts";
import type { CommandResult } from "../../src/store/commands.ts";
import { SimDisk, type StorageKind } from "./disk.ts";
import type { EventQueue } from "./events.ts";
import { MvccFsm, type ScratchDir, type SimFsm, TinyKv } from "./fsm.ts";
import type { Canary } from "./options.ts";
import type { Prng } from "./prng.ts";

export interface NodeEnv {
  q: EventQueue;
  rng: Prng;
  scratch: ScratchDir;
  storage: StorageKind;
  fsm: "mvcc" | "tiny";
  durableFsm: boolean;
  tickMs: number;
  electionTick: number;
  heartbeatTick: number;
  maxSizePerMsg: number;
  maxInflightMsgs: number;
  maxInflightBytes: number;
  snapshotEvery: number;
  compactionMargin: number;
  diskLatencyMs: [number, number];
  canary: Canary | undefined;
  send(msgs: Message[]): void;
  onPersisted(node: SimNode, rd: Ready): void;
  onApplied(node: SimNode, entries: Entry[], results: CommandResult[]): void;
  onSnapshotApplied(node: SimNode, snap: Snapshot): void;
  onReadStates(node: SimNode, rs: ReadState[]): void;
  trace(line: string): void;
}

export class SimNode {
  readonly disk: SimDisk;
  up = false;
  /** Removed from the membership: stopped for good. */
  removed = false;
  incarnation = 0;
  private rn_: RawNode | undefined;
  private handler: ReadyHandler<CommandResult> | undefined;
  private fsm_: SimFsm | undefined;
  private busy = false;
  private readonly skew: number;

  constructor(
    readonly id: number,
    private readonly env: NodeEnv,
    bootstrap: ConfState | undefined,
  ) {
    this.disk = new SimDisk(env.storage);
    if (bootstrap !== undefined) {
      const s = this.disk.open();
      s.bootstrap(bootstrap);
      this.disk.release();
    }
    this.skew = 1 + (env.rng.float() - 0.5) * 0.1;
  }

  get rn(): RawNode {
    if (this.rn_ === undefined) throw new Error(`node ${this.id} is down`);
    return this.rn_;
  }

  get fsm(): SimFsm {
    if (this.fsm_ === undefined || !this.up) throw new Error(`node ${this.id} is down`);
    return this.fsm_;
  }

  get confState(): ConfState {
    return this.handler!.confState;
  }

  start(): void {
    if (this.up || this.removed) return;
    const env = this.env;
    this.incarnation++;
    const storage = this.disk.open();
    const fsm: SimFsm = this.fsm_ ?? (env.fsm === "mvcc" ? new MvccFsm(env.scratch) : new TinyKv());
    const rng = env.rng.fork();
    const rn = startRawNode(
      {
        id: this.id,
        electionTick: env.electionTick,
        heartbeatTick: env.heartbeatTick,
        random: (n) => rng.int(n),
        maxSizePerMsg: env.maxSizePerMsg,
        maxInflightMsgs: env.maxInflightMsgs,
        maxInflightBytes: env.maxInflightBytes,
        testingKnobs: {
          skipElectionRestriction: env.canary === "skip-election-restriction",
          unsafeReadIndex: env.canary === "unsafe-read-index",
        },
      },
      storage,
      fsm,
    );
    this.handler = new ReadyHandler<CommandResult>({
      node: rn,
      storage,
      fsm,
      transport: { send: (msgs) => env.send(msgs) },
      snapshotEvery: env.snapshotEvery,
      compactionMargin: env.compactionMargin,
      onApplied: (entries, results) => env.onApplied(this, entries, results),
      onReadStates: (rs) => env.onReadStates(this, rs),
    });
    this.rn_ = rn;
    this.fsm_ = fsm;
    this.up = true;
    this.busy = false;
    env.trace(`node ${this.id} started (incarnation ${this.incarnation}, term ${rn.term}, commit ${rn.committed}, applied ${rn.applied})`);
    this.scheduleTick();
    this.kick();
  }

  /** Power loss: the pending write and all memory are gone. */
  crash(reason: string): void {
    if (!this.up) return;
    this.up = false;
    this.incarnation++;
    this.busy = false;
    // a durable state machine keeps what it applied; a volatile one is rebuilt on restart
    if (!this.env.durableFsm || reason === "removed" || reason === "end") {
      this.fsm_?.close();
      this.fsm_ = undefined;
    }
    this.rn_ = undefined;
    this.handler = undefined;
    this.disk.release();
    this.env.trace(`node ${this.id} crashed (${reason})`);
  }

  /** Removed from the membership: stop for good. */
  remove(): void {
    this.crash("removed");
    this.removed = true;
  }

  destroy(): void {
    if (this.up) this.crash("end");
    this.fsm_?.close();
    this.fsm_ = undefined;
    this.disk.destroy();
  }

  private scheduleTick(): void {
    const inc = this.incarnation;
    this.env.q.schedule(this.env.tickMs * this.skew, "tick", () => {
      if (inc !== this.incarnation) return;
      this.rn.tick();
      this.kick();
      this.scheduleTick();
    });
  }

  step(msg: Message): void {
    if (!this.up) return;
    try {
      this.rn.step(msg);
    } catch (e) {
      // a forwarded proposal that reaches a node no longer leading is dropped (its
      // proposer times out), as with etcd's transport
      if (e instanceof StepPeerNotFoundError || e instanceof StepLocalMsgError || e instanceof ProposalDroppedError) return;
      throw e;
    }
    this.kick();
  }

  /** Runs a client action on the node (propose, readIndex...); typed Raft errors are returned. */
  act(fn: (rn: RawNode) => void): RaftError | undefined {
    if (!this.up) return undefined;
    try {
      fn(this.rn);
    } catch (e) {
      if (e instanceof RaftError && e.code === "ProposalDropped") return e;
      throw e;
    }
    this.kick();
    return undefined;
  }

  /** Starts handling the next Ready if the previous one is done. */
  kick(): void {
    if (!this.up || this.busy) return;
    const h = this.handler!;
    const rd = h.take();
    if (rd === undefined) return;
    this.busy = true;
    const env = this.env;
    if (env.canary === "send-before-persist") h.send(rd);
    const inc = this.incarnation;
    const [lo, hi] = env.diskLatencyMs;
    const latency = lo + env.rng.float() * (hi - lo);
    env.q.schedule(latency, "persist", () => {
      if (inc !== this.incarnation) return; // crashed meanwhile: the write never happened
      h.persist(rd);
      env.onPersisted(this, rd);
      if (env.canary !== "send-before-persist") h.send(rd);
      if (rd.snapshot !== undefined) env.onSnapshotApplied(this, rd.snapshot);
      h.apply(rd);
      h.advance();
      this.busy = false;
      this.kick();
    });
  }
}
