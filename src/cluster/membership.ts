/**
 * @module cluster/membership
 * Who is in the cluster and where: member records in the replicated store (members.ts)
 * joined with Raft's membership, the peers the transport dials, and the membership
 * changes: adding a learner (leader only) and removing a member, one change at a time.
 */
import type { MvccStateMachine } from "../store/mvcc.ts";
import { StoreClosedError, type TxnResult, UnavailableError } from "../store/types.ts";
import { ProposalDroppedError } from "../raft/errors.ts";
import { type ConfState, NONE } from "../raft/types.ts";
import type { RaftNode } from "./raft-node.ts";
import { MEMBERS_PREFIX, type MemberRecord, type MemberStatus, decodeMember, encodeMember, memberKey, newMemberId } from "./members.ts";
import { logger } from "../util/log.ts";

const log = logger("raft-store");

/** This member is not the leader and cannot do what was asked; `leaderUrl` is where to go. */
export class NotLeaderError extends UnavailableError {
  constructor(readonly leaderUrl: string | null) {
    super(leaderUrl ? `not the raft leader; the leader is ${leaderUrl}` : "not the raft leader, and no leader is known");
    this.name = "NotLeaderError";
  }
}

/** A membership change is refused (another is pending, unknown member, last voter...). */
export class MembershipError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MembershipError";
  }
}


export interface MembershipDeps {
  selfId: number;
  name: string;
  url: string;
  node: RaftNode;
  sm: MvccStateMachine;
  /** Where the other members are until the records arrive (a joining member's list). */
  seedPeers: Map<number, string>;
  requestTimeoutMs: number;
  isClosed(): boolean;
  linearize(): Promise<void>;
  create(key: string, value: string): Promise<TxnResult>;
  update(key: string, value: string, expectedRevision: number): Promise<TxnResult>;
  delete(key: string, expectedRevision: number): Promise<TxnResult>;
}

export class Membership {
  private records = new Map<number, MemberRecord>();

  constructor(private readonly d: MembershipDeps) {}

  private get node(): RaftNode {
    return this.d.node;
  }

  /** Whether any member record exists (a lone member keeps none). */
  get hasRecords(): boolean {
    return this.records.size > 0;
  }

  load(): void {
    if (this.d.isClosed()) return;
    const next = new Map<number, MemberRecord>();
    for (const kv of this.d.sm.range(MEMBERS_PREFIX).kvs) {
      try {
        const m = decodeMember(kv.key, kv.value);
        next.set(m.id, m);
      } catch (err) {
        log.warn("ignoring a malformed member record", { error: err as Error });
      }
    }
    this.records = next;
    this.updatePeers();
  }

  updatePeers(): void {
    if (this.d.isClosed() || this.node.isStopped) return;
    const peers = new Map<number, string>();
    for (const [id, url] of this.d.seedPeers) if (!this.records.has(id)) peers.set(id, url);
    // Every record: a new member's record is written just before its conf change.
    for (const m of this.records.values()) peers.set(m.id, m.url);
    peers.delete(this.d.selfId);
    this.node.transport.setPeers(peers);
  }

  /**
   * Writes (or corrects) this member's record, retrying in the background until it sticks.
   * A lone member keeps no record (`force` aside): records matter once there are peers,
   * and the first one is written when the first member is added.
   */
  ensureOwnRecord(force = false): Promise<void> {
    const want: MemberRecord = { id: this.d.selfId, name: this.d.name, url: this.d.url };
    const attempt = async (): Promise<void> => {
      for (let i = 0; i < 100 && !this.d.isClosed() && !this.node.isStopped; i++) {
        if (!force && this.records.size === 0) return;
        try {
          await this.d.linearize();
          const cur = this.d.sm.get(memberKey(want.id));
          if (cur && cur.value === encodeMember(want)) return;
          const r = cur ? await this.d.update(memberKey(want.id), encodeMember(want), cur.modRevision) : await this.d.create(memberKey(want.id), encodeMember(want));
          if (r.succeeded) return;
        } catch {
          /* no leader yet: retry */
        }
        await Bun.sleep(200);
      }
      if (force) throw new UnavailableError("could not record this member");
    };
    return attempt();
  }

