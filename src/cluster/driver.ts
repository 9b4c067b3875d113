/**
 * @module cluster/driver
 * The host side of the Ready contract, shared by the real node and the simulation:
 * given a RawNode, its LogStorage, a transport and a state machine, handle one Ready at a
 * time in the required order:
 *   1. persist (one atomic, durable storage write),
 *   2. send (snapshots go out as the state at the applied index),
 *   3. apply (snapshot, conf changes, committed entries), snapshot and compact the log,
 *   4. advance.
 * The phases are separate methods so that a host can put time between them (the
 * simulation models disk latency); `handleReady` runs them back to back.
 *
 * Membership: a conf change is applied to Raft and recorded durably (saveConfState)
 * before the state machine records the entry as applied, so after a restart every conf
 * change at or below the state machine's applied index is in the stored membership;
 * those at or below `confIndex` are not applied to Raft a second time.
 */
import { InvalidConfChangeError, StorageCorruptError } from "../raft/errors.ts";
import type { RaftConfig } from "../raft/raft.ts";
import { RawNode } from "../raft/raw-node.ts";
import type { LogStorage } from "../raft/storage.ts";
import {
  type ConfChange,
  type ConfState,
  type Entry,
  type Message,
  type ReadState,
  type Ready,
  type Snapshot,
  type SoftState,
  decodeConfChange,
} from "../raft/types.ts";

export interface RaftTransport {
  /** Sends messages to peers (best effort; Raft tolerates loss, duplication and reordering). */
  send(messages: Message[]): void;
}

/** The replicated state machine as the driver sees it. */
export interface ApplyStateMachine<R> {
  appliedIndex(): number;
  /**
   * Applies contiguous committed entries in order. Conf-change entries and the leader's
   * empty entries (data "") are no-ops for the state machine but advance its applied
   * index. Entries at or below appliedIndex() must be skipped.
   */
  applyEntries(entries: Entry[]): R[];
  /** An image of the state at appliedIndex(). */
  snapshotData(): Uint8Array;
  /** Replaces the state with a snapshot; empty data means the empty initial state at that index. */
  restoreSnapshot(snap: Snapshot): void;
}

export interface DriverOptions<R> {
  node: RawNode;
  storage: LogStorage;
  transport: RaftTransport;
  fsm: ApplyStateMachine<R>;
  /** Create a snapshot and compact the log every this many applied entries (0: never). */
  snapshotEvery?: number;
  /** Entries kept below the snapshot index when compacting, for followers slightly behind. */
  compactionMargin?: number;
  onApplied?: (entries: Entry[], results: R[]) => void;
  onReadStates?: (readStates: ReadState[]) => void;
  onSoftState?: (softState: SoftState) => void;
  /** A committed conf change that Raft refused (e.g. removing the last voter); applied as a no-op everywhere. */
  onConfChangeRefused?: (cc: ConfChange, index: number, error: InvalidConfChangeError) => void;
}

/** Opens a RawNode on durable storage, first bringing the state machine up to the stored snapshot. */
export function startRawNode<R>(
  config: Omit<RaftConfig, "storage" | "applied">,
  storage: LogStorage,
  fsm: ApplyStateMachine<R>,
): RawNode {
  const snap = storage.snapshot();
  if (fsm.appliedIndex() < snap.metadata.index) fsm.restoreSnapshot(snap);
  const { hardState } = storage.initialState();
  const applied = fsm.appliedIndex();
  if (applied > hardState.commit) {
    throw new StorageCorruptError(`state machine applied ${applied} is beyond the durable commit index ${hardState.commit}`);
  }
  return new RawNode({ ...config, storage, applied });
}

export class ReadyHandler<R> {
  readonly node: RawNode;
  private readonly o: DriverOptions<R>;
  /** Membership after the last applied conf change (or snapshot), and the index it took effect at. */
  confState: ConfState;
  confIndex: number;
  private lastSnapshotIndex: number;

