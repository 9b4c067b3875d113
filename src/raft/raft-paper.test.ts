/**
 * Tests that follow sentences of the Raft paper (Ongaro & Ousterhout, "In Search of an
 * Understandable Consensus Algorithm"), as etcd-io/raft raft_paper_test.go does. Each
 * test names the section it checks. PreVote and CheckQuorum are off unless stated, to
 * match the paper's basic algorithm.
 */
import { describe, expect, test } from "bun:test";
import { Network, TestNode, nodeWithState } from "./test-network.ts";
import { type Message, type StateType, newMessage } from "./types.ts";

const basic = { preVote: false, checkQuorum: false };
const msg = newMessage;

function byType(msgs: Message[], type: Message["type"]): Message[] {
  return msgs.filter((m) => m.type === type);
}

/** A 3-node leader at term 1 whose empty entry both followers acked; messages discarded. */
function leaderOf3(): TestNode {
  const n = new TestNode(1, [1, 2, 3], basic);
  n.rn.campaign();
  n.drain();
  n.rn.step(msg({ type: "MsgVoteResp", from: 2, to: 1, term: 1 }));
  n.drain();
  expect(n.rn.state).toBe("leader");
  for (const from of [2, 3]) n.rn.step(msg({ type: "MsgAppResp", from, to: 1, term: 1, index: 1 }));
  n.drain();
  expect(n.rn.committed).toBe(1);
  return n;
}

describe("Raft paper §5.1: terms", () => {
  for (const role of ["follower", "candidate", "leader"] as const) {
    test(`a ${role} seeing a higher term updates its term and reverts to follower`, () => {
      const n = new TestNode(1, [1, 2, 3], basic);
      if (role === "candidate") n.rn.campaign();
      if (role === "leader") {
        n.rn.campaign();
        n.drain();
        n.rn.step(msg({ type: "MsgVoteResp", from: 2, to: 1, term: 1 }));
      }
      n.drain();
      expect(n.rn.state).toBe(role);
      n.rn.step(msg({ type: "MsgApp", from: 2, to: 1, term: 5 }));
      expect(n.rn.term).toBe(5);
      expect(n.rn.state).toBe("follower");
      expect(n.rn.lead).toBe(2);
    });
  }

  test("a request with a stale term is ignored (basic Raft)", () => {
    const n = nodeWithState(1, [1, 2, 3], { ...basic, term: 2 });
    n.rn.step(msg({ type: "MsgApp", from: 2, to: 1, term: 1, entries: [{ index: 1, term: 1, type: "normal", data: "x" }] }));
    expect(n.rn.lastIndex()).toBe(0);
    expect(n.drain()).toEqual([]);
  });

  test("with CheckQuorum a stale leader's append is answered with our term so it steps down", () => {
    const n = nodeWithState(1, [1, 2, 3], { checkQuorum: true, term: 2 });
    n.rn.step(msg({ type: "MsgApp", from: 2, to: 1, term: 1 }));
    const out = n.drain();
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ type: "MsgAppResp", to: 2, term: 2 });
  });
});

