/**
 * @module raft/test-network
 * Test harness for the Raft core (like etcd-io/raft raft_test.go `network`): RawNodes on
 * MemoryStorage, each following the Ready contract synchronously (persist, send, apply,
 * advance), connected by an in-memory network that delivers breadth-first until quiet.
 * Supports drop (seeded), cut, isolate, ignore and a message hook. Test-only.
 */
import { RawNode } from "./raw-node.ts";
import type { RaftConfig } from "./raft.ts";
import { MemoryStorage } from "./storage.ts";
import { type ConfState, type Entry, type Message, type MessageType, type ReadState, decodeConfChange } from "./types.ts";

function decodeFsm(data: Uint8Array): string[] {
  return data.length === 0 ? [] : (JSON.parse(new TextDecoder().decode(data)) as string[]);
}

/** Deterministic PRNG for tests (mulberry32). */
export function seededRandom(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n: number) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const x = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return Math.floor(x * n);
  };
}

export interface TestNodeOptions extends Partial<Omit<RaftConfig, "id" | "storage">> {
  storage?: MemoryStorage;
  /** Skip bootstrapping the storage (a node joining later, or restarting on existing storage). */
  noBootstrap?: boolean;
  /**
   * Bootstrap like production (LogStorage.bootstrap: a snapshot at index 1) instead of the
   * default test shortcut (the membership recorded at index 0 with an empty log, like
   * etcd's tests). Needed when servers join later and must learn the initial membership.
   */
  realBootstrap?: boolean;
  learners?: number[];
  /** Take a snapshot and compact every N applied entries (0: never). */
  snapshotEvery?: number;
}

/** A RawNode plus its storage and a trivial state machine (the list of applied payloads). */
export class TestNode {
  rn: RawNode;
  readonly storage: MemoryStorage;
  applied: Entry[] = [];
  readStates: ReadState[] = [];
  /** Payloads of applied normal entries, rebuilt from snapshots (the "state machine"). */
  fsm: string[] = [];
  confState: ConfState;
  /** Conf changes at or below this index are already reflected in the stored membership. */
  confIndex = 0;
  private readonly opts: TestNodeOptions;
  stopped = false;

  constructor(
    readonly id: number,
    peers: number[],
    opts: TestNodeOptions = {},
  ) {
    this.opts = opts;
    this.storage = opts.storage ?? new MemoryStorage();
    if (!opts.noBootstrap && opts.storage === undefined) {
      const cs = { voters: peers, learners: opts.learners ?? [] };
      if (opts.realBootstrap) this.storage.bootstrap(cs);
      else this.storage.saveConfState(cs, 0);
    }
    this.confState = this.storage.initialState().confState;
    this.rn = this.makeRawNode();
  }

  private makeRawNode(): RawNode {
    const o = this.opts;
    const init = this.storage.initialState();
    this.confState = init.confState;
    this.confIndex = init.confIndex;
    const snap = this.storage.snapshot();
    if (snap.metadata.index > 0) this.fsm = decodeFsm(snap.data);
    return new RawNode({
      electionTick: 10,
      heartbeatTick: 1,
      random: seededRandom(this.id * 7919),
      maxSizePerMsg: 1 << 20,
      maxInflightMsgs: 256,
      ...o,
      id: this.id,
      storage: this.storage,
      applied: snap.metadata.index,
    });
  }

  /** Simulates a restart: a new RawNode on the same (durable) storage. */
  restart(): void {
    this.applied = [];
    this.fsm = [];
    this.rn = this.makeRawNode();
  }

  /**
   * Like etcd's server (createMergedSnapshotMessage): a snapshot goes out as the state
   * machine at the applied index with the membership in effect there, so a server added
   * after the last stored snapshot finds itself in it.
   */
  private freshSnapshotMessage(m: Message): Message {
    const index = this.rn.applied;
    const term = this.rn.termAt(index);
    if (term === undefined || m.snapshot === undefined || index <= m.snapshot.metadata.index) return m;
    const data = new TextEncoder().encode(JSON.stringify(this.fsm));
    return { ...m, snapshot: { metadata: { index, term, confState: this.confState }, data } };
  }

  /** Runs Ready loops until there is no work; returns the messages to send. */
  drain(): Message[] {
    const out: Message[] = [];
    while (this.rn.hasReady()) {
      const rd = this.rn.ready();
      this.storage.save({ hardState: rd.hardState, entries: rd.entries, snapshot: rd.snapshot });
      for (const m of rd.messages) out.push(m.type === "MsgSnap" ? this.freshSnapshotMessage(m) : m);
      if (rd.snapshot !== undefined) {
        this.fsm = decodeFsm(rd.snapshot.data);
        this.confState = rd.snapshot.metadata.confState;
      }
      for (const e of rd.committedEntries) {
        this.applied.push(e);
        if (e.type === "confChange" && e.index > this.confIndex) {
          this.confState = this.rn.applyConfChange(decodeConfChange(e.data));
          this.storage.saveConfState(this.confState, e.index);
        } else if (e.type === "normal" && e.data !== "") {
          this.fsm.push(e.data);
        }
      }
      this.readStates.push(...rd.readStates);
      this.rn.advance();
      const every = this.opts.snapshotEvery ?? 0;
      const applied = this.rn.applied;
      if (every > 0 && applied - this.storage.snapshot().metadata.index >= every) {
        this.storage.createSnapshot(applied, this.confState, new TextEncoder().encode(JSON.stringify(this.fsm)));
        this.storage.compact(applied);
      }
    }
    return out;
  }
}

