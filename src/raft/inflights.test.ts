import { describe, expect, test } from "bun:test";
import { RaftInvariantError } from "./errors.ts";
import { Inflights } from "./inflights.ts";

describe("Inflights", () => {
  test("bounded by count", () => {
    const f = new Inflights(3, 0);
    f.add(1, 10);
    f.add(2, 10);
    expect(f.full()).toBe(false);
    f.add(3, 10);
    expect(f.full()).toBe(true);
    expect(() => f.add(4, 1)).toThrow(RaftInvariantError);
  });

  test("bounded by bytes", () => {
    const f = new Inflights(10, 100);
    f.add(1, 60);
    expect(f.full()).toBe(false);
    f.add(2, 40);
    expect(f.full()).toBe(true);
    f.freeLE(1);
    expect(f.full()).toBe(false);
    expect(f.bytesInflight()).toBe(40);
  });

  test("freeLE frees in order and wraps around the ring", () => {
    const f = new Inflights(4, 0);
    for (let round = 0; round < 5; round++) {
      const base = round * 10;
      f.add(base + 1, 1);
      f.add(base + 2, 1);
      f.add(base + 3, 1);
      f.freeLE(base + 2);
      expect(f.countInflight()).toBe(1);
      f.freeLE(base + 1); // stale ack
      expect(f.countInflight()).toBe(1);
      f.freeLE(base + 3);
      expect(f.countInflight()).toBe(0);
    }
  });

  test("indexes must increase", () => {
    const f = new Inflights(4, 0);
    f.add(5, 1);
    expect(() => f.add(5, 1)).toThrow(RaftInvariantError);
  });

  test("reset empties the window", () => {
    const f = new Inflights(2, 0);
    f.add(1, 1);
    f.add(2, 1);
    f.reset();
    expect(f.full()).toBe(false);
    expect(f.countInflight()).toBe(0);
  });
});
