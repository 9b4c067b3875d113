import { describe, expect, it } from "bun:test";
import { canonicalJson, computeHash, fnv32a, safeEncode } from "./hash.ts";

const enc = new TextEncoder();

describe("hash", () => {
  it("computes FNV-32a like Go's hash/fnv", () => {
    // Reference values of fnv.New32a() from the Go standard library tests.
    expect(fnv32a(enc.encode(""))).toBe(0x811c9dc5);
    expect(fnv32a(enc.encode("a"))).toBe(0xe40c292c);
    expect(fnv32a(enc.encode("ab"))).toBe(0x4d2505ca);
    expect(fnv32a(enc.encode("abc"))).toBe(0x1a47e90b);
  });

  it("encodes with the safe alphabet like rand.SafeEncodeString", () => {
    // '0' is 48, 48 % 27 = 21 → '4'; '1' → '5'; '9' is 57 % 27 = 3 → 'f'.
    expect(safeEncode("019")).toBe("45f");
    expect(safeEncode("1234567890")).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
  });

  it("is independent of key order and of empty values", () => {
    const a = { metadata: { labels: { b: "2", a: "1" }, annotations: {} }, spec: { containers: [{ name: "c", image: "x", env: [] }] } };
    const b = { spec: { containers: [{ image: "x", name: "c" }] }, metadata: { creationTimestamp: null, labels: { a: "1", b: "2" } } };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(computeHash(a)).toBe(computeHash(b));
  });

  it("changes with the template and with the collision count", () => {
    const t = { spec: { containers: [{ name: "c", image: "nginx:1" }] } };
    const t2 = { spec: { containers: [{ name: "c", image: "nginx:2" }] } };
    expect(computeHash(t)).not.toBe(computeHash(t2));
    expect(computeHash(t, 1)).not.toBe(computeHash(t));
    expect(computeHash(t, 1)).not.toBe(computeHash(t, 2));
    expect(computeHash(t, 0)).not.toBe(computeHash(t));
    expect(computeHash(t)).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
  });
});
