/**
 * Election scenarios on the in-memory network: basic elections, partitions, PreVote and
 * CheckQuorum (etcd-io/raft raft_test.go, testdata/prevote*.txt, checkquorum.txt).
 */
import { describe, expect, test } from "bun:test";
import { Network, TestNode, nodeWithState } from "./test-network.ts";
import { newMessage } from "./types.ts";

function electionTimeout(nw: Network, id: number): void {
  const r = nw.node(id).rn.raft;
  nw.tick(id, r.randomizedElectionTimeout + 1);
}

describe("elections", () => {
  test("a single node elects itself", () => {
    const nw = Network.ofSize(1);
    nw.campaign(1);
    expect(nw.node(1).rn.state).toBe("leader");
    expect(nw.node(1).rn.term).toBe(1);
  });

  for (const [name, setup, want] of [
    ["all up", () => Network.ofSize(3), "leader"],
    ["one down", () => { const nw = Network.ofSize(3); nw.nodes.get(3)!.stopped = true; return nw; }, "leader"],
    ["two down", () => { const nw = Network.ofSize(3); nw.nodes.get(2)!.stopped = true; nw.nodes.get(3)!.stopped = true; return nw; }, "preCandidate"],
    ["5 nodes, two down", () => { const nw = Network.ofSize(5); nw.nodes.get(4)!.stopped = true; nw.nodes.get(5)!.stopped = true; return nw; }, "leader"],
  ] as const) {
    test(`election with ${name} -> ${want}`, () => {
      const nw = setup();
      nw.campaign(1);
      expect(nw.node(1).rn.state).toBe(want);
    });
  }

  test("a candidate with a stale log cannot win against up-to-date voters", () => {
    const n1 = nodeWithState(1, [1, 2, 3], { logTerms: [1], term: 1 });
    const n2 = nodeWithState(2, [1, 2, 3], { logTerms: [1, 1], term: 1 });
    const n3 = nodeWithState(3, [1, 2, 3], { logTerms: [1, 1], term: 1 });
    const nw = new Network([n1, n2, n3]);
    nw.campaign(1);
    expect(n1.rn.state).not.toBe("leader");
    nw.campaign(2);
    expect(n2.rn.state).toBe("leader");
  });

  test("a node that is partitioned away cannot disrupt the leader when it rejoins (PreVote)", () => {
    const nw = Network.ofSize(3);
    nw.campaign(1);
    const term = nw.node(1).rn.term;
    nw.isolate(3);
    for (let i = 0; i < 5; i++) electionTimeout(nw, 3);
    // pre-votes fail in isolation, so the isolated node's term does not grow
    expect(nw.node(3).rn.term).toBe(term);
    nw.recover();
    nw.tickAll(3);
    expect(nw.node(1).rn.state).toBe("leader");
    expect(nw.node(1).rn.term).toBe(term);
  });

  test("without PreVote a rejoining node with a higher term forces a new election (CheckQuorum frees it)", () => {
    const nw = Network.ofSize(3, { preVote: false });
    nw.campaign(1);
    const term = nw.node(1).rn.term;
    nw.isolate(3);
    for (let i = 0; i < 3; i++) electionTimeout(nw, 3);
    expect(nw.node(3).rn.term).toBeGreaterThan(term + 1);
    nw.recover();
    // the leader's heartbeat is answered at the higher term: the leader steps down
    nw.tick(1, 1);
    expect(nw.node(1).rn.term).toBeGreaterThan(term);
    nw.tickAll(40);
    expect(nw.leader()).toBeDefined();
  });

  test("PreVote: a node with a stale log gets no pre-votes, so nobody's term changes", () => {
    // without CheckQuorum's lease, so the voters actually judge the candidate's log
    const nw = Network.ofSize(3, { checkQuorum: false });
    nw.campaign(1);
    nw.cut(1, 3);
    nw.cut(2, 3);
    nw.propose(1, "x");
    nw.recover();
    // node 3 missed "x": its pre-vote is rejected by 1 and 2
    const terms = [1, 2, 3].map((id) => nw.node(id).rn.term);
    nw.campaign(3);
    expect(nw.node(3).rn.state).toBe("follower");
    expect([1, 2, 3].map((id) => nw.node(id).rn.term)).toEqual(terms);
  });

  test("a pre-vote is granted for a future term without changing the voter's term or vote", () => {
    const n = nodeWithState(1, [1, 2, 3], { logTerms: [1], term: 1, vote: 2 });
    n.rn.step(newMessage({ type: "MsgPreVote", from: 3, to: 1, term: 2, index: 1, logTerm: 1 }));
    const out = n.drain();
    expect(out[0]).toMatchObject({ type: "MsgPreVoteResp", reject: false, term: 2 });
    expect(n.rn.term).toBe(1);
    expect(n.rn.raft.vote).toBe(2);
  });

  test("CheckQuorum: a leader that cannot reach a quorum steps down", () => {
    const nw = Network.ofSize(3);
    nw.campaign(1);
    nw.isolate(1);
    nw.tick(1, 10);
    expect(nw.node(1).rn.state).toBe("leader"); // first check: followers were active before
    nw.tick(1, 10);
    expect(nw.node(1).rn.state).toBe("follower");
  });

  test("CheckQuorum: followers that hear from a leader ignore vote requests (lease)", () => {
    const nw = Network.ofSize(3, { preVote: false });
    nw.campaign(1);
    const term = nw.node(1).rn.term;
    // 3 campaigns while 2 still hears from 1: 2 ignores the vote, 3 cannot win
    nw.cut(1, 3);
    nw.campaign(3);
    expect(nw.node(3).rn.state).toBe("candidate");
    expect(nw.node(2).rn.term).toBe(term);
    expect(nw.node(1).rn.state).toBe("leader");
  });

  test("a partitioned minority leader is replaced and then follows the new leader", () => {
    const nw = Network.ofSize(5);
    nw.campaign(1);
    const oldTerm = nw.node(1).rn.term;
    nw.isolate(1);
    nw.tickAll(40);
    // the old leader noticed it lost its quorum (it now pre-campaigns in vain, at its old
    // term); the majority elected a new leader
    expect(nw.node(1).rn.state).not.toBe("leader");
    expect(nw.node(1).rn.term).toBe(oldTerm);
    const lead = nw.leader()!;
    expect(lead.id).not.toBe(1);
    expect(lead.rn.term).toBeGreaterThan(oldTerm);
    nw.recover();
    nw.propose(lead.id, "after");
    nw.tickAll(2); // heartbeats un-pause the probe of node 1
    for (const id of [1, 2, 3, 4, 5]) expect(nw.node(id).fsm).toEqual(["after"]);
    expect(nw.node(1).rn.lead).toBe(lead.id);
  });

  test("a learner never campaigns", () => {
    const nw = new Network([
      new TestNode(1, [1, 2], { learners: [3] }),
      new TestNode(2, [1, 2], { learners: [3] }),
      new TestNode(3, [1, 2], { learners: [3] }),
    ]);
    nw.tick(3, 100);
    expect(nw.node(3).rn.state).toBe("follower");
    expect(nw.node(3).rn.term).toBe(0);
  });

  test("a learner still votes when the candidate counts it as a voter (etcd #10998)", () => {
    const n = nodeWithState(3, [1, 2], { learners: [3], logTerms: [1], term: 1 });
    n.rn.step(newMessage({ type: "MsgVote", from: 2, to: 3, term: 2, index: 1, logTerm: 1 }));
    expect(n.drain()[0]).toMatchObject({ type: "MsgVoteResp", reject: false });
  });

  test("the cluster elects a leader under random message loss", () => {
    const nw = Network.ofSize(5);
    for (const a of [1, 2, 3, 4, 5]) for (const b of [1, 2, 3, 4, 5]) if (a !== b) nw.drop(a, b, 0.3);
    nw.tickAll(200);
    const leaders = [...nw.nodes.values()].filter((n) => n.rn.state === "leader");
    expect(leaders.length).toBeGreaterThanOrEqual(1);
    // at most one leader per term
    const terms = leaders.map((n) => n.rn.term);
    expect(new Set(terms).size).toBe(terms.length);
  });
});