describe("Raft paper §5.2: leader election", () => {
  test("servers start as followers", () => {
    const n = new TestNode(1, [1, 2, 3], basic);
    expect(n.rn.state).toBe("follower");
    expect(n.rn.term).toBe(0);
  });

  test("the leader sends heartbeats to all followers every heartbeat timeout", () => {
    const n = leaderOf3();
    n.rn.tick();
    const hb = byType(n.drain(), "MsgHeartbeat");
    expect(hb.map((m) => m.to).sort()).toEqual([2, 3]);
    expect(hb.every((m) => m.term === 1)).toBe(true);
  });

  for (const role of ["follower", "candidate"] as const) {
    test(`a ${role} whose election timeout elapses starts an election: new term, votes for itself, asks everyone`, () => {
      const n = new TestNode(1, [1, 2, 3], basic);
      if (role === "candidate") {
        n.rn.campaign();
        n.drain();
      }
      const before = n.rn.term;
      n.rn.tick();
      n.rn.raft.randomizedElectionTimeout = 10;
      for (let i = 0; i < 20; i++) n.rn.tick();
      const out = n.drain();
      expect(n.rn.term).toBe(before + 1);
      expect(n.rn.state).toBe("candidate");
      expect(n.rn.raft.vote).toBe(1);
      const votes = byType(out, "MsgVote");
      expect(votes.map((m) => m.to).sort()).toEqual([2, 3]);
      expect(votes.every((m) => m.term === before + 1)).toBe(true);
    });
  }

  const table: Array<[number, Record<number, boolean>, StateType]> = [
    [1, {}, "leader"],
    [3, { 2: true, 3: true }, "leader"],
    [3, { 2: true }, "leader"],
    [5, { 2: true, 3: true, 4: true, 5: true }, "leader"],
    [5, { 2: true, 3: true, 4: true }, "leader"],
    [5, { 2: true, 3: true }, "leader"],
    [3, { 2: false, 3: false }, "follower"],
    [5, { 2: false, 3: false, 4: false, 5: false }, "follower"],
    [5, { 2: true, 3: false, 4: false, 5: false }, "follower"],
    [3, {}, "candidate"],
    [5, { 2: true }, "candidate"],
    [5, { 2: false, 3: false }, "candidate"],
  ];
  for (const [size, votes, want] of table) {
    test(`a candidate wins with a majority of votes (size ${size}, votes ${JSON.stringify(votes)} -> ${want})`, () => {
      const ids = Array.from({ length: size }, (_, i) => i + 1);
      const n = new TestNode(1, ids, basic);
      n.rn.campaign();
      n.drain();
      for (const [id, granted] of Object.entries(votes)) {
        n.rn.step(msg({ type: "MsgVoteResp", from: Number(id), to: 1, term: 1, reject: !granted }));
      }
      n.drain();
      expect(n.rn.state).toBe(want);
      expect(n.rn.term).toBe(1);
    });
  }

  test("each server votes for at most one candidate per term, first come first served", () => {
    for (const [vote, from, reject] of [
      [0, 2, false],
      [0, 3, false],
      [2, 2, false],
      [3, 3, false],
      [2, 3, true],
      [3, 2, true],
    ] as const) {
      const n = nodeWithState(1, [1, 2, 3], { ...basic, term: 1, vote });
      n.rn.step(msg({ type: "MsgVote", from, to: 1, term: 1 }));
      const resp = n.drain().filter((m) => m.type === "MsgVoteResp");
      expect(resp).toHaveLength(1);
      expect(resp[0]!.reject).toBe(reject);
    }
  });

  test("a candidate hearing from a legitimate leader of its term becomes its follower", () => {
    const n = new TestNode(1, [1, 2, 3], basic);
    n.rn.campaign();
    n.drain();
    n.rn.step(msg({ type: "MsgApp", from: 2, to: 1, term: 1 }));
    expect(n.rn.state).toBe("follower");
    expect(n.rn.lead).toBe(2);
    expect(n.rn.term).toBe(1);
  });

  test("election timeouts are randomized in [electionTick, 2*electionTick)", () => {
    const seen = new Set<number>();
    for (let id = 1; id <= 200; id++) {
      const n = new TestNode(id, [id], basic);
      const r = n.rn.raft;
      r.resetRandomizedElectionTimeout();
      seen.add(r.randomizedElectionTimeout);
      expect(r.randomizedElectionTimeout).toBeGreaterThanOrEqual(10);
      expect(r.randomizedElectionTimeout).toBeLessThan(20);
    }
    expect(seen.size).toBeGreaterThan(5);
  });

  test("in most cases only one server times out first, so split votes are rare", () => {
    let conflicts = 0;
    for (let round = 0; round < 50; round++) {
      const nw = Network.ofSize(5, basic);
      for (const n of nw.nodes.values()) {
        n.rn.raft.randomizedElectionTimeout = 10 + ((n.id * 7 + round * 3) % 10);
      }
      let candidates = 0;
      for (let t = 0; t < 20 && candidates === 0; t++) {
        for (const n of nw.nodes.values()) n.rn.tick();
        candidates = [...nw.nodes.values()].filter((n) => n.rn.state === "candidate").length;
      }
      if (candidates > 1) conflicts++;
    }
    expect(conflicts).toBeLessThan(15);
  });
});

