import { describe, expect, it } from "bun:test";
import { WorkQueue } from "./workqueue.ts";

describe("WorkQueue", () => {
  it("de-duplicates keys waiting in the queue", async () => {
    const q = new WorkQueue();
    q.add("a");
    q.add("a");
    q.add("b");
    expect(q.len()).toBe(2);
    expect(await q.get()).toBe("a");
    expect(await q.get()).toBe("b");
  });

  it("re-runs a key added while it was being processed, never concurrently", async () => {
    const q = new WorkQueue();
    const seen: string[] = [];
    let active = 0;
    let maxActive = 0;
    q.add("k");
    const run = q.run(3, async (k) => {
      active++;
      maxActive = Math.max(maxActive, active);
      seen.push(k);
      if (seen.length === 1) q.add("k");
      await Bun.sleep(5);
      active--;
    });
    await Bun.sleep(50);
    q.shutdown();
    await run;
    expect(seen).toEqual(["k", "k"]);
    expect(maxActive).toBe(1);
  });

  it("backs off failing keys and retries them", async () => {
    const q = new WorkQueue({ baseDelayMs: 5 });
    let calls = 0;
    q.add("x");
    const run = q.run(1, async () => {
      calls++;
      if (calls < 3) throw new Error("boom");
    });
    await Bun.sleep(100);
    q.shutdown();
    await run;
    expect(calls).toBe(3);
  });
});
