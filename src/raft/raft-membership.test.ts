/**
 * Membership and snapshots: learners join and catch up (by snapshot when the log was
 * compacted), are promoted to voters, nodes are removed; one conf change at a time;
 * compaction, InstallSnapshot and restarts from a snapshot.
 */
import { describe, expect, test } from "bun:test";
import { ProposalDroppedError } from "./errors.ts";
import { Network, TestNode, nodeWithState } from "./test-network.ts";
import { type ConfChange, newMessage } from "./types.ts";

function changeConf(nw: Network, leaderId: number, cc: ConfChange): void {
  nw.act(() => nw.node(leaderId).rn.proposeConfChange(cc));
}

/** A cluster bootstrapped like production, so that joiners can learn the membership. */
function cluster(n: number, opts = {}): Network {
  return Network.ofSize(n, { realBootstrap: true, ...opts });
}

function joiner(id: number, opts = {}): TestNode {
  // a new server starts with an empty log and no membership: it learns both from the leader
  return new TestNode(id, [], { noBootstrap: true, ...opts });
}

describe("learners and promotion", () => {
  test("a learner receives the log but does not count toward the quorum", () => {
    const nw = cluster(3);
    nw.campaign(1);
    nw.propose(1, "before");
    nw.add(joiner(4));
    changeConf(nw, 1, { type: "addLearnerNode", nodeId: 4 });
    nw.tickAll(2);
    expect(nw.node(4).fsm).toEqual(["before"]);
    expect(nw.node(1).rn.status().config).toEqual({ voters: [1, 2, 3], learners: [4] });
    expect(nw.node(4).confState).toEqual({ voters: [1, 2, 3], learners: [4] });
    // with two voters down, the leader plus the learner are not a quorum
    nw.node(2).stopped = true;
    nw.node(3).stopped = true;
    const committed = nw.node(1).rn.committed;
    nw.propose(1, "needs a voter");
    expect(nw.node(1).rn.committed).toBe(committed);
  });

  test("a promoted learner counts toward the quorum", () => {
    const nw = cluster(3);
    nw.campaign(1);
    nw.add(joiner(4));
    changeConf(nw, 1, { type: "addLearnerNode", nodeId: 4 });
    nw.tickAll(2);
    changeConf(nw, 1, { type: "addNode", nodeId: 4 });
    expect(nw.node(1).rn.status().config).toEqual({ voters: [1, 2, 3, 4], learners: [] });
    nw.node(3).stopped = true;
    nw.propose(1, "x");
    expect(nw.node(1).fsm).toEqual(["x"]); // 1, 2, 4 are a quorum of 4
    nw.node(2).stopped = true;
    nw.propose(1, "y");
    expect(nw.node(1).fsm).toEqual(["x"]); // 1, 4 are not
  });

  test("only one conf change may be pending at a time", () => {
    const nw = cluster(3);
    nw.campaign(1);
    nw.cut(1, 2);
    nw.cut(1, 3);
    nw.act(() => nw.node(1).rn.proposeConfChange({ type: "addLearnerNode", nodeId: 4 }));
    expect(() => nw.node(1).rn.proposeConfChange({ type: "addLearnerNode", nodeId: 5 })).toThrow(ProposalDroppedError);
    nw.recover();
    nw.tickAll(2);
    nw.act(() => nw.node(1).rn.proposeConfChange({ type: "addLearnerNode", nodeId: 5 }));
    expect(nw.node(1).rn.status().config.learners).toEqual([4, 5]);
  });

  test("a forwarded conf change that would overlap a pending one becomes an empty entry", () => {
    const nw = cluster(3);
    nw.campaign(1);
    nw.cut(1, 3);
    nw.drop(2, 1, 1);
    nw.act(() => nw.node(1).rn.proposeConfChange({ type: "addLearnerNode", nodeId: 4 }));
    nw.recover();
    nw.cut(1, 3);
    nw.drop(1, 2, 1); // 2's acks reach 1, but 1 cannot tell 2 anything: nothing commits... then 2 forwards
    nw.act(() => nw.node(2).rn.proposeConfChange({ type: "addLearnerNode", nodeId: 5 }));
    nw.recover();
    nw.tickAll(3);
    expect(nw.node(1).rn.status().config.learners).toEqual([4]);
    const last = nw.node(1).rn.raft.raftLog.allEntries().at(-1)!;
    expect(last.type).toBe("normal");
    expect(last.data).toBe("");
  });

  test("a new leader accepts no conf change until its predecessors' entries are applied", () => {
    const n = nodeWithState(1, [1, 2, 3], { logTerms: [1, 1, 1], term: 1, commit: 1 });
    n.drain(); // applies entry 1
    n.rn.raft.becomeCandidate();
    n.rn.raft.becomeLeader();
    // entries 2 and 3 may hold a conf change: wait until they are applied
    expect(n.rn.raft.pendingConfIndex).toBe(3);
    expect(() => n.rn.proposeConfChange({ type: "addLearnerNode", nodeId: 4 })).toThrow(ProposalDroppedError);
  });
});

