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

test("higher priority waiters go first, FIFO among equals", async () => {
  const l = new Limiter(1);
  const order: string[] = [];
  const job = (name: string, prio: number) =>
    l.run(async () => {
      order.push(name);
      await Bun.sleep(5);
    }, prio);
  const all = [job("first", 0), job("low1", 0), job("high1", 1), job("low2", 0), job("high2", 1)];
  await Promise.all(all);
  expect(order).toEqual(["first", "high1", "high2", "low1", "low2"]);
});