  /** Every member with its role; records of members no longer in the membership are left out. */
  members(): MemberStatus[] {
    const cs = this.node.confState;
    const out: MemberStatus[] = [];
    const records = new Map(this.records);
    if (!records.has(this.d.selfId)) records.set(this.d.selfId, { id: this.d.selfId, name: this.d.name, url: this.d.url });
    for (const m of records.values()) {
      const role = cs.voters.includes(m.id) ? "voter" : cs.learners.includes(m.id) ? "learner" : "none";
      if (role === "none") continue;
      out.push({ ...m, role, isLeader: m.id === this.node.leader });
    }
    return out.sort((a, b) => a.name.localeCompare(b.name) || a.id - b.id);
  }

  /** The leader's API URL, if known. */
  leaderUrl(): string | null {
    const lead = this.node.leader;
    if (lead === NONE) return null;
    return this.records.get(lead)?.url ?? this.d.seedPeers.get(lead) ?? null;
  }

  /**
   * Leader only: records a new member and adds it as a learner; it is promoted once it
   * has caught up. Resolves with its ID once the learner is in the applied membership.
   */
  async addMember(name: string, url: string): Promise<MemberRecord> {
    if (this.d.isClosed()) throw new StoreClosedError();
    if (!this.node.isLeader) throw new NotLeaderError(this.leaderUrl());
    await this.waitConfIdle();
    await this.ensureOwnRecord(true);
    const rec: MemberRecord = { id: newMemberId(), name, url };
    const r = await this.d.create(memberKey(rec.id), encodeMember(rec));
    if (!r.succeeded) throw new MembershipError(`member ID ${rec.id.toString(16)} is taken; retry`);
    await this.changeConf({ type: "addLearnerNode", nodeId: rec.id }, (cs) => cs.learners.includes(rec.id) || cs.voters.includes(rec.id));
    log.info("added a learner", { member: rec.id.toString(16), name, url });
    return rec;
  }

  /**
   * Removes a member from the membership (forwarded to the leader when called on a
   * follower), then its record. The leader removing itself hands leadership over first.
   */
  async removeMember(id: number): Promise<void> {
    if (this.d.isClosed()) throw new StoreClosedError();
    const cs = this.node.confState;
    if (!cs.voters.includes(id) && !cs.learners.includes(id)) throw new MembershipError(`${id.toString(16)} is not a member`);
    if (cs.voters.length === 1 && cs.voters[0] === id) throw new MembershipError("cannot remove the last voting member");
    if (id === this.d.selfId && this.node.isLeader) await this.node.transferAway();
    await this.waitConfIdle();
    await this.changeConf({ type: "removeNode", nodeId: id }, (c) => !c.voters.includes(id) && !c.learners.includes(id));
    const rec = this.records.get(id);
    if (rec && !this.node.isStopped) {
      const cur = this.d.sm.get(memberKey(id));
      if (cur) await this.d.delete(memberKey(id), cur.modRevision).catch(() => {});
    }
    const left = this.node.confState.voters.length;
    log.info("removed a member", { member: id.toString(16), voters: left });
    if (left === 2) log.warn("2 voting servers left: losing either one stops all writes; add a third server");
  }

  private async waitConfIdle(): Promise<void> {
    const deadline = Date.now() + this.d.requestTimeoutMs;
    while (!this.node.confChangeIdle()) {
      if (Date.now() > deadline) throw new MembershipError("another membership change is still pending");
      await Bun.sleep(20);
    }
  }

  private async changeConf(cc: Parameters<RaftNode["proposeConfChange"]>[0], done: (cs: ConfState) => boolean): Promise<void> {
    const deadline = Date.now() + this.d.requestTimeoutMs * 2;
    let proposedAt = 0;
    while (!done(this.node.confState)) {
      if (this.node.isStopped) {
        if (done(this.node.confState) || this.node.isRemoved) return;
        throw new StoreClosedError();
      }
      if (Date.now() > deadline) throw new UnavailableError(`membership change ${cc.type} ${cc.nodeId.toString(16)} did not apply in time`);
      if (Date.now() - proposedAt > this.node.electionTimeoutMs * 2 && this.node.leader !== NONE && this.node.confChangeIdle()) {
        try {
          this.node.proposeConfChange(cc);
          proposedAt = Date.now();
        } catch (err) {
          if (!(err instanceof ProposalDroppedError)) throw err;
        }
      }
      await Bun.sleep(10);
    }
  }
}
