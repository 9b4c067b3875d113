/**
 * @module sim/checkers
 * Raft safety properties, checked after every simulation event (or at the moment the
 * relevant fact appears):
 *  - election safety: at most one leader per term;
 *  - log matching: entries with the same (index, term) hold the same data and follow the
 *    same previous term, on every node (checked as entries are persisted);
 *  - leader completeness: a new leader's log holds every entry known to be committed;
 *  - state machine safety: every node applies the same entry at a given index, in order;
 *  - monotonicity: a node's commit and applied indexes never go back (per incarnation);
 *  - replicas at the same applied index have the same state-machine digest.
 * A violation throws SafetyViolation, which ends the run with the seed printed.
 */
import type { Entry, Ready, Snapshot } from "../../src/raft/types.ts";
import type { SimNode } from "./node.ts";

export class SafetyViolation extends Error {
  constructor(
    readonly kind: string,
    message: string,
  ) {
    super(`${kind}: ${message}`);
    this.name = "SafetyViolation";
  }
}

interface NodeTrack {
  incarnation: number;
  commit: number;
  applied: number;
  term: number;
  /** Highest commit index of this node observed while it was leader (per incarnation+term). */
  leaderCommitSeen: number;
  leaderTerm: number;
}

interface CommittedEntry {
  term: number;
  type: Entry["type"];
  data: string;
  /** Where the fact came from, for failure messages. */
  source: string;
}

export class Checker {
  /** term -> leader id */
  readonly leaders = new Map<number, number>();
  /** "index:term" -> [previous term, data] */
  private readonly entryIds = new Map<string, [number, string]>();
  /** index -> the committed entry (from leaders' commit indexes and from applications) */
  readonly committed = new Map<number, CommittedEntry>();
  maxCommitted = 1;
  /** applied index -> digest of the first replica that reached it */
  private readonly digests = new Map<number, string>();
  private readonly track = new Map<number, NodeTrack>();
  /** Leaders already checked for completeness: "id:term:incarnation". */
  private readonly completenessChecked = new Set<string>();
  checks = 0;

  private trackOf(n: SimNode): NodeTrack {
    let t = this.track.get(n.id);
    if (t === undefined || t.incarnation !== n.incarnation) {
      t = { incarnation: n.incarnation, commit: 0, applied: 0, term: 0, leaderCommitSeen: 0, leaderTerm: 0 };
      this.track.set(n.id, t);
    }
    return t;
  }

  /** After every event: election safety, monotonicity, leader commits, leader completeness. */
  afterEvent(nodes: Iterable<SimNode>): void {
    this.checks++;
    for (const n of nodes) {
      if (!n.up) continue;
      const rn = n.rn;
      const t = this.trackOf(n);
      if (rn.committed < t.commit) throw new SafetyViolation("monotonic-commit", `node ${n.id} commit went from ${t.commit} to ${rn.committed}`);
      if (rn.applied < t.applied) throw new SafetyViolation("monotonic-applied", `node ${n.id} applied went from ${t.applied} to ${rn.applied}`);
      if (rn.term < t.term) throw new SafetyViolation("monotonic-term", `node ${n.id} term went from ${t.term} to ${rn.term}`);
      t.commit = rn.committed;
      t.applied = rn.applied;
      t.term = rn.term;
      if (rn.state !== "leader") continue;
      const term = rn.term;
      const other = this.leaders.get(term);
      if (other !== undefined && other !== n.id) {
        throw new SafetyViolation("election-safety", `nodes ${other} and ${n.id} are both leaders of term ${term}`);
      }
      this.leaders.set(term, n.id);
      const key = `${n.id}:${term}:${n.incarnation}`;
      if (!this.completenessChecked.has(key)) {
        this.completenessChecked.add(key);
        this.checkLeaderCompleteness(n);
        t.leaderTerm = term;
        t.leaderCommitSeen = rn.committed;
      }
      if (t.leaderTerm === term && rn.committed > t.leaderCommitSeen) {
        this.observeLeaderCommit(n, t.leaderCommitSeen, rn.committed);
        t.leaderCommitSeen = rn.committed;
      }
    }
  }

