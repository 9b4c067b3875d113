import { describe, expect, test } from "bun:test";
import { restoreConfig, simpleChange } from "./confchange.ts";
import { InvalidConfChangeError } from "./errors.ts";
import { ProgressTracker } from "./tracker.ts";

function tracker(voters: number[], learners: number[] = []): ProgressTracker {
  const t = new ProgressTracker(16, 0);
  const cfg = restoreConfig(t, { voters, learners }, 10);
  t.setConfig(cfg.voters, cfg.learners, cfg.progress);
  return t;
}

describe("single-step conf changes", () => {
  test("add a learner, then promote it", () => {
    const t = tracker([1, 2, 3]);
    const a = simpleChange(t, { type: "addLearnerNode", nodeId: 4 }, 10);
    expect([...a.learners]).toEqual([4]);
    expect(a.progress.get(4)!.isLearner).toBe(true);
    expect(a.progress.get(4)!.next).toBe(10);
    expect(a.progress.get(4)!.recentActive).toBe(true);
    t.setConfig(a.voters, a.learners, a.progress);
    t.progress.get(4)!.match = 7;
    const b = simpleChange(t, { type: "addNode", nodeId: 4 }, 12);
    expect([...b.voters].sort()).toEqual([1, 2, 3, 4]);
    expect(b.learners.size).toBe(0);
    expect(b.progress.get(4)!.isLearner).toBe(false);
    expect(b.progress.get(4)!.match).toBe(7); // progress is kept on promotion
  });

  test("the input tracker is not modified", () => {
    const t = tracker([1, 2, 3]);
    simpleChange(t, { type: "removeNode", nodeId: 3 }, 10);
    expect([...t.voters].sort()).toEqual([1, 2, 3]);
    expect(t.progress.has(3)).toBe(true);
  });

  test("remove a voter or a learner; removing an unknown node is a no-op", () => {
    const t = tracker([1, 2, 3], [4]);
    expect([...simpleChange(t, { type: "removeNode", nodeId: 2 }, 10).voters].sort()).toEqual([1, 3]);
    expect(simpleChange(t, { type: "removeNode", nodeId: 4 }, 10).learners.size).toBe(0);
    expect(simpleChange(t, { type: "removeNode", nodeId: 9 }, 10).progress.size).toBe(4);
  });

  test("demote a voter to learner", () => {
    const t = tracker([1, 2, 3]);
    const c = simpleChange(t, { type: "addLearnerNode", nodeId: 3 }, 10);
    expect([...c.voters].sort()).toEqual([1, 2]);
    expect([...c.learners]).toEqual([3]);
  });

  test("removing the last voter is refused", () => {
    const t = tracker([1]);
    expect(() => simpleChange(t, { type: "removeNode", nodeId: 1 }, 10)).toThrow(InvalidConfChangeError);
  });

  test("node id 0 means 'not applied' and changes nothing", () => {
    const t = tracker([1, 2]);
    const c = simpleChange(t, { type: "addNode", nodeId: 0 }, 10);
    expect([...c.voters].sort()).toEqual([1, 2]);
  });

  test("restoring a conf state that lists a node twice is refused", () => {
    const t = new ProgressTracker(16, 0);
    expect(() => restoreConfig(t, { voters: [1, 2], learners: [2] }, 1)).toThrow(InvalidConfChangeError);
  });
});
