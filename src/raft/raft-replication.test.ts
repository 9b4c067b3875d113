/**
 * Log replication scenarios: forwarding, repair of divergent logs, flow control, the
 * uncommitted-size limit, durability ordering (persist before ack, etcd #14370), and
 * recovery of restarted nodes from storage alone.
 */
import { describe, expect, test } from "bun:test";
import { ProposalDroppedError } from "./errors.ts";
import { Network, TestNode, nodeWithState } from "./test-network.ts";
import { newMessage } from "./types.ts";

describe("proposals", () => {
  test("a follower forwards proposals to the leader", () => {
    const nw = Network.ofSize(3);
    nw.campaign(1);
    nw.propose(2, "via follower");
    for (const id of [1, 2, 3]) expect(nw.node(id).fsm).toEqual(["via follower"]);
  });

  test("proposals are dropped without a leader, or when forwarding is disabled", () => {
    const nw = Network.ofSize(3, { disableProposalForwarding: true });
    expect(() => nw.node(1).rn.propose("x")).toThrow(ProposalDroppedError);
    nw.campaign(1);
    expect(() => nw.node(2).rn.propose("x")).toThrow(ProposalDroppedError);
    nw.propose(1, "ok");
    expect(nw.node(2).fsm).toEqual(["ok"]);
  });

  test("a leader that loses its quorum never commits what it appended alone", () => {
    const nw = Network.ofSize(3);
    nw.campaign(1);
    nw.isolate(1);
    nw.propose(1, "lost");
    nw.tickAll(30);
    const lead = nw.leader()!;
    expect(lead.id).not.toBe(1);
    nw.propose(lead.id, "kept");
    nw.recover();
    nw.tickAll(5);
    for (const id of [1, 2, 3]) expect(nw.node(id).fsm).toEqual(["kept"]);
  });

  test("the uncommitted size limit drops proposals until entries commit", () => {
    const nw = Network.ofSize(3, { maxUncommittedEntriesSize: 10 });
    nw.campaign(1);
    nw.cut(1, 2);
    nw.cut(1, 3);
    const n1 = nw.node(1).rn;
    n1.propose("12345678");
    expect(() => n1.propose("12345")).toThrow(ProposalDroppedError);
    nw.recover();
    nw.tickAll(2);
    n1.propose("12345");
    nw.send();
    expect(nw.node(3).fsm).toEqual(["12345678", "12345"]);
  });
});

describe("log repair", () => {
  test("a deposed leader's uncommitted tail is replaced by the new leader's log", () => {
    const nw = Network.ofSize(5);
    nw.campaign(1);
    nw.propose(1, "a");
    nw.isolate(1);
    for (let i = 0; i < 5; i++) nw.propose(1, `stale${i}`);
    expect(nw.node(1).rn.lastIndex()).toBe(7);
    nw.tickAll(40);
    const lead = nw.leader()!;
    nw.propose(lead.id, "b");
    nw.recover();
    nw.tickAll(3);
    const want = lead.rn.raft.raftLog.allEntries().map((e) => [e.index, e.term, e.data]);
    for (const id of [1, 2, 3, 4, 5]) {
      expect(nw.node(id).rn.raft.raftLog.allEntries().map((e) => [e.index, e.term, e.data])).toEqual(want);
      expect(nw.node(id).fsm).toEqual(["a", "b"]);
    }
  });

  test("a long divergent tail is skipped in a few round trips (term-based reject hints)", () => {
    // leader: 1 then 3 x10; follower: 1 then 2 x10 (a long uncommitted tail of an old term)
    const lead = nodeWithState(1, [1, 2, 3], { logTerms: [1, ...Array(10).fill(3)], term: 3, commit: 1 });
    const f = nodeWithState(2, [1, 2, 3], { logTerms: [1, ...Array(10).fill(2)], term: 3, commit: 1 });
    const other = nodeWithState(3, [1, 2, 3], { logTerms: [1, ...Array(10).fill(3)], term: 3, commit: 1 });
    const nw = new Network([lead, f, other]);
    nw.cut(2, 3);
    nw.campaign(1);
    expect(lead.rn.state).toBe("leader");
    nw.tickAll(2);
    const rejections = nw.delivered.filter((m) => m.type === "MsgAppResp" && m.from === 2 && m.reject);
    expect(rejections.length).toBeLessThanOrEqual(2);
    expect(f.rn.raft.raftLog.allEntries().map((e) => e.term)).toEqual(
      lead.rn.raft.raftLog.allEntries().map((e) => e.term),
    );
  });
});

describe("flow control", () => {
  test("at most maxInflightMsgs appends are in flight to a silent follower", () => {
    const nw = Network.ofSize(3, { maxSizePerMsg: 0, maxInflightMsgs: 3 });
    nw.campaign(1);
    nw.tickAll(2);
    // node 3 stops answering
    nw.drop(3, 1, 1);
    nw.delivered = [];
    for (let i = 0; i < 10; i++) nw.propose(1, `p${i}`);
    const toThree = nw.delivered.filter((m) => m.type === "MsgApp" && m.to === 3 && m.entries.length > 0);
    expect(toThree.length).toBe(3);
    expect(toThree.every((m) => m.entries.length === 1)).toBe(true);
    // node 2 kept up: everything committed
    expect(nw.node(2).fsm.length).toBe(10);
    // once node 3 answers again, it catches up
    nw.recover();
    nw.tickAll(3);
    expect(nw.node(3).fsm.length).toBe(10);
  });

  test("maxSizePerMsg batches entries into size-limited messages", () => {
    const nw = Network.ofSize(2, { maxSizePerMsg: 100 });
    nw.campaign(1);
    nw.cut(1, 2);
    for (let i = 0; i < 10; i++) nw.propose(1, "x".repeat(40));
    nw.recover();
    nw.delivered = [];
    nw.tickAll(3);
    const apps = nw.delivered.filter((m) => m.type === "MsgApp" && m.entries.length > 0);
    expect(apps.length).toBeGreaterThan(3);
    for (const m of apps) expect(m.entries.length).toBeLessThanOrEqual(2);
    expect(nw.node(2).fsm.length).toBe(10);
  });

  test("reportUnreachable drops a follower back to probing", () => {
    const nw = Network.ofSize(3);
    nw.campaign(1);
    nw.tickAll(2);
    const rn = nw.node(1).rn;
    expect(rn.status().progress.get(2)!.state).toBe("replicate");
    rn.reportUnreachable(2);
    expect(rn.status().progress.get(2)!.state).toBe("probe");
  });
});