describe("Raft paper §5.3: log replication", () => {
  test("the leader appends a proposal and sends it to every follower", () => {
    const n = leaderOf3();
    n.rn.propose("some data");
    const apps = byType(n.drain(), "MsgApp");
    expect(apps.map((m) => m.to).sort()).toEqual([2, 3]);
    for (const m of apps) {
      expect(m.entries.map((e) => e.data)).toEqual(["some data"]);
      expect(m.entries[0]).toMatchObject({ index: 2, term: 1 });
      expect([m.index, m.logTerm]).toEqual([1, 1]);
    }
  });

  test("an entry is committed once a majority has replicated it; the leader then tells everyone", () => {
    const n = leaderOf3();
    n.rn.propose("x");
    n.drain();
    expect(n.rn.committed).toBe(1);
    n.rn.step(msg({ type: "MsgAppResp", from: 2, to: 1, term: 1, index: 2 }));
    const out = n.drain();
    expect(n.rn.committed).toBe(2);
    expect(n.applied.map((e) => e.data)).toContain("x");
    // follower 3 is told the new commit index
    expect(out.some((m) => m.to === 3 && m.type === "MsgApp" && m.commit === 2)).toBe(true);
  });

  for (const [size, acks, committed] of [
    [1, [], true],
    [3, [], false],
    [3, [2], true],
    [5, [2], false],
    [5, [2, 3], true],
  ] as const) {
    test(`the leader commits when a majority acks (size ${size}, acks ${JSON.stringify(acks)})`, () => {
      const ids = Array.from({ length: size }, (_, i) => i + 1);
      const n = new TestNode(1, ids, basic);
      n.rn.campaign();
      n.drain();
      for (const id of ids.slice(1)) n.rn.step(msg({ type: "MsgVoteResp", from: id, to: 1, term: 1 }));
      n.drain();
      expect(n.rn.state).toBe("leader");
      n.rn.propose("p");
      n.drain();
      for (const id of acks) n.rn.step(msg({ type: "MsgAppResp", from: id, to: 1, term: 1, index: 2 }));
      n.drain();
      expect(n.rn.committed >= 2).toBe(committed);
    });
  }

  test("committing an entry also commits all preceding entries, including earlier terms'", () => {
    const n = nodeWithState(1, [1, 2, 3], { ...basic, logTerms: [1, 2], term: 2 });
    n.rn.campaign();
    n.drain();
    n.rn.step(msg({ type: "MsgVoteResp", from: 2, to: 1, term: 3 }));
    n.drain();
    n.rn.propose("p");
    n.drain();
    n.rn.step(msg({ type: "MsgAppResp", from: 2, to: 1, term: 3, index: 4 }));
    n.drain();
    expect(n.rn.committed).toBe(4);
    expect(n.applied.map((e) => e.index)).toEqual([1, 2, 3, 4]);
  });

  test("a follower applies entries once it learns they are committed", () => {
    const n = nodeWithState(1, [1, 2, 3], { ...basic, term: 1 });
    const ents = [
      { index: 1, term: 1, type: "normal" as const, data: "a" },
      { index: 2, term: 1, type: "normal" as const, data: "b" },
    ];
    n.rn.step(msg({ type: "MsgApp", from: 2, to: 1, term: 1, index: 0, logTerm: 0, entries: ents, commit: 1 }));
    n.drain();
    expect(n.applied.map((e) => e.data)).toEqual(["a"]);
    n.rn.step(msg({ type: "MsgHeartbeat", from: 2, to: 1, term: 1, commit: 2 }));
    n.drain();
    expect(n.applied.map((e) => e.data)).toEqual(["a", "b"]);
  });

  test("a follower rejects an append whose previous entry it does not have", () => {
    for (const [index, logTerm, reject, hint] of [
      [0, 0, false, 0],
      [1, 1, false, 0],
      [2, 2, false, 0],
      [2, 1, true, 1],
      [3, 3, true, 2],
    ] as const) {
      const n = nodeWithState(1, [1, 2, 3], { ...basic, logTerms: [1, 2], term: 2, commit: 1 });
      n.rn.step(msg({ type: "MsgApp", from: 2, to: 1, term: 2, index, logTerm, commit: 1 }));
      const resp = byType(n.drain(), "MsgAppResp");
      expect(resp).toHaveLength(1);
      expect(resp[0]!.reject).toBe(reject);
      if (reject) expect(resp[0]!.rejectHint).toBe(hint);
    }
  });

  test("a follower deletes conflicting entries and appends the leader's", () => {
    const cases: Array<[number, number, number[], number[]]> = [
      [2, 2, [3], [1, 2, 3]],
      [1, 1, [3, 4], [1, 3, 4]],
      [0, 0, [1], [1, 2]],
      [0, 0, [3], [3]],
    ];
    for (const [index, logTerm, newTerms, want] of cases) {
      const n = nodeWithState(1, [1, 2, 3], { ...basic, logTerms: [1, 2], term: 2 });
      const entries = newTerms.map((t, i) => ({ index: index + 1 + i, term: t, type: "normal" as const, data: "" }));
      n.rn.step(msg({ type: "MsgApp", from: 2, to: 1, term: 3, index, logTerm, entries }));
      n.drain();
      const log = n.rn.raft.raftLog.allEntries().map((e) => e.term);
      expect(log).toEqual(want);
    }
  });

  // Figure 7 of the paper: followers with missing, extra and conflicting entries.
  const leaderLog = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
  const followers: number[][] = [
    [1, 1, 1, 4, 4, 5, 5, 6, 6], // a: missing one
    [1, 1, 1, 4], // b: missing many
    [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6], // c: an extra uncommitted entry
    [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7], // d: extra entries of a later term
    [1, 1, 1, 4, 4, 4, 4], // e: conflicting tail
    [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3], // f: long conflicting tail
  ];
  followers.forEach((flog, i) => {
    test(`the leader brings follower ${"abcdef"[i]} of figure 7 in sync with its log`, () => {
      const lead = nodeWithState(1, [1, 2, 3], { ...basic, logTerms: leaderLog, term: 8, commit: leaderLog.length });
      const f = nodeWithState(2, [1, 2, 3], { ...basic, logTerms: flog, term: 7 });
      // the third node votes for the leader but takes no part in replication here
      const voter = nodeWithState(3, [1, 2, 3], { ...basic, term: 7 });
      const nw = new Network([lead, f, voter]);
      nw.campaign(1);
      expect(lead.rn.state).toBe("leader");
      nw.propose(1, "");
      const want = lead.rn.raft.raftLog.allEntries().map((e) => [e.index, e.term]);
      expect(f.rn.raft.raftLog.allEntries().map((e) => [e.index, e.term])).toEqual(want);
    });
  });
});

