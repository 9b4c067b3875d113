import { expect, test } from "bun:test";
import { Limiter } from "./limiter.ts";

test("never more than max at once, FIFO, errors release the slot", async () => {
  const l = new Limiter(2);
  let running = 0;
  let peak = 0;
  const order: number[] = [];
  const job = (i: number) =>
    l.run(async () => {
      running++;
      peak = Math.max(peak, running);
      await Bun.sleep(10);
      order.push(i);
      running--;
      if (i === 1) throw new Error("x");
      return i;
    });
  const results = await Promise.allSettled([0, 1, 2, 3, 4].map(job));
  expect(peak).toBe(2);
  expect(results[1]!.status).toBe("rejected");
  expect(order.slice(2)).toEqual([2, 3, 4]);
  expect(l.pending).toBe(0);
  expect(() => new Limiter(0)).toThrow(RangeError);
});
