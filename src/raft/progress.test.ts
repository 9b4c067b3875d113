import { describe, expect, test } from "bun:test";
import { Inflights } from "./inflights.ts";
import { Progress } from "./progress.ts";

const pr = (match: number, next: number, size = 256) =>
  new Progress({ match, next, inflights: new Inflights(size, 0), isLearner: false });

describe("Progress", () => {
  test("maybeUpdate ignores stale acks", () => {
    const p = pr(3, 5);
    expect(p.maybeUpdate(2)).toBe(false);
    expect(p.maybeUpdate(3)).toBe(false);
    expect(p.maybeUpdate(4)).toBe(true);
    expect([p.match, p.next]).toEqual([4, 5]);
    expect(p.maybeUpdate(7)).toBe(true);
    expect([p.match, p.next]).toEqual([7, 8]);
  });

  test("maybeDecrTo in replicate state goes back to match+1; stale rejections are ignored", () => {
    const p = pr(5, 10);
    p.becomeReplicate();
    p.next = 10;
    expect(p.maybeDecrTo(4, 4)).toBe(false);
    expect(p.maybeDecrTo(9, 9)).toBe(true);
    expect(p.next).toBe(6);
  });

  test("maybeDecrTo in probe state uses the hint, never below match+1", () => {
    const p = pr(1, 10);
    expect(p.maybeDecrTo(5, 3)).toBe(false); // not the probe in flight
    expect(p.maybeDecrTo(9, 3)).toBe(true);
    expect(p.next).toBe(4);
    p.next = 10;
    expect(p.maybeDecrTo(9, 0)).toBe(true);
    expect(p.next).toBe(2);
  });

  test("probe state sends one message then waits for a heartbeat response", () => {
    const p = pr(0, 1);
    expect(p.shouldSendMsgApp(5, 0)).toBe(true);
    p.sentEntries(5, 50);
    expect(p.next).toBe(1); // probes do not advance next
    expect(p.isPaused()).toBe(true);
    expect(p.shouldSendMsgApp(5, 0)).toBe(false);
    p.msgAppProbesPaused = false; // heartbeat response
    expect(p.shouldSendMsgApp(5, 0)).toBe(true);
  });

  test("replicate state pipelines until the inflight window is full", () => {
    const p = pr(0, 1, 2);
    p.becomeReplicate();
    p.sentEntries(2, 20);
    expect(p.next).toBe(3);
    expect(p.shouldSendMsgApp(10, 0)).toBe(true);
    p.sentEntries(2, 20);
    expect(p.inflights.full()).toBe(true);
    expect(p.isPaused()).toBe(true);
    expect(p.shouldSendMsgApp(10, 0)).toBe(false);
    p.inflights.freeLE(2);
    expect(p.shouldSendMsgApp(10, 0)).toBe(true);
  });

  test("commit bumps are sent only when they can move the follower", () => {
    const p = pr(5, 6);
    p.becomeReplicate();
    expect(p.canBumpCommit(3)).toBe(true);
    p.sentCommit(3);
    expect(p.canBumpCommit(3)).toBe(false);
    expect(p.canBumpCommit(9)).toBe(true);
    p.sentCommit(9);
    expect(p.pendingCommit).toBe(5); // capped at next-1
  });

  test("after a snapshot, probing resumes from after the snapshot", () => {
    const p = pr(2, 3);
    p.becomeSnapshot(10);
    expect(p.shouldSendMsgApp(20, 0)).toBe(false);
    p.becomeProbe();
    expect(p.next).toBe(11);
    p.becomeSnapshot(10);
    p.pendingSnapshot = 0; // failed snapshot
    p.becomeProbe();
    expect(p.next).toBe(3);
  });
});
