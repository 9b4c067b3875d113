/**
 * @module sim/workload
 * What the simulated world asks of the cluster:
 *  - Clients propose store commands (create / update / delete with unique values) on
 *    random nodes; a proposal is acknowledged when the node that proposed it applies it.
 *    Linearizable reads (ReadIndex) must return a read index covering every write
 *    acknowledged before the read started.
 *  - Membership: new servers join as learners (catching up by snapshot when the log was
 *    compacted), are promoted once caught up, voters are removed; one change at a time.
 */
import { encodeProposal, decodeProposal } from "../../src/cluster/proposal.ts";
import type { Entry, ReadState } from "../../src/raft/types.ts";
import type { Command, CommandResult } from "../../src/store/commands.ts";
import { SafetyViolation } from "./checkers.ts";
import { KEY_PREFIX } from "./fsm.ts";
import type { SimNode } from "./node.ts";
import type { Prng } from "./prng.ts";

export interface World {
  now(): number;
  upNodes(): SimNode[];
  leader(): SimNode | undefined;
  node(id: number): SimNode | undefined;
  allNodes(): SimNode[];
  addNode(id: number): SimNode;
  removeNode(id: number): void;
  trace(line: string): void;
}

export interface Ack {
  index: number;
  result: CommandResult;
  node: number;
}

export class Clients {
  private nextId = 0;
  private nextRead = 0;
  private readonly pending = new Map<string, { node: number; incarnation: number }>();
  readonly acked = new Map<string, Ack>();
  private readonly revs = new Map<string, number>();
  maxAckedIndex = 0;
  private readonly reads = new Map<string, { node: number; minIndex: number }>();
  stats = { proposed: 0, dropped: 0, acked: 0, reads: 0, readsAnswered: 0 };

  constructor(
    private readonly rng: Prng,
    private readonly world: World,
  ) {}

  private pickNode(): SimNode | undefined {
    const leader = this.world.leader();
    if (leader !== undefined && this.rng.chance(0.7)) return leader;
    const up = this.world.upNodes();
    return up.length === 0 ? undefined : this.rng.pick(up);
  }

  private command(id: number): Command {
    const key = `${KEY_PREFIX}k${this.rng.int(8)}`;
    const rev = this.revs.get(key);
    const value = `v${id}`;
    if (rev === undefined || this.rng.chance(0.15)) return { op: "create", key, value };
    const stale = this.rng.chance(0.2);
    const expected = stale ? Math.max(1, rev - 1) : rev;
    if (this.rng.chance(0.2)) return { op: "delete", key, expectedRevision: this.rng.chance(0.3) ? 0 : expected };
    return { op: "update", key, value, expectedRevision: expected };
  }

  propose(): void {
    const node = this.pickNode();
    if (node === undefined) return;
    const n = this.nextId++;
    const id = `c${n}`;
    const data = encodeProposal({ id, cmd: this.command(n) });
    this.stats.proposed++;
    const err = node.act((rn) => rn.propose(data));
    if (err !== undefined) {
      this.stats.dropped++;
      return;
    }
    this.pending.set(id, { node: node.id, incarnation: node.incarnation });
  }

  /** Proposes a no-op through the leader (the liveness barrier); returns its id. */
  barrier(leader: SimNode): string | undefined {
    const id = `barrier${this.nextId++}`;
    const err = leader.act((rn) => rn.propose(encodeProposal({ id, cmd: { op: "noop" } })));
    if (err !== undefined) return undefined;
    this.pending.set(id, { node: leader.id, incarnation: leader.incarnation });
    return id;
  }

  read(): void {
    const up = this.world.upNodes();
    if (up.length === 0) return;
    const node = this.rng.pick(up);
    const ctx = `r${this.nextRead++}`;
    this.stats.reads++;
    this.reads.set(ctx, { node: node.id, minIndex: this.maxAckedIndex });
    node.act((rn) => rn.readIndex(ctx));
  }