  /** Entries a leader has just committed become facts every node must agree with. */
  private observeLeaderCommit(n: SimNode, from: number, to: number): void {
    const rn = n.rn;
    const ents = rn.raft.raftLog.slice(Math.max(from + 1, rn.raft.raftLog.firstIndex()), to + 1, Number.MAX_SAFE_INTEGER);
    for (const e of ents) this.recordCommitted(e, `leader ${n.id} term ${rn.term}`);
  }

  private recordCommitted(e: Entry, source: string): void {
    const prev = this.committed.get(e.index);
    if (prev === undefined) {
      this.committed.set(e.index, { term: e.term, type: e.type, data: e.data, source });
      if (e.index > this.maxCommitted) this.maxCommitted = e.index;
      return;
    }
    if (prev.term !== e.term || prev.data !== e.data) {
      throw new SafetyViolation(
        "state-machine-safety",
        `index ${e.index}: ${source} has (term ${e.term}, ${e.data.slice(0, 60)}) but ${prev.source} committed (term ${prev.term}, ${prev.data.slice(0, 60)})`,
      );
    }
  }

  private checkLeaderCompleteness(n: SimNode): void {
    const rn = n.rn;
    const first = rn.raft.raftLog.firstIndex();
    if (rn.lastIndex() < this.maxCommitted) {
      throw new SafetyViolation(
        "leader-completeness",
        `node ${n.id} became leader of term ${rn.term} with last index ${rn.lastIndex()} < committed ${this.maxCommitted}`,
      );
    }
    for (const [index, c] of this.committed) {
      if (index < first - 1) continue; // compacted: covered by the node's snapshot
      const term = rn.termAt(index);
      if (term !== c.term) {
        throw new SafetyViolation(
          "leader-completeness",
          `node ${n.id} became leader of term ${rn.term} with term ${term} at index ${index}, but term ${c.term} was committed there (${c.source})`,
        );
      }
    }
  }

  /** Log matching, as entries become durable on a node. */
  onPersisted(n: SimNode, rd: Ready): void {
    const rn = n.rn;
    for (const e of rd.entries) {
      const prevTerm = e.index - 1 === 0 ? 0 : rn.termAt(e.index - 1);
      if (prevTerm === undefined) continue;
      const key = `${e.index}:${e.term}`;
      const seen = this.entryIds.get(key);
      if (seen === undefined) {
        this.entryIds.set(key, [prevTerm, e.data]);
      } else if (seen[0] !== prevTerm || seen[1] !== e.data) {
        throw new SafetyViolation(
          "log-matching",
          `node ${n.id} stores entry (${e.index}, term ${e.term}) after term ${prevTerm} with data ${e.data.slice(0, 40)}; elsewhere it follows term ${seen[0]} with data ${seen[1].slice(0, 40)}`,
        );
      }
    }
  }

  /** State machine safety and in-order application. */
  onApplied(n: SimNode, entries: Entry[]): void {
    const t = this.trackOf(n);
    for (const e of entries) {
      if (e.index <= t.applied) continue; // re-delivered after a restart below the state machine's index
      this.recordCommitted(e, `node ${n.id} (applied)`);
    }
    const fsm = n.fsm;
    const idx = fsm.appliedIndex();
    const d = fsm.quickDigest();
    const prev = this.digests.get(idx);
    if (prev === undefined) this.digests.set(idx, d);
    else if (prev !== d) throw new SafetyViolation("replica-divergence", `node ${n.id} state digest at applied index ${idx} differs from another replica's`);
  }

  onSnapshotApplied(n: SimNode, snap: Snapshot): void {
    const c = this.committed.get(snap.metadata.index);
    if (c !== undefined && c.term !== snap.metadata.term) {
      throw new SafetyViolation("snapshot", `node ${n.id} got a snapshot at (${snap.metadata.index}, term ${snap.metadata.term}) but term ${c.term} was committed there`);
    }
  }

  /** The committed log as a contiguous list from index 2 (after the bootstrap snapshot). */
  committedLog(upTo: number): Entry[] {
    const out: Entry[] = [];
    for (let i = 2; i <= upTo; i++) {
      const c = this.committed.get(i);
      if (c === undefined) throw new SafetyViolation("checker-gap", `no committed entry observed at index ${i}`);
      out.push({ index: i, term: c.term, type: c.type, data: c.data });
    }
    return out;
  }
}
