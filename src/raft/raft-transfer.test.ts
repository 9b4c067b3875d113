/**
 * Leadership transfer (thesis §3.10): the leader brings the transferee up to date, sends
 * MsgTimeoutNow, and the transferee campaigns at once (bypassing pre-vote and leases).
 * Proposals are dropped meanwhile; an unfinished transfer is abandoned after an election
 * timeout.
 */
import { describe, expect, test } from "bun:test";
import { ProposalDroppedError } from "./errors.ts";
import { Network } from "./test-network.ts";

describe("leadership transfer", () => {
  test("to an up-to-date follower: it becomes leader in the next term", () => {
    const nw = Network.ofSize(3);
    nw.campaign(1);
    nw.propose(1, "a");
    const term = nw.node(1).rn.term;
    nw.act(() => nw.node(1).rn.transferLeader(2));
    expect(nw.node(2).rn.state).toBe("leader");
    expect(nw.node(2).rn.term).toBe(term + 1);
    expect(nw.node(1).rn.state).toBe("follower");
    nw.propose(2, "b");
    expect(nw.node(1).fsm).toEqual(["a", "b"]);
  });

  test("to a lagging follower: it is caught up first", () => {
    const nw = Network.ofSize(3);
    nw.campaign(1);
    nw.isolate(3);
    for (let i = 0; i < 5; i++) nw.propose(1, `v${i}`);
    nw.recover();
    const oldTerm = nw.node(1).rn.term;
    nw.act(() => nw.node(1).rn.transferLeader(3));
    expect(nw.node(3).rn.state).toBe("follower"); // not yet: its log is behind
    nw.tickAll(2); // a heartbeat round resumes the paused probe; 3 catches up, then times out
    expect(nw.node(3).rn.state).toBe("leader");
    expect(nw.node(3).fsm).toEqual(["v0", "v1", "v2", "v3", "v4"]);
    const timeoutNow = nw.delivered.findIndex((m) => m.type === "MsgTimeoutNow");
    const lastApp = nw.delivered.findLastIndex((m) => m.type === "MsgApp" && m.to === 3 && m.entries.length > 0 && m.term === oldTerm);
    expect(lastApp).toBeGreaterThanOrEqual(0);
    expect(lastApp).toBeLessThan(timeoutNow);
  });

  test("proposals are dropped while a transfer is in progress", () => {
    const nw = Network.ofSize(3);
    nw.campaign(1);
    nw.isolate(3);
    nw.act(() => nw.node(1).rn.transferLeader(3));
    expect(nw.node(1).rn.status().leadTransferee).toBe(3);
    expect(() => nw.node(1).rn.propose("x")).toThrow(ProposalDroppedError);
  });

  test("an unfinished transfer is abandoned after an election timeout", () => {
    const nw = Network.ofSize(3);
    nw.campaign(1);
    nw.isolate(3);
    nw.act(() => nw.node(1).rn.transferLeader(3));
    nw.tick(1, 10);
    expect(nw.node(1).rn.state).toBe("leader");
    expect(nw.node(1).rn.status().leadTransferee).toBe(0);
    nw.propose(1, "works again");
    expect(nw.node(2).fsm).toEqual(["works again"]);
  });

  test("a transfer requested on a follower is forwarded to the leader", () => {
    const nw = Network.ofSize(3);
    nw.campaign(1);
    nw.act(() => nw.node(2).rn.transferLeader(2));
    expect(nw.node(2).rn.state).toBe("leader");
  });

  test("a transfer request forwarded twice (the leader changed meanwhile) still reaches the leader", () => {
    const nw = Network.ofSize(3);
    nw.campaign(1);
    nw.act(() => nw.node(1).rn.transferLeader(2));
    expect(nw.node(2).rn.state).toBe("leader");
    // 3 still believes 1 leads: its forwarded request reaches 1, a follower now, which forwards again
    nw.node(3).rn.raft.lead = 1;
    nw.delivered = [];
    nw.act(() => nw.node(3).rn.transferLeader(3));
    const hops = nw.delivered.filter((m) => m.type === "MsgTransferLeader").map((m) => `${m.to}`);
    expect(hops).toEqual(["1", "2"]);
    expect(nw.node(3).rn.state).toBe("leader");
  });

  test("transfers to a learner or to the leader itself are ignored", () => {
    const nw = Network.ofSize(2, { learners: [3] });
    nw.add(new (nw.node(1).constructor as typeof import("./test-network.ts").TestNode)(3, [1, 2], { learners: [3] }));
    nw.campaign(1);
    nw.act(() => nw.node(1).rn.transferLeader(3));
    nw.act(() => nw.node(1).rn.transferLeader(1));
    expect(nw.node(1).rn.state).toBe("leader");
    expect(nw.node(1).rn.status().leadTransferee).toBe(0);
  });

  test("the transferee's vote request bypasses the other followers' leader lease", () => {
    const nw = Network.ofSize(3); // CheckQuorum on: followers are in lease
    nw.campaign(1);
    nw.cut(1, 3); // 3 must not hear the old leader step down
    nw.act(() => nw.node(1).rn.transferLeader(2));
    expect(nw.node(2).rn.state).toBe("leader");
    expect(nw.node(3).rn.lead).toBe(2);
  });
});
