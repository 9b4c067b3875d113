import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import type { RawNode } from "../raft/raw-node.ts";
import type { Entry, Message, Snapshot } from "../raft/types.ts";
import { type ApplyStateMachine, ReadyHandler, startRawNode } from "./driver.ts";
import { SqliteLogStorage } from "./log-storage.ts";

/** A list of applied payloads; its image is JSON. */
class ListFsm implements ApplyStateMachine<number> {
  items: string[] = [];
  applied = 0;
  appliedIndex(): number {
    return this.applied;
  }
  applyEntries(entries: Entry[]): number[] {
    const out: number[] = [];
    for (const e of entries) {
      if (e.index <= this.applied) continue;
      if (e.index !== this.applied + 1) throw new Error(`gap: ${this.applied} -> ${e.index}`);
      this.applied = e.index;
      if (e.type === "normal" && e.data !== "") this.items.push(e.data);
      out.push(this.items.length);
    }
    return out;
  }
  snapshotData(): Uint8Array {
    return new TextEncoder().encode(JSON.stringify({ items: this.items, applied: this.applied }));
  }
  restoreSnapshot(snap: Snapshot): void {
    if (snap.data.length === 0) {
      this.items = [];
    } else {
      this.items = (JSON.parse(new TextDecoder().decode(snap.data)) as { items: string[] }).items;
    }
    this.applied = snap.metadata.index;
  }
}

interface Member {
  id: number;
  db: Database;
  storage: SqliteLogStorage;
  fsm: ListFsm;
  node: RawNode;
  handler: ReadyHandler<number>;
  refused: number;
}

class Cluster {
  members = new Map<number, Member>();
  queue: Message[] = [];

  start(id: number, bootstrap?: number[], db = new Database(":memory:")): Member {
    const storage = new SqliteLogStorage(db);
    if (bootstrap !== undefined) storage.bootstrap({ voters: bootstrap, learners: [] });
    const fsm = new ListFsm();
    const node = startRawNode({ id, electionTick: 10, heartbeatTick: 1, random: (n) => (id * 3) % n }, storage, fsm);
    const m: Member = { id, db, storage, fsm, node, refused: 0, handler: undefined as never };
    m.handler = new ReadyHandler({
      node,
      storage,
      fsm,
      transport: { send: (msgs) => this.queue.push(...msgs) },
      snapshotEvery: 4,
      compactionMargin: 1,
      onConfChangeRefused: () => m.refused++,
    });
    this.members.set(id, m);
    return m;
  }

  /** A restart: drop the node and its state machine, keep the database (the disk). */
  restart(id: number): Member {
    const old = this.members.get(id)!;
    old.storage.close();
    return this.start(id, undefined, old.db);
  }

  settle(): void {
    for (let guard = 0; guard < 10_000; guard++) {
      let busy = false;
      for (const m of this.members.values()) while (m.handler.handleReady()) busy = true;
      const msgs = this.queue.splice(0);
      for (const msg of msgs) {
        const to = this.members.get(msg.to);
        if (to === undefined) continue;
        try {
          to.node.step(msg);
        } catch {
          // responses from unknown peers etc.
        }
        busy = true;
      }
      if (!busy) return;
    }
    throw new Error("cluster did not settle");
  }

  tick(n: number): void {
    for (let i = 0; i < n; i++) {
      for (const m of this.members.values()) m.node.tick();
      this.settle();
    }
  }

  leader(): Member {
    const l = [...this.members.values()].find((m) => m.node.state === "leader");
    if (l === undefined) throw new Error("no leader");
    return l;
  }
}

describe("ReadyHandler", () => {
  test("replicates, snapshots, compacts, and lets a joiner catch up by a fresh snapshot", () => {
    const c = new Cluster();
    for (const id of [1, 2, 3]) c.start(id, [1, 2, 3]);
    c.members.get(1)!.node.campaign();
    c.settle();
    for (let i = 0; i < 12; i++) {
      c.leader().node.propose(`v${i}`);
      c.settle();
    }
    const lead = c.leader();
    expect(lead.fsm.items.length).toBe(12);
    expect(lead.storage.snapshot().metadata.index).toBeGreaterThan(8);
    expect(lead.storage.firstIndex()).toBeGreaterThan(8);

    c.start(4); // a new server: empty disk, no membership
    lead.node.proposeConfChange({ type: "addLearnerNode", nodeId: 4 });
    c.settle();
    c.tick(3);
    const j = c.members.get(4)!;
    expect(j.fsm.items).toEqual(lead.fsm.items);
    expect(j.handler.confState).toEqual({ voters: [1, 2, 3], learners: [4] });
    c.leader().node.proposeConfChange({ type: "addNode", nodeId: 4 });
    c.settle();
    expect(j.storage.initialState().confState).toEqual({ voters: [1, 2, 3, 4], learners: [] });
  });

  test("a restarted node rebuilds its state machine from the snapshot and the log", () => {
    const c = new Cluster();
    for (const id of [1, 2, 3]) c.start(id, [1, 2, 3]);
    c.members.get(1)!.node.campaign();
    c.settle();
    for (let i = 0; i < 10; i++) {
      c.leader().node.propose(`v${i}`);
      c.settle();
    }
    const before = [...c.members.get(2)!.fsm.items];
    const m = c.restart(2);
    expect(m.fsm.applied).toBe(m.storage.snapshot().metadata.index);
    c.settle();
    expect(m.fsm.items).toEqual(before);
    c.tick(30);
    c.leader().node.propose("after");
    c.settle();
    expect(c.members.get(2)!.fsm.items).toEqual([...before, "after"]);
  });

  test("a committed conf change that Raft refuses is a no-op everywhere", () => {
    const c = new Cluster();
    c.start(1, [1]);
    c.members.get(1)!.node.campaign();
    c.settle();
    c.leader().node.proposeConfChange({ type: "removeNode", nodeId: 1 });
    c.settle();
    const m = c.members.get(1)!;
    expect(m.refused).toBe(1);
    expect(m.handler.confState.voters).toEqual([1]);
    m.node.propose("still works");
    c.settle();
    expect(m.fsm.items).toEqual(["still works"]);
  });
});
