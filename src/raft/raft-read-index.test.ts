/**
 * ReadIndex (safe, lease-less): the leader records its commit index, confirms leadership
 * with a heartbeat round, and only then releases the read; followers forward; a new
 * leader defers reads until it committed an entry of its own term.
 */
import { describe, expect, test } from "bun:test";
import { Network } from "./test-network.ts";

describe("ReadIndex", () => {
  test("the leader serves a read at its commit index after a quorum heartbeat round", () => {
    const nw = Network.ofSize(3);
    nw.campaign(1);
    nw.propose(1, "a");
    nw.act(() => nw.node(1).rn.readIndex("r1"));
    expect(nw.node(1).readStates).toEqual([{ index: 2, requestCtx: "r1" }]);
    const hbs = nw.delivered.filter((m) => m.type === "MsgHeartbeat" && m.context !== "");
    expect(hbs.length).toBe(2);
  });

  test("a follower's read is forwarded and answered with the leader's commit index", () => {
    const nw = Network.ofSize(3);
    nw.campaign(1);
    nw.propose(1, "a");
    nw.propose(1, "b");
    nw.act(() => nw.node(3).rn.readIndex("f"));
    expect(nw.node(3).readStates).toEqual([{ index: 3, requestCtx: "f" }]);
  });

  test("a leader cut off from its quorum never answers a read", () => {
    const nw = Network.ofSize(3);
    nw.campaign(1);
    nw.isolate(1);
    nw.act(() => nw.node(1).rn.readIndex("stale?"));
    nw.tick(1, 5);
    expect(nw.node(1).readStates).toEqual([]);
  });

  test("one heartbeat round confirms several queued reads", () => {
    const nw = Network.ofSize(3);
    nw.campaign(1);
    nw.cut(1, 2);
    nw.cut(1, 3);
    nw.act(() => {
      nw.node(1).rn.readIndex("x");
      nw.node(1).rn.readIndex("y");
    });
    expect(nw.node(1).readStates).toEqual([]);
    nw.recover();
    nw.tick(1, 1);
    expect(nw.node(1).readStates.map((r) => r.requestCtx)).toEqual(["x", "y"]);
  });

  test("a new leader defers reads until it has committed an entry of its term", () => {
    const nw = Network.ofSize(3);
    nw.campaign(1);
    nw.propose(1, "a");
    // 2 becomes leader but cannot commit its empty entry yet (only 1 would ack; cut it)
    nw.cut(2, 1);
    nw.cut(2, 3);
    nw.node(2).rn.raft.becomeCandidate();
    nw.node(2).rn.raft.becomeLeader();
    nw.act(() => nw.node(2).rn.readIndex("early"));
    expect(nw.node(2).readStates).toEqual([]);
    expect(nw.node(2).rn.raft.pendingReadIndexMessages).toHaveLength(1);
    nw.recover();
    nw.tick(2, 2);
    const rs = nw.node(2).readStates;
    expect(rs).toHaveLength(1);
    expect(rs[0]!.index).toBe(nw.node(2).rn.committed);
    expect(rs[0]!.index).toBeGreaterThanOrEqual(3);
  });

  test("the unsafeReadIndex testing knob really serves stale reads (canary)", () => {
    const nw = Network.ofSize(3, { testingKnobs: { unsafeReadIndex: true } });
    nw.campaign(1);
    nw.isolate(1);
    nw.act(() => nw.node(1).rn.readIndex("stale!"));
    expect(nw.node(1).readStates).toEqual([{ index: 1, requestCtx: "stale!" }]);
  });

  test("a single-node leader answers reads immediately once its term's entry is committed", () => {
    const nw = Network.ofSize(1);
    nw.campaign(1);
    nw.act(() => nw.node(1).rn.readIndex("solo"));
    expect(nw.node(1).readStates).toEqual([{ index: 1, requestCtx: "solo" }]);
  });

  test("reads pending at a term change are dropped (the caller retries)", () => {
    const nw = Network.ofSize(3);
    nw.campaign(1);
    nw.cut(1, 2);
    nw.cut(1, 3);
    nw.act(() => nw.node(1).rn.readIndex("lost"));
    nw.node(1).rn.raft.becomeFollower(nw.node(1).rn.term + 1, 0);
    nw.recover();
    nw.tickAll(30);
    expect(nw.node(1).readStates).toEqual([]);
  });
});
