import { describe, expect, it } from "bun:test";
import { Expectations } from "./expectations.ts";

describe("Expectations", () => {
  it("is satisfied with no record, and after every expected create is observed", () => {
    const e = new Expectations();
    expect(e.satisfied("ns/rs")).toBe(true);
    e.expectCreations("ns/rs", 2);
    expect(e.satisfied("ns/rs")).toBe(false);
    e.creationObserved("ns/rs");
    expect(e.satisfied("ns/rs")).toBe(false);
    e.creationObserved("ns/rs");
    expect(e.satisfied("ns/rs")).toBe(true);
    e.creationObserved("ns/rs");
    expect(e.pending("ns/rs")).toEqual({ add: 0, del: 0 });
  });

  it("counts each expected deletion once, by object key", () => {
    const e = new Expectations();
    e.expectDeletions("ns/rs", ["ns/a", "ns/b"]);
    e.deletionObserved("ns/rs", "ns/a");
    e.deletionObserved("ns/rs", "ns/a");
    e.deletionObserved("ns/rs", "ns/other");
    expect(e.satisfied("ns/rs")).toBe(false);
    e.deletionObserved("ns/rs", "ns/b");
    expect(e.satisfied("ns/rs")).toBe(true);
  });

  it("expires after the TTL so a lost watch event cannot wedge a controller", () => {
    let now = 1000;
    const e = new Expectations(100, () => now);
    e.expectCreations("k", 1);
    now += 50;
    expect(e.satisfied("k")).toBe(false);
    now += 51;
    expect(e.satisfied("k")).toBe(true);
  });

  it("forgets a key", () => {
    const e = new Expectations();
    e.expectCreations("k", 3);
    e.forget("k");
    expect(e.satisfied("k")).toBe(true);
    expect(e.pending("k")).toBeUndefined();
  });

  it("raises an existing record instead of replacing it", () => {
    const e = new Expectations();
    e.raise("k", 1);
    e.raise("k", 1, ["ns/a"]);
    expect(e.pending("k")).toEqual({ add: 2, del: 1 });
    e.creationObserved("k");
    e.deletionObserved("k", "ns/a");
    expect(e.satisfied("k")).toBe(false);
    e.creationObserved("k");
    expect(e.satisfied("k")).toBe(true);
    e.raise("k", 1);
    expect(e.pending("k")).toEqual({ add: 1, del: 0 });
  });
});