  constructor(opts: DriverOptions<R>) {
    this.o = opts;
    this.node = opts.node;
    const init = opts.storage.initialState();
    this.confState = init.confState;
    this.confIndex = init.confIndex;
    this.lastSnapshotIndex = opts.storage.snapshot().metadata.index;
  }

  /** Takes the next Ready, if any; the node then waits for advance(). */
  take(): Ready | undefined {
    return this.node.hasReady() ? this.node.ready() : undefined;
  }

  /** Step 1: one atomic write; once it returns the Ready's messages may be sent. */
  persist(rd: Ready): void {
    if (rd.entries.length === 0 && rd.hardState === undefined && rd.snapshot === undefined) return;
    this.o.storage.save({ hardState: rd.hardState, entries: rd.entries, snapshot: rd.snapshot });
  }

  /** Step 2. */
  send(rd: Ready): void {
    if (rd.messages.length === 0) return;
    this.o.transport.send(rd.messages.map((m) => (m.type === "MsgSnap" ? this.freshSnapshot(m) : m)));
  }

  /**
   * Like etcd's server (createMergedSnapshotMessage): send the state machine as of the
   * applied index, with the membership in effect there, rather than the older stored
   * snapshot, so that a member added since then finds itself in it.
   */
  private freshSnapshot(m: Message): Message {
    const fsm = this.o.fsm;
    const applied = fsm.appliedIndex();
    if (m.snapshot === undefined || applied <= m.snapshot.metadata.index || this.confIndex > applied) return m;
    const term = this.node.termAt(applied);
    if (term === undefined) return m;
    return {
      ...m,
      snapshot: { metadata: { index: applied, term, confState: this.confState }, data: fsm.snapshotData() },
    };
  }

  /** Step 3. */
  apply(rd: Ready): void {
    if (rd.softState !== undefined) this.o.onSoftState?.(rd.softState);
    if (rd.snapshot !== undefined) {
      this.o.fsm.restoreSnapshot(rd.snapshot);
      this.confState = rd.snapshot.metadata.confState;
      this.confIndex = rd.snapshot.metadata.index;
      this.lastSnapshotIndex = Math.max(this.lastSnapshotIndex, rd.snapshot.metadata.index);
    }
    const ents = rd.committedEntries;
    if (ents.length > 0) {
      for (const e of ents) if (e.type === "confChange") this.applyConfChange(e);
      const results = this.o.fsm.applyEntries(ents);
      this.o.onApplied?.(ents, results);
    }
    if (rd.readStates.length > 0) this.o.onReadStates?.(rd.readStates);
    this.maybeSnapshot();
  }

  private applyConfChange(e: Entry): void {
    if (e.index <= this.confIndex) return; // already in the stored membership (restart)
    const cc = decodeConfChange(e.data);
    let cs: ConfState;
    try {
      cs = this.node.applyConfChange(cc);
    } catch (err) {
      if (!(err instanceof InvalidConfChangeError)) throw err;
      // deterministic on every node: treat as a no-op so the log moves on
      cs = this.node.applyConfChange({ ...cc, nodeId: 0 });
      this.o.onConfChangeRefused?.(cc, e.index, err);
    }
    this.o.storage.saveConfState(cs, e.index);
    this.confState = cs;
    this.confIndex = e.index;
  }

  private maybeSnapshot(): void {
    const every = this.o.snapshotEvery ?? 0;
    if (every <= 0) return;
    const applied = this.o.fsm.appliedIndex();
    if (applied - this.lastSnapshotIndex < every || this.confIndex > applied) return;
    const storage = this.o.storage;
    storage.createSnapshot(applied, this.confState, this.o.fsm.snapshotData());
    this.lastSnapshotIndex = applied;
    const compactTo = applied - (this.o.compactionMargin ?? 0);
    if (compactTo >= storage.firstIndex()) storage.compact(compactTo);
  }

  /** Step 4. */
  advance(): void {
    this.node.advance();
  }

  /** All four steps; returns false when there was no Ready. */
  handleReady(): boolean {
    const rd = this.take();
    if (rd === undefined) return false;
    this.persist(rd);
    this.send(rd);
    this.apply(rd);
    this.advance();
    return true;
  }
}
