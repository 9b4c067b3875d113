import { expect, test } from "bun:test";
import { Backoff } from "./backoff.ts";

test("first restart is immediate, then 10 s doubling to 5 min", () => {
  let now = 1_000_000;
  const b = new Backoff({ now: () => now });
  expect(b.blockedUntil("k", now)).toBeNull();
  b.next("k");
  const delays: number[] = [];
  for (let i = 0; i < 8; i++) {
    const finished = now;
    const until = b.blockedUntil("k", finished);
    expect(until).not.toBeNull();
    delays.push(until! - finished);
    now = until!;
    expect(b.blockedUntil("k", finished)).toBeNull();
    b.next("k");
  }
  expect(delays).toEqual([10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000]);
});

test("an entry unused for 10 minutes is forgotten (a long run resets the back-off)", () => {
  let now = 0;
  const b = new Backoff({ now: () => now });
  b.next("k");
  b.next("k");
  expect(b.delay("k")).toBe(20_000);
  now += 600_001;
  expect(b.blockedUntil("k", now)).toBeNull();
  b.next("k");
  expect(b.delay("k")).toBe(10_000);
});

test("keys are independent; resetPrefix drops a pod's keys; gc drops stale ones", () => {
  let now = 0;
  const b = new Backoff({ initialMs: 1000, maxMs: 4000, now: () => now });
  b.next("uid1/a");
  b.next("uid1/b");
  b.next("uid2/a");
  expect(b.blockedUntil("uid2/a", 0)).toBe(1000);
  b.resetPrefix("uid1/");
  expect(b.size).toBe(1);
  now = 9000;
  b.gc();
  expect(b.size).toBe(0);
});