describe("durability ordering", () => {
  test("a single node commits an entry only after it is persisted (etcd #14370)", () => {
    const n = new TestNode(1, [1]);
    n.rn.campaign();
    n.drain();
    n.rn.propose("x");
    const rd = n.rn.ready();
    expect(rd.entries.map((e) => e.data)).toEqual(["x"]);
    expect(rd.committedEntries).toEqual([]);
    expect(rd.hardState === undefined || rd.hardState.commit < rd.entries[0]!.index).toBe(true);
    n.storage.save({ entries: rd.entries, hardState: rd.hardState });
    n.rn.advance();
    const rd2 = n.rn.ready();
    expect(rd2.committedEntries.map((e) => e.data)).toEqual(["x"]);
    n.rn.advance();
  });

  test("a follower acks an append only in the Ready that carries the entries to persist", () => {
    const n = nodeWithState(2, [1, 2, 3], { term: 1 });
    n.rn.step(
      newMessage({
        type: "MsgApp",
        from: 1,
        to: 2,
        term: 1,
        entries: [{ index: 1, term: 1, type: "normal", data: "a" }],
        commit: 1,
      }),
    );
    const rd = n.rn.ready();
    expect(rd.entries).toHaveLength(1);
    expect(rd.messages.some((m) => m.type === "MsgAppResp" && m.index === 1)).toBe(true);
    // committed but not yet durable locally: not handed out for application
    expect(rd.committedEntries).toEqual([]);
    expect(rd.mustSync).toBe(true);
    n.storage.save({ entries: rd.entries, hardState: rd.hardState });
    n.rn.advance();
    expect(n.rn.ready().committedEntries.map((e) => e.data)).toEqual(["a"]);
  });

  test("a vote is sent in the Ready that persists it, and a commit-only change needs no sync", () => {
    const n = nodeWithState(2, [1, 2, 3], { term: 1, logTerms: [1], commit: 0 });
    n.rn.step(newMessage({ type: "MsgVote", from: 1, to: 2, term: 2, index: 1, logTerm: 1 }));
    const rd = n.rn.ready();
    expect(rd.hardState).toMatchObject({ term: 2, vote: 1 });
    expect(rd.messages[0]).toMatchObject({ type: "MsgVoteResp", reject: false });
    expect(rd.mustSync).toBe(true);
    n.storage.save({ hardState: rd.hardState });
    n.rn.advance();
    n.rn.step(newMessage({ type: "MsgHeartbeat", from: 1, to: 2, term: 2, commit: 1 }));
    const rd2 = n.rn.ready();
    expect(rd2.hardState?.commit).toBe(1);
    expect(rd2.mustSync).toBe(false);
    n.rn.advance();
  });

  test("restarted nodes recover everything from storage alone", () => {
    const nw = Network.ofSize(3);
    nw.campaign(1);
    for (let i = 0; i < 5; i++) nw.propose(1, `v${i}`);
    const before = nw.node(1).rn.raft.raftLog.allEntries();
    for (const n of nw.nodes.values()) n.restart();
    for (const n of nw.nodes.values()) {
      expect(n.rn.state).toBe("follower");
      expect(n.rn.raft.raftLog.allEntries()).toEqual(before);
      expect(n.rn.term).toBe(1);
    }
    nw.send();
    nw.tickAll(30);
    const lead = nw.leader()!;
    expect(lead).toBeDefined();
    nw.propose(lead.id, "after restart");
    for (const n of nw.nodes.values()) {
      expect(n.fsm).toEqual(["v0", "v1", "v2", "v3", "v4", "after restart"]);
    }
  });

  test("all proposals commit everywhere despite 20% message loss once the network heals", () => {
    const nw = Network.ofSize(5);
    nw.campaign(1);
    for (const a of [1, 2, 3, 4, 5]) for (const b of [1, 2, 3, 4, 5]) if (a !== b) nw.drop(a, b, 0.2);
    const acked: string[] = [];
    for (let i = 0; i < 30; i++) {
      const lead = nw.leader();
      if (lead !== undefined) {
        try {
          lead.rn.propose(`w${i}`);
          acked.push(`w${i}`);
        } catch {
          // dropped: fine
        }
      }
      nw.tickAll(1);
    }
    nw.recover();
    nw.tickAll(30);
    const fsms = [...nw.nodes.values()].map((n) => n.fsm);
    for (const f of fsms) expect(f).toEqual(fsms[0]!);
    // every accepted proposal of a leader that kept its leadership made it; none duplicated
    expect(new Set(fsms[0]).size).toBe(fsms[0]!.length);
    expect(fsms[0]!.length).toBeGreaterThan(0);
  });
});
