import { describe, expect, it } from "bun:test";
import { CompactedError, StoreClosedError, WatchOverflowError, type WatchBatch, type WatchEvent } from "./types.ts";
import { WatchHub, type WatchSource } from "./watch-hub.ts";

/** An in-memory event log standing in for the state machine (the real one is covered by the contract suite). */
class FakeSource implements WatchSource {
  events: WatchEvent[] = [];
  compact = 0;
  reads = 0;
  currentRevision() {
    return this.events.length;
  }
  compactRevision() {
    return this.compact;
  }
  eventsAfter(prefix: string, after: number, limit: number) {
    this.reads++;
    if (after < this.compact) throw new CompactedError(after, this.compact);
    return this.events.filter((e) => e.kv.modRevision > after && e.kv.key.startsWith(prefix)).slice(0, limit);
  }
  /** Appends one put and returns it (the caller publishes it, as the state machine would). */
  put(key: string): WatchEvent {
    const rev = this.events.length + 1;
    const ev: WatchEvent = { type: "put", kv: { key, value: `v${rev}`, createRevision: rev, modRevision: rev, version: 1, lease: 0 }, prevKv: null };
    this.events.push(ev);
    return ev;
  }
}

const revs = (b: WatchBatch | null) => (b && b.kind === "events" ? b.events.map((e) => e.kv.modRevision) : b);

describe("WatchHub", () => {
  it("replays history in chunks, then switches to live events without gap or duplicate", async () => {
    const src = new FakeSource();
    const hub = new WatchHub(src, { replayChunk: 3 });
    for (let i = 0; i < 7; i++) src.put(`/a/${i}`);
    src.put("/b/x");
    const w = hub.watch("/a/", { afterRevision: 1 });
    expect(revs(await w.next())).toEqual([2, 3, 4]);
    // A write published while the watcher is still replaying is picked up from history, once.
    hub.publish([src.put("/a/live1")], src.currentRevision());
    expect(revs(await w.next())).toEqual([5, 6, 7]);
    expect(revs(await w.next())).toEqual([9]);
    const pending = w.next();
    hub.publish([src.put("/a/live2"), src.put("/b/y")], src.currentRevision());
    expect(revs(await pending)).toEqual([10]);
    w.cancel();
    expect(hub.size).toBe(0);
  });

  it("replays an exact-key watch past chunks that hold none of its events", async () => {
    const src = new FakeSource();
    const hub = new WatchHub(src, { replayChunk: 2 });
    for (let i = 0; i < 7; i++) src.put(`/k${i}`);
    src.put("/k");
    const w = hub.watch("/k", { afterRevision: 0, exact: true });
    expect(revs(await w.next())).toEqual([8]);
    const pending = w.next();
    hub.publish([src.put("/k1"), src.put("/k")], src.currentRevision());
    expect(revs(await pending)).toEqual([10]);
    w.cancel();
  });

  it("cuts off an overflowing watcher only, and drops its queue", async () => {
    const src = new FakeSource();
    const hub = new WatchHub(src, { bufferLimit: 5 });
    const slow = hub.watch("/", { afterRevision: 0 });
    const ok = hub.watch("/", { afterRevision: 0, bufferLimit: 100 });
    for (let i = 0; i < 6; i++) hub.publish([src.put(`/k${i}`)], src.currentRevision());
    await expect(slow.next()).rejects.toBeInstanceOf(WatchOverflowError);
    expect(revs(await ok.next())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(hub.size).toBe(1);
    ok.cancel();
  });

  it("fails with CompactedError when compaction passes a replaying watcher", async () => {
    const src = new FakeSource();
    const hub = new WatchHub(src, { replayChunk: 2 });
    for (let i = 0; i < 6; i++) src.put(`/k${i}`);
    const w = hub.watch("/", { afterRevision: 0 });
    expect(revs(await w.next())).toEqual([1, 2]);
    src.compact = 4;
    await expect(w.next()).rejects.toBeInstanceOf(CompactedError);
    await expect(w.next()).rejects.toBeInstanceOf(CompactedError);
    await expect(hub.watch("/", { afterRevision: 3 }).next()).rejects.toBeInstanceOf(CompactedError);
  });

  it("sends progress only when caught up", async () => {
    const src = new FakeSource();
    const hub = new WatchHub(src, { replayChunk: 2 });
    for (let i = 0; i < 3; i++) src.put(`/k${i}`);
    const w = hub.watch("/", { afterRevision: 0 });
    w.requestProgress();
    expect(revs(await w.next())).toEqual([1, 2]);
    expect(revs(await w.next())).toEqual([3]);
    expect(await w.next()).toEqual({ kind: "progress", revision: 3 });
    const pending = w.next();
    w.requestProgress();
    expect(await pending).toEqual({ kind: "progress", revision: 3 });
    w.cancel();
  });

  it("emits idle progress on the interval", async () => {
    const src = new FakeSource();
    const hub = new WatchHub(src);
    src.put("/x");
    const w = hub.watch("/other/", { afterRevision: 1, progressIntervalMs: 30 });
    const t0 = Date.now();
    expect(await w.next()).toEqual({ kind: "progress", revision: 1 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(25);
    w.cancel();
  });

  it("re-reads history after resync (snapshot restore)", async () => {
    const src = new FakeSource();
    const hub = new WatchHub(src);
    const w = hub.watch("/", { afterRevision: 0 });
    const pending = w.next();
    // The state jumps ahead without publish (as a snapshot install does).
    src.put("/a");
    src.put("/b");
    hub.resync();
    expect(revs(await pending)).toEqual([1, 2]);
    w.cancel();
  });

  it("ends every watcher with StoreClosedError on close", async () => {
    const src = new FakeSource();
    const hub = new WatchHub(src);
    const w = hub.watch("/", { afterRevision: 0 });
    const pending = w.next();
    hub.close();
    await expect(pending).rejects.toBeInstanceOf(StoreClosedError);
    await expect(hub.watch("/", { afterRevision: 0 }).next()).rejects.toBeInstanceOf(StoreClosedError);
  });

  it("refuses a second concurrent next()", async () => {
    const src = new FakeSource();
    const hub = new WatchHub(src);
    const w = hub.watch("/", { afterRevision: 0 });
    const first = w.next();
    await expect(w.next()).rejects.toThrow("called again");
    w.cancel();
    expect(await first).toBeNull();
  });
});
