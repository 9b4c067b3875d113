import { describe, expect, it } from "bun:test";
import { slowStartBatch } from "./slow-start.ts";

describe("slowStartBatch", () => {
  it("runs everything in doubling batches", async () => {
    let active = 0;
    const peaks: number[] = [];
    const r = await slowStartBatch(10, 1, async () => {
      active++;
      peaks.push(active);
      await Bun.sleep(1);
      active--;
    });
    expect(r).toEqual({ successes: 10 });
    expect(Math.max(...peaks)).toBe(4); // batches 1, 2, 4, 3
    expect(peaks.slice(0, 3)).toEqual([1, 1, 2]);
  });

  it("stops after the first failing batch", async () => {
    let calls = 0;
    const r = await slowStartBatch(100, 1, async (i) => {
      calls++;
      if (i >= 2) throw new Error(`boom ${i}`);
    });
    // batches: [0], [1,2] → 2 fails; stop.
    expect(calls).toBe(3);
    expect(r.successes).toBe(2);
    expect((r.error as Error).message).toBe("boom 2");
  });

  it("does nothing for zero", async () => {
    let calls = 0;
    expect(await slowStartBatch(0, 1, async () => void calls++)).toEqual({ successes: 0 });
    expect(calls).toBe(0);
  });
});