type Filter = (m: Message) => boolean;

export class Network {
  readonly nodes = new Map<number, TestNode>();
  private drops = new Map<string, number>();
  private ignored = new Set<MessageType>();
  /** Return false to drop the message. */
  msgHook: ((m: Message) => boolean) | undefined;
  private readonly rand: (n: number) => number;
  /** Every message delivered, in order (for assertions). */
  delivered: Message[] = [];

  constructor(nodes: TestNode[], seed = 1) {
    for (const n of nodes) this.nodes.set(n.id, n);
    this.rand = seededRandom(seed);
  }

  /** A cluster of `n` voters with ids 1..n. */
  static ofSize(n: number, opts: TestNodeOptions = {}): Network {
    const ids = Array.from({ length: n }, (_, i) => i + 1);
    return new Network(ids.map((id) => new TestNode(id, ids, opts)));
  }

  node(id: number): TestNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  /** Steps the given messages and everything they cause, breadth-first, until quiet. */
  send(...msgs: Message[]): void {
    const queue: Message[] = [...msgs];
    for (const n of this.nodes.values()) if (!n.stopped) queue.push(...n.drain());
    while (queue.length > 0) {
      const m = queue.shift()!;
      if (!this.pass(m)) continue;
      const n = this.nodes.get(m.to);
      if (n === undefined || n.stopped) continue;
      this.delivered.push(m);
      try {
        n.rn.step(m);
      } catch (e) {
        if (!(e instanceof Error && "code" in e)) throw e;
      }
      queue.push(...n.drain());
    }
  }

  /** Runs local actions on nodes (propose, campaign, tick...) then delivers everything. */
  act(fn: () => void): void {
    fn();
    this.send();
  }

  campaign(id: number): void {
    this.act(() => this.node(id).rn.campaign());
  }

  propose(id: number, data: string): void {
    this.act(() => this.node(id).rn.propose(data));
  }

  tick(id: number, times = 1): void {
    this.act(() => {
      for (let i = 0; i < times; i++) this.node(id).rn.tick();
    });
  }

  /** Ticks every running node `times` times, delivering after each round. */
  tickAll(times = 1): void {
    for (let i = 0; i < times; i++) {
      this.act(() => {
        for (const n of this.nodes.values()) if (!n.stopped) n.rn.tick();
      });
    }
  }

  private pass(m: Message): boolean {
    if (this.ignored.has(m.type)) return false;
    const p = this.drops.get(`${m.from}-${m.to}`) ?? 0;
    if (p > 0 && (p >= 1 || this.rand(1_000_000) < p * 1_000_000)) return false;
    if (this.msgHook !== undefined && !this.msgHook(m)) return false;
    return true;
  }

  drop(from: number, to: number, perc: number): void {
    this.drops.set(`${from}-${to}`, perc);
  }

  cut(a: number, b: number): void {
    this.drop(a, b, 1);
    this.drop(b, a, 1);
  }

  isolate(id: number): void {
    for (const other of this.nodes.keys()) if (other !== id) this.cut(id, other);
  }

  ignore(t: MessageType): void {
    this.ignored.add(t);
  }

  recover(): void {
    this.drops.clear();
    this.ignored.clear();
    this.msgHook = undefined;
  }

  add(n: TestNode): void {
    this.nodes.set(n.id, n);
  }

  filter(f: Filter): void {
    this.msgHook = f;
  }

  leader(): TestNode | undefined {
    for (const n of this.nodes.values()) if (!n.stopped && n.rn.state === "leader") return n;
    return undefined;
  }
}

export interface NodeSetup extends TestNodeOptions {
  /** Log entries as a list of terms for indexes 1..n. */
  logTerms?: number[];
  term?: number;
  vote?: number;
  commit?: number;
}

/** A node with a pre-built durable state (log, term, vote, commit), as after a restart. */
export function nodeWithState(id: number, peers: number[], setup: NodeSetup = {}): TestNode {
  const storage = new MemoryStorage();
  storage.saveConfState({ voters: peers, learners: setup.learners ?? [] }, 0);
  const terms = setup.logTerms ?? [];
  storage.save({
    entries: terms.map((t, i) => ({ index: i + 1, term: t, type: "normal" as const, data: `e${i + 1}` })),
    hardState: { term: setup.term ?? terms[terms.length - 1] ?? 0, vote: setup.vote ?? 0, commit: setup.commit ?? 0 },
  });
  return new TestNode(id, peers, { ...setup, storage });
}