  onApplied(node: SimNode, entries: Entry[], results: CommandResult[]): void {
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      if (e.type !== "normal" || e.data === "") continue;
      const p = decodeProposal(e.data);
      if (p === null) continue;
      const pend = this.pending.get(p.id);
      if (pend === undefined || pend.node !== node.id || pend.incarnation !== node.incarnation) continue;
      const result = results[i]!;
      this.pending.delete(p.id);
      this.acked.set(p.id, { index: e.index, result, node: node.id });
      this.stats.acked++;
      this.maxAckedIndex = Math.max(this.maxAckedIndex, e.index);
      const cmd = p.cmd;
      if (result.op === "txn" && result.succeeded && (cmd.op === "create" || cmd.op === "update" || cmd.op === "delete")) {
        if (cmd.op === "delete") this.revs.delete(cmd.key);
        else if (result.kv !== null) this.revs.set(cmd.key, result.kv.modRevision);
      } else if (result.op === "txn" && "key" in cmd) {
        if (result.kv === null) this.revs.delete(cmd.key);
        else this.revs.set(cmd.key, result.kv.modRevision);
      }
    }
  }

  onReadStates(node: SimNode, rs: ReadState[]): void {
    for (const r of rs) {
      const q = this.reads.get(r.requestCtx);
      if (q === undefined || q.node !== node.id) continue;
      this.reads.delete(r.requestCtx);
      this.stats.readsAnswered++;
      if (r.index < q.minIndex) {
        throw new SafetyViolation(
          "stale-read",
          `read ${r.requestCtx} on node ${node.id} got read index ${r.index}, but index ${q.minIndex} was acknowledged before it started`,
        );
      }
    }
  }
}

type Change = { kind: "add" | "promote" | "remove"; id: number; since: number };

export class Membership {
  /** New servers get fresh ids: ids are never reused. */
  private nextNodeId = 100;
  private change: Change | undefined;
  stats = { added: 0, promoted: 0, removed: 0, attempts: 0 };

  constructor(
    private readonly rng: Prng,
    private readonly world: World,
    private readonly maxNodes: number,
  ) {}

  busy(): boolean {
    return this.change !== undefined;
  }

  /** Marks a finished change done; returns whether one is still in flight. */
  settle(): boolean {
    const c = this.change;
    if (c === undefined) return false;
    const leader = this.world.leader();
    if (leader === undefined) return true;
    const cs = leader.confState;
    const member = cs.voters.includes(c.id) || cs.learners.includes(c.id);
    const done =
      (c.kind === "add" && member) || (c.kind === "promote" && cs.voters.includes(c.id)) || (c.kind === "remove" && !member);
    if (done) {
      this.world.trace(`membership: ${c.kind} ${c.id} done`);
      if (c.kind === "remove") {
        this.world.removeNode(c.id);
        this.stats.removed++;
      } else if (c.kind === "add") this.stats.added++;
      else this.stats.promoted++;
      this.change = undefined;
      return false;
    }
    if (this.world.now() - c.since > 1500) this.change = undefined; // lost: try again later
    return this.change !== undefined;
  }

  step(): void {
    if (this.settle()) return;
    const leader = this.world.leader();
    if (leader === undefined) return;
    const cs = leader.confState;
    const members = new Set([...cs.voters, ...cs.learners]);
    const joiner = this.world.allNodes().find((n) => !n.removed && !members.has(n.id) && n.id >= 100);
    if (joiner !== undefined) {
      this.propose(leader, { kind: "add", id: joiner.id }, "addLearnerNode");
      return;
    }
    if (cs.learners.length > 0) {
      const id = cs.learners[0]!;
      const pr = leader.rn.status().progress.get(id);
      if (pr !== undefined && pr.match + 2 >= leader.rn.committed) this.propose(leader, { kind: "promote", id }, "addNode");
      return;
    }
    if (members.size < this.maxNodes && this.rng.chance(0.5)) {
      const id = this.nextNodeId++;
      this.world.addNode(id);
      this.propose(leader, { kind: "add", id }, "addLearnerNode");
      return;
    }
    if (cs.voters.length > 3) this.propose(leader, { kind: "remove", id: this.rng.pick(cs.voters) }, "removeNode");
  }

  private propose(leader: SimNode, c: Omit<Change, "since">, type: "addNode" | "addLearnerNode" | "removeNode"): void {
    this.stats.attempts++;
    const err = leader.act((rn) => rn.proposeConfChange({ type, nodeId: c.id }));
    if (err !== undefined) return;
    this.world.trace(`membership: propose ${type} ${c.id} via ${leader.id}`);
    this.change = { ...c, since: this.world.now() };
  }
}