describe("removal", () => {
  test("a removed follower no longer gets entries and the quorum shrinks", () => {
    const nw = cluster(4);
    nw.campaign(1);
    changeConf(nw, 1, { type: "removeNode", nodeId: 4 });
    expect(nw.node(1).rn.status().config.voters).toEqual([1, 2, 3]);
    nw.node(3).stopped = true;
    nw.propose(1, "x");
    expect(nw.node(2).fsm).toEqual(["x"]); // 1 and 2 are a quorum of 3
    expect(nw.node(4).fsm).toEqual([]);
  });

  test("a removed leader steps down and the others elect a new one", () => {
    const nw = cluster(3);
    nw.campaign(1);
    changeConf(nw, 1, { type: "removeNode", nodeId: 1 });
    expect(nw.node(1).rn.state).toBe("follower");
    nw.node(1).stopped = true;
    nw.tickAll(30);
    const lead = nw.leader()!;
    expect([2, 3]).toContain(lead.id);
    nw.propose(lead.id, "without 1");
    expect(nw.node(2).fsm).toEqual(["without 1"]);
    expect(nw.node(3).fsm).toEqual(["without 1"]);
  });

  test("removing the last voter is refused at apply time", () => {
    const nw = cluster(1);
    nw.campaign(1);
    expect(() => changeConf(nw, 1, { type: "removeNode", nodeId: 1 })).toThrow("removed all voters");
  });
});

describe("snapshots and compaction", () => {
  test("a learner that joins after compaction catches up by snapshot", () => {
    const nw = cluster(3, { snapshotEvery: 3 });
    nw.campaign(1);
    for (let i = 0; i < 10; i++) nw.propose(1, `v${i}`);
    expect(nw.node(1).storage.firstIndex()).toBeGreaterThan(1);
    nw.add(joiner(4, { snapshotEvery: 3 }));
    changeConf(nw, 1, { type: "addLearnerNode", nodeId: 4 });
    nw.tickAll(3);
    expect(nw.delivered.some((m) => m.type === "MsgSnap" && m.to === 4)).toBe(true);
    expect(nw.node(4).fsm).toEqual(nw.node(1).fsm);
    expect(nw.node(4).confState).toEqual({ voters: [1, 2, 3], learners: [4] });
    // and then it can be promoted and serve as a voter
    changeConf(nw, 1, { type: "addNode", nodeId: 4 });
    nw.node(2).stopped = true;
    nw.propose(1, "after promotion");
    expect(nw.node(4).fsm.at(-1)).toBe("after promotion");
  });

  test("a node refuses a snapshot whose membership does not include it", () => {
    const n = joiner(4);
    n.rn.step({
      ...newMessage({ type: "MsgSnap", from: 1, to: 4, term: 2 }),
      snapshot: {
        metadata: { index: 5, term: 2, confState: { voters: [1, 2, 3], learners: [] } },
        data: new Uint8Array(),
      },
    });
    const out = n.drain();
    expect(n.rn.committed).toBe(0);
    expect(out[0]).toMatchObject({ type: "MsgAppResp", index: 0, reject: false });
  });

  test("a follower that fell behind the compaction point is restored from a snapshot", () => {
    const nw = cluster(3, { snapshotEvery: 2 });
    nw.campaign(1);
    nw.isolate(3);
    for (let i = 0; i < 9; i++) nw.propose(1, `v${i}`);
    nw.recover();
    nw.tickAll(3);
    expect(nw.node(3).fsm).toEqual(nw.node(1).fsm);
    expect(nw.node(3).rn.committed).toBe(nw.node(1).rn.committed);
    expect(nw.node(1).rn.status().progress.get(3)!.state).toBe("replicate");
  });

  test("a failed snapshot send is retried", () => {
    const nw = cluster(3, { snapshotEvery: 2 });
    nw.campaign(1);
    nw.isolate(3);
    for (let i = 0; i < 6; i++) nw.propose(1, `v${i}`);
    nw.recover();
    nw.ignore("MsgSnap");
    nw.tickAll(2);
    const rn = nw.node(1).rn;
    expect(rn.status().progress.get(3)!.state).toBe("snapshot");
    rn.reportSnapshot(3, "failure");
    expect(rn.status().progress.get(3)!.state).toBe("probe");
    nw.recover();
    nw.tickAll(4);
    expect(nw.node(3).fsm).toEqual(nw.node(1).fsm);
  });

  test("a node restarts from its snapshot plus the log after it", () => {
    const nw = cluster(3, { snapshotEvery: 4 });
    nw.campaign(1);
    for (let i = 0; i < 10; i++) nw.propose(1, `v${i}`);
    const n2 = nw.node(2);
    const fsm = [...n2.fsm];
    expect(n2.storage.snapshot().metadata.index).toBeGreaterThan(0);
    n2.restart();
    n2.drain();
    expect(n2.fsm).toEqual(fsm);
  });

  test("a restarted node does not re-apply conf changes already in its stored membership", () => {
    const nw = cluster(3);
    nw.campaign(1);
    nw.add(joiner(4));
    changeConf(nw, 1, { type: "addLearnerNode", nodeId: 4 });
    nw.tickAll(2);
    changeConf(nw, 1, { type: "addNode", nodeId: 4 });
    const n2 = nw.node(2);
    n2.restart();
    n2.drain();
    // the add-learner entry is re-delivered for application but must not demote 4 again
    expect(n2.rn.status().config).toEqual({ voters: [1, 2, 3, 4], learners: [] });
    expect(n2.confState).toEqual({ voters: [1, 2, 3, 4], learners: [] });
  });
});
