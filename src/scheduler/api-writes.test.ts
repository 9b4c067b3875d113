import { describe, expect, test } from "bun:test";
import { conditionPatch, EventLimiter, SpamFilter, truncateMessage } from "./api-writes.ts";

describe("api writes", () => {
  test("the PodScheduled condition is patched only when it changes; the transition time is kept while False", () => {
    const now = new Date("2026-01-01T00:00:05Z");
    const fresh = { status: { conditions: [] } };
    expect(conditionPatch(fresh, { reason: "Unschedulable", message: "m1" }, undefined, now)).toEqual({
      status: { conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message: "m1", lastTransitionTime: "2026-01-01T00:00:05Z" }] },
    });
    const failed = { status: { conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message: "m1", lastTransitionTime: "2026-01-01T00:00:00Z" }] } };
    expect(conditionPatch(failed, { reason: "Unschedulable", message: "m1" }, undefined, now)).toBeNull();
    expect(conditionPatch(failed, { reason: "Unschedulable", message: "m2" }, undefined, now)?.status.conditions[0].lastTransitionTime).toBe("2026-01-01T00:00:00Z");
    expect(conditionPatch(failed, { reason: "Unschedulable", message: "m1" }, "n1", now)).toEqual({ status: { nominatedNodeName: "n1" } });
    expect(conditionPatch({ status: { ...failed.status, nominatedNodeName: "n1" } }, { reason: "Unschedulable", message: "m1" }, "", now)).toEqual({ status: { nominatedNodeName: null } });
  });

  test("event messages are truncated to 1024 characters", () => {
    expect(truncateMessage("x".repeat(2000))).toHaveLength(1024);
    expect(truncateMessage("x".repeat(2000)).endsWith(" ...")).toBe(true);
    expect(truncateMessage("short")).toBe("short");
  });

  test("spam filter: 25 events per object, then one per 5 minutes", () => {
    let t = 0;
    const f = new SpamFilter(25, 300_000, () => t);
    let n = 0;
    for (let i = 0; i < 40; i++) if (f.allow("pod")) n++;
    expect(n).toBe(25);
    expect(f.allow("other")).toBe(true);
    t += 299_000;
    expect(f.allow("pod")).toBe(false);
    t += 1000;
    expect(f.allow("pod")).toBe(true);
    f.forget("pod");
    expect(f.allow("pod")).toBe(true);
  });

  test("the Scheduled event limiter drops beyond its rate", () => {
    const l = new EventLimiter(10, 5);
    let ok = 0;
    for (let i = 0; i < 20; i++) if (l.take()) ok++;
    expect(ok).toBe(5);
    expect(l.dropped).toBe(15);
  });
});
