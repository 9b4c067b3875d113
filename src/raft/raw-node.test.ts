/**
 * RawNode's API contract: config validation, rejected inputs, the Ready/advance
 * handshake, soft state and read state delivery, and restart with `applied`.
 */
import { describe, expect, test } from "bun:test";
import { InvalidConfigError, RaftInvariantError, StepLocalMsgError, StepPeerNotFoundError } from "./errors.ts";
import { RawNode } from "./raw-node.ts";
import { MemoryStorage } from "./storage.ts";
import { TestNode, nodeWithState, seededRandom } from "./test-network.ts";
import { newMessage } from "./types.ts";

function raw(overrides: Record<string, unknown> = {}): RawNode {
  const storage = new MemoryStorage();
  storage.bootstrap({ voters: [1, 2, 3], learners: [] });
  return new RawNode({ id: 1, electionTick: 10, heartbeatTick: 1, storage, random: seededRandom(1), ...overrides });
}

describe("RawNode", () => {
  test("invalid configurations are refused with InvalidConfigError", () => {
    expect(() => raw({ id: 0 })).toThrow(InvalidConfigError);
    expect(() => raw({ electionTick: 1, heartbeatTick: 1 })).toThrow(InvalidConfigError);
    expect(() => raw({ heartbeatTick: 0 })).toThrow(InvalidConfigError);
    expect(() => raw({ maxInflightMsgs: 0 })).toThrow(InvalidConfigError);
    expect(() => raw({ maxSizePerMsg: 100, maxInflightBytes: 10 })).toThrow(InvalidConfigError);
  });

  test("local message types are refused from the network", () => {
    const rn = raw();
    for (const type of ["MsgHup", "MsgBeat", "MsgCheckQuorum", "MsgSnapStatus", "MsgUnreachable"] as const) {
      expect(() => rn.step(newMessage({ type, from: 2, to: 1 }))).toThrow(StepLocalMsgError);
    }
    expect(rn.state).toBe("follower");
  });

  test("responses from unknown peers are refused", () => {
    const rn = raw();
    expect(() => rn.step(newMessage({ type: "MsgAppResp", from: 9, to: 1, term: 1 }))).toThrow(StepPeerNotFoundError);
  });

  test("ready() must be followed by advance()", () => {
    const rn = raw();
    rn.campaign();
    rn.ready();
    expect(() => rn.ready()).toThrow(RaftInvariantError);
    rn.advance();
    expect(() => rn.ready()).not.toThrow();
  });

  test("an idle node has no Ready; an election produces soft state, hard state and messages", () => {
    const rn = raw();
    expect(rn.hasReady()).toBe(false);
    rn.campaign();
    expect(rn.hasReady()).toBe(true);
    const rd = rn.ready();
    expect(rd.softState).toEqual({ lead: 0, raftState: "preCandidate" });
    expect(rd.messages.filter((m) => m.type === "MsgPreVote").map((m) => m.to)).toEqual([2, 3]);
    rn.advance();
    expect(rn.hasReady()).toBe(false);
  });

  test("soft state appears only when it changes", () => {
    const n = new TestNode(1, [1]);
    n.rn.campaign();
    let sawLeader = 0;
    while (n.rn.hasReady()) {
      const rd = n.rn.ready();
      if (rd.softState?.raftState === "leader") sawLeader++;
      n.storage.save({ entries: rd.entries, hardState: rd.hardState });
      n.rn.advance();
    }
    expect(sawLeader).toBe(1);
    n.rn.propose("x");
    const rd = n.rn.ready();
    expect(rd.softState).toBeUndefined();
    n.rn.advance();
  });

  test("read states are delivered once", () => {
    const n = new TestNode(1, [1]);
    n.rn.campaign();
    n.drain();
    n.rn.readIndex("ctx");
    const rd = n.rn.ready();
    expect(rd.readStates).toEqual([{ index: 1, requestCtx: "ctx" }]);
    n.rn.advance();
    expect(n.rn.hasReady()).toBe(false);
  });

  test("a restart with `applied` does not hand out applied entries again", () => {
    const n = nodeWithState(1, [1], { logTerms: [1, 1, 1, 1], term: 1, commit: 4 });
    const all = new RawNode({ id: 1, electionTick: 10, heartbeatTick: 1, storage: n.storage, random: seededRandom(2) });
    expect(all.ready().committedEntries.map((e) => e.index)).toEqual([1, 2, 3, 4]);
    const some = new RawNode({ id: 1, electionTick: 10, heartbeatTick: 1, storage: n.storage, random: seededRandom(2), applied: 2 });
    expect(some.ready().committedEntries.map((e) => e.index)).toEqual([3, 4]);
  });

  test("status reports the leader's view of its followers", () => {
    const n = new TestNode(1, [1]);
    n.rn.campaign();
    n.drain();
    const st = n.rn.status();
    expect(st.softState).toEqual({ lead: 1, raftState: "leader" });
    expect(st.hardState.term).toBe(1);
    expect(st.progress.get(1)).toMatchObject({ match: 1, state: "replicate" });
    expect(st.config).toEqual({ voters: [1], learners: [] });
  });

  test("a committed entry's index is never above what the local log holds durably", () => {
    // Property over many random single-node runs: anything handed out for application
    // was already saved to storage by an earlier Ready.
    const rand = seededRandom(9);
    for (let run = 0; run < 50; run++) {
      const n = new TestNode(1, [1]);
      n.rn.campaign();
      n.drain();
      for (let i = 0; i < 20; i++) {
        if (rand(2) === 0) n.rn.propose(`p${i}`);
        if (!n.rn.hasReady()) continue;
        const rd = n.rn.ready();
        const durableLast = n.storage.lastIndex();
        for (const e of rd.committedEntries) expect(e.index).toBeLessThanOrEqual(durableLast);
        n.storage.save({ entries: rd.entries, hardState: rd.hardState });
        n.rn.advance();
      }
    }
  });
});