describe("Raft paper §5.4: safety", () => {
  test("vote requests carry the candidate's last log index and term", () => {
    const n = nodeWithState(1, [1, 2, 3], { ...basic, logTerms: [1, 2], term: 2 });
    n.rn.campaign();
    const votes = byType(n.drain(), "MsgVote");
    expect(votes).toHaveLength(2);
    for (const v of votes) expect([v.index, v.logTerm, v.term]).toEqual([2, 2, 3]);
  });

  test("a voter denies its vote to a candidate whose log is less up to date (election restriction)", () => {
    const cases: Array<[number, number, boolean]> = [
      // voter log [1,1]: candidate (index, term)
      [2, 1, false],
      [3, 1, false],
      [1, 1, true],
      [2, 2, false],
      [1, 2, false],
      [3, 3, false],
    ];
    for (const [index, logTerm, reject] of cases) {
      const n = nodeWithState(1, [1, 2, 3], { ...basic, logTerms: [1, 1], term: 1 });
      n.rn.step(msg({ type: "MsgVote", from: 2, to: 1, term: 3, index, logTerm }));
      const resp = byType(n.drain(), "MsgVoteResp");
      expect(resp).toHaveLength(1);
      expect(resp[0]!.reject).toBe(reject);
    }
  });

  test("the testing knob that skips the election restriction really breaks it (canary)", () => {
    const n = nodeWithState(1, [1, 2, 3], { ...basic, logTerms: [1, 1], term: 1, testingKnobs: { skipElectionRestriction: true } });
    n.rn.step(msg({ type: "MsgVote", from: 2, to: 1, term: 3, index: 1, logTerm: 1 }));
    expect(byType(n.drain(), "MsgVoteResp")[0]!.reject).toBe(false);
  });

  test("a leader never commits an entry from a previous term by counting replicas (figure 8)", () => {
    const n = nodeWithState(1, [1, 2, 3], { ...basic, logTerms: [1, 1, 2], term: 2, commit: 1 });
    n.rn.campaign();
    n.drain();
    n.rn.step(msg({ type: "MsgVoteResp", from: 2, to: 1, term: 3 }));
    n.drain();
    expect(n.rn.state).toBe("leader");
    // follower 2 acks up to the old-term entry 3 only
    n.rn.step(msg({ type: "MsgAppResp", from: 2, to: 1, term: 3, index: 3 }));
    n.drain();
    expect(n.rn.committed).toBe(1);
    // once the new term's empty entry (index 4) is acked, everything commits
    n.rn.step(msg({ type: "MsgAppResp", from: 2, to: 1, term: 3, index: 4 }));
    n.drain();
    expect(n.rn.committed).toBe(4);
  });
});
