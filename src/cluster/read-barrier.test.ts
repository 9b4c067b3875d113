import { describe, expect, it } from "bun:test";
import { ReadBarrier } from "./read-barrier.ts";
import { StoreClosedError, UnavailableError } from "../store/types.ts";

function sink() {
  const s = { applied: 0, asked: [] as string[] };
  return { s, api: { readIndex: (ctx: string) => void s.asked.push(ctx), appliedIndex: () => s.applied } };
}

describe("ReadBarrier", () => {
  it("batches reads: those arriving during a round wait for the next one", async () => {
    const { s, api } = sink();
    const b = new ReadBarrier(api, "r.", 2000, 1000);
    const first = [b.wait(), b.wait()];
    await Bun.sleep(0);
    expect(s.asked).toHaveLength(1);
    const later = [b.wait(), b.wait(), b.wait()];
    await Bun.sleep(0);
    expect(s.asked).toHaveLength(1); // one round in flight at a time
    s.applied = 5;
    b.onReadStates([{ index: 5, requestCtx: s.asked[0]! }]);
    await Promise.all(first);
    await Bun.sleep(0);
    expect(s.asked).toHaveLength(2);
    b.onReadStates([{ index: 7, requestCtx: s.asked[1]! }]);
    let done = false;
    void Promise.all(later).then(() => (done = true));
    await Bun.sleep(5);
    expect(done).toBe(false); // waits until applied >= 7
    s.applied = 7;
    b.onApplied(7);
    await Promise.all(later);
    expect(b.rounds).toBe(2);
    b.close();
  });

  it("retries a round that got no answer, and gives up at the deadline with UnavailableError", async () => {
    const { s, api } = sink();
    const b = new ReadBarrier(api, "r.", 150, 40);
    const p = b.wait();
    await expect(p).rejects.toBeInstanceOf(UnavailableError);
    expect(s.asked.length).toBeGreaterThan(1);
    b.close();
  });

  it("restarts the round at once when the leader changes", async () => {
    const { s, api } = sink();
    const b = new ReadBarrier(api, "r.", 2000, 10_000);
    const p = b.wait();
    await Bun.sleep(0);
    b.leaderChanged();
    await Bun.sleep(0);
    expect(s.asked).toHaveLength(2);
    b.onReadStates([{ index: 0, requestCtx: s.asked[1]! }]);
    await p;
    b.close();
  });

  it("close rejects waiting reads", async () => {
    const { api } = sink();
    const b = new ReadBarrier(api, "r.", 2000, 1000);
    const p = b.wait();
    b.close();
    await expect(p).rejects.toBeInstanceOf(StoreClosedError);
  });
});
