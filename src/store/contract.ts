/**
 * @module store/contract
 * The Store contract suite: the etcd semantics Kubernetes relies on, written
 * against the `Store` interface only, so every implementation (LocalStore, the
 * Raft-replicated store) runs the same tests:
 *
 *   runStoreContract("LocalStore", async () => ({ store, cleanup }));
 *
 * Each test gets a fresh store from the factory and cleans it up, even on failure.
 */
import { afterEach, beforeEach, describe, expect, it } from "bun:test";
import {
  CompactedError,
  FutureRevisionError,
  LeaseNotFoundError,
  StoreClosedError,
  StoreError,
  WatchOverflowError,
  type Store,
  type WatchEvent,
  type Watcher,
} from "./types.ts";

export type StoreFactory = () => Promise<{ store: Store; cleanup: () => Promise<void> }>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Pulls batches until `n` events arrived; fails after `timeoutMs`. */
export async function collectEvents(w: Watcher, n: number, timeoutMs = 5000): Promise<WatchEvent[]> {
  const out: WatchEvent[] = [];
  const deadline = Date.now() + timeoutMs;
  while (out.length < n) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`timed out with ${out.length}/${n} events`);
    const b = await Promise.race([w.next(), sleep(left).then(() => "timeout" as const)]);
    if (b === "timeout") throw new Error(`timed out with ${out.length}/${n} events`);
    if (b === null) throw new Error("watcher ended");
    if (b.kind === "events") out.push(...b.events);
  }
  return out;
}

/** The next batch, or "timeout". */
async function nextWithin(w: Watcher, ms: number) {
  return Promise.race([w.next(), sleep(ms).then(() => "timeout" as const)]);
}

async function expectReject(p: Promise<unknown>, cls: new (...a: never[]) => Error): Promise<Error> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(cls);
    return err as Error;
  }
  throw new Error(`expected rejection with ${cls.name}`);
}

async function waitFor(cond: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

export function runStoreContract(name: string, factory: StoreFactory): void {
  describe(`${name}: store contract`, () => {
    let store: Store;
    let cleanup: (() => Promise<void>) | null = null;

    beforeEach(async () => {
      const made = await factory();
      store = made.store;
      cleanup = made.cleanup;
    });
    afterEach(async () => {
      const c = cleanup;
      cleanup = null;
      if (c) await c();
    });

    describe("revisions", () => {
      it("gives each write the next revision, with no gaps, under concurrency", async () => {
        const start = await store.currentRevision();
        const results = await Promise.all(Array.from({ length: 64 }, (_, i) => store.create(`/rev/k${i}`, `v${i}`)));
        const revs = results.map((r) => r.revision).sort((a, b) => a - b);
        expect(results.every((r) => r.succeeded)).toBe(true);
        expect(revs).toEqual(Array.from({ length: 64 }, (_, i) => start + 1 + i));
        for (const r of results) expect(r.kv!.modRevision).toBe(r.revision);
        expect(await store.currentRevision()).toBe(start + 64);
      });

      it("sets modRevision (resourceVersion), createRevision and version like etcd", async () => {
        const c = await store.create("/rev/a", "1");
        const u = await store.update("/rev/a", "2", c.revision);
        expect(u.succeeded).toBe(true);
        expect(u.kv).toMatchObject({ key: "/rev/a", value: "2", createRevision: c.revision, modRevision: u.revision, version: 2 });
        expect(u.revision).toBe(c.revision + 1);
        const g = await store.get("/rev/a");
        expect(g.kv).toEqual(u.kv);
        expect(g.revision).toBe(u.revision);
        await store.delete("/rev/a", u.revision);
        const again = await store.create("/rev/a", "3");
        expect(again.kv).toMatchObject({ createRevision: again.revision, modRevision: again.revision, version: 1 });
      });
    });

    describe("compare-and-swap", () => {
      it("create fails on an existing key, returns the current value and consumes no revision", async () => {
        const c = await store.create("/cas/a", "1");
        const before = await store.currentRevision();
        const r = await store.create("/cas/a", "2");
        expect(r.succeeded).toBe(false);
        expect(r.kv).toMatchObject({ value: "1", modRevision: c.revision });
        expect(r.revision).toBe(before);
        expect(await store.currentRevision()).toBe(before);
        expect((await store.get("/cas/a")).kv!.value).toBe("1");
      });

      it("update succeeds only at the expected revision", async () => {
        const c = await store.create("/cas/b", "1");
        const u = await store.update("/cas/b", "2", c.revision);
        const before = await store.currentRevision();
        const stale = await store.update("/cas/b", "3", c.revision);
        expect(stale.succeeded).toBe(false);
        expect(stale.kv).toMatchObject({ value: "2", modRevision: u.revision });
        expect(await store.currentRevision()).toBe(before);
        const missing = await store.update("/cas/none", "x", 1);
        expect(missing).toEqual({ succeeded: false, revision: before, kv: null });
        expect(await store.currentRevision()).toBe(before);
      });

      it("delete succeeds only at the expected revision (0: unconditional) and returns the deleted value", async () => {
        const c = await store.create("/cas/c", "1");
        const before = await store.currentRevision();
        const wrong = await store.delete("/cas/c", c.revision + 100);
        expect(wrong.succeeded).toBe(false);
        expect(wrong.kv!.value).toBe("1");
        expect(await store.currentRevision()).toBe(before);
        const ok = await store.delete("/cas/c", c.revision);
        expect(ok.succeeded).toBe(true);
        expect(ok.revision).toBe(before + 1);
        expect(ok.kv).toMatchObject({ key: "/cas/c", value: "1", modRevision: c.revision });
        expect((await store.get("/cas/c")).kv).toBeNull();
        const absent = await store.delete("/cas/c");
        expect(absent.succeeded).toBe(false);
        expect(absent.kv).toBeNull();
        expect(await store.currentRevision()).toBe(before + 1);
        await store.create("/cas/d", "1");
        expect((await store.delete("/cas/d")).succeeded).toBe(true);
      });

      it("lets exactly one of many concurrent updates at the same revision win", async () => {
        const c = await store.create("/cas/race", "0");
        const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => store.update("/cas/race", `w${i}`, c.revision)));
        expect(rs.filter((r) => r.succeeded).length).toBe(1);
        expect(await store.currentRevision()).toBe(c.revision + 1);
      });
    });

    describe("reads", () => {
      it("lists a prefix in key order with a count, and nothing outside it", async () => {
        for (const k of ["/l/b", "/l/a", "/l/c", "/la", "/l", "/m/a"]) await store.create(k, k);
        const r = await store.list("/l/");
        expect(r.kvs.map((kv) => kv.key)).toEqual(["/l/a", "/l/b", "/l/c"]);
        expect(r.count).toBe(3);
        expect(r.more).toBe(false);
        expect(r.revision).toBe(await store.currentRevision());
        expect((await store.count("/l/")).count).toBe(3);
        expect((await store.count("/l")).count).toBe(5);
        expect((await store.list("")).count).toBe(6);
        expect((await store.list("/nothing/")).kvs).toEqual([]);
      });

      it("reads keys and lists at an older revision", async () => {
        await store.create("/old-first", "x");
        const a1 = await store.create("/old/a", "a1");
        const b1 = await store.create("/old/b", "b1");
        const at = b1.revision;
        await store.update("/old/a", "a2", a1.revision);
        await store.delete("/old/b");
        await store.create("/old/c", "c1");
        await store.create("/old/b", "b2");
        expect((await store.get("/old/a", { revision: at })).kv!.value).toBe("a1");
        expect((await store.get("/old/b", { revision: at })).kv!.value).toBe("b1");
        expect((await store.get("/old/c", { revision: at })).kv).toBeNull();
        expect((await store.get("/old/a", { revision: a1.revision - 1 })).kv).toBeNull();
        const old = await store.list("/old/", { revision: at });
        expect(old.revision).toBe(at);
        expect(old.kvs.map((kv) => [kv.key, kv.value, kv.modRevision])).toEqual([
          ["/old/a", "a1", a1.revision],
          ["/old/b", "b1", b1.revision],
        ]);
        expect(old.count).toBe(2);
        const now = await store.list("/old/");
        expect(now.kvs.map((kv) => kv.value)).toEqual(["a2", "b2", "c1"]);
        // Between the delete and the re-create, /old/b was absent.
        const mid = await store.list("/old/", { revision: at + 3 });
        expect(mid.kvs.map((kv) => kv.key)).toEqual(["/old/a", "/old/c"]);
      });

      it("rejects a future revision with FutureRevisionError", async () => {
        await store.create("/f/a", "1");
        const cur = await store.currentRevision();
        await expectReject(store.get("/f/a", { revision: cur + 1 }), FutureRevisionError);
        await expectReject(store.list("/f/", { revision: cur + 5 }), FutureRevisionError);
      });

      it("paginates with limit + continue key, consistent at one revision while writes go on", async () => {
        for (let i = 0; i < 25; i++) await store.create(`/page/${String(i).padStart(2, "0")}`, `v${i}`);
        const first = await store.list("/page/", { limit: 10 });
        expect(first.kvs.length).toBe(10);
        expect(first.more).toBe(true);
        expect(first.count).toBe(25);
        const rev = first.revision;
        // Writes between pages must not show up in later pages.
        await store.delete("/page/15");
        await store.create("/page/12a", "new");
        const g = await store.get("/page/20");
        await store.update("/page/20", "changed", g.kv!.modRevision);
        const seen = [...first.kvs];
        let last = first.kvs[first.kvs.length - 1]!.key;
        let more = first.more;
        while (more) {
          const p = await store.list("/page/", { revision: rev, limit: 10, startAfter: last });
          expect(p.revision).toBe(rev);
          expect(p.count).toBe(25);
          seen.push(...p.kvs);
          more = p.more;
          if (p.kvs.length) last = p.kvs[p.kvs.length - 1]!.key;
        }
        expect(seen.map((kv) => kv.key)).toEqual(Array.from({ length: 25 }, (_, i) => `/page/${String(i).padStart(2, "0")}`));
        expect(seen.find((kv) => kv.key === "/page/20")!.value).toBe("v20");
        // A current-revision list sees the changes.
        const now = await store.list("/page/");
        expect(now.count).toBe(25);
        expect(now.kvs.some((kv) => kv.key === "/page/15")).toBe(false);
        // Exact page boundary: more=false when nothing follows.
        const tail = await store.list("/page/", { limit: 1, startAfter: "/page/23" });
        expect(tail.kvs.map((kv) => kv.key)).toEqual(["/page/24"]);
        expect(tail.more).toBe(false);
      });
    });

    describe("watch", () => {
      it("replays history after the start revision, then delivers live events, in order, once each", async () => {
        const start = await store.currentRevision();
        const a = await store.create("/w/a", "1");
        await store.update("/w/a", "2", a.revision);
        await store.create("/other/x", "ignored");
        await store.create("/w/b", "1");
        const w = store.watch("/w/", { afterRevision: start });
        try {
          const hist = await collectEvents(w, 3);
          expect(hist.map((e) => [e.type, e.kv.key, e.kv.value])).toEqual([
            ["put", "/w/a", "1"],
            ["put", "/w/a", "2"],
            ["put", "/w/b", "1"],
          ]);
          const live: Promise<unknown>[] = [];
          for (let i = 0; i < 30; i++) live.push(store.create(`/w/live${i}`, "x"));
          live.push(store.create("/other/y", "ignored"));
          await Promise.all(live);
          const got = await collectEvents(w, 30);
          const revs = [...hist, ...got].map((e) => e.kv.modRevision);
          expect(revs).toEqual([...revs].sort((x, y) => x - y));
          expect(new Set(revs).size).toBe(revs.length);
          expect(got.every((e) => e.kv.key.startsWith("/w/"))).toBe(true);
          expect(await nextWithin(w, 100)).toBe("timeout");
        } finally {
          w.cancel();
        }
      });

      it("misses nothing when writes race with the switch from history to live", async () => {
        const start = await store.currentRevision();
        const writes: Promise<unknown>[] = [];
        for (let i = 0; i < 50; i++) writes.push(store.create(`/race/${i}`, "x"));
        const w = store.watch("/race/", { afterRevision: start });
        for (let i = 50; i < 100; i++) writes.push(store.create(`/race/${i}`, "x"));
        try {
          await Promise.all(writes);
          const evs = await collectEvents(w, 100);
          expect(evs.map((e) => e.kv.modRevision)).toEqual(Array.from({ length: 100 }, (_, i) => start + 1 + i));
        } finally {
          w.cancel();
        }
      });

      it("gives the previous value on updates and deletes", async () => {
        const start = await store.currentRevision();
        const c = await store.create("/pv/a", "one");
        const u = await store.update("/pv/a", "two", c.revision);
        const d = await store.delete("/pv/a", u.revision);
        const w = store.watch("/pv/", { afterRevision: start });
        try {
          const [e1, e2, e3] = await collectEvents(w, 3);
          expect(e1!.prevKv).toBeNull();
          expect(e2!.prevKv).toMatchObject({ value: "one", modRevision: c.revision });
          expect(e3!.type).toBe("delete");
          expect(e3!.kv).toMatchObject({ key: "/pv/a", modRevision: d.revision });
          expect(e3!.prevKv).toMatchObject({ key: "/pv/a", value: "two", modRevision: u.revision, version: 2 });
        } finally {
          w.cancel();
        }
        // Live delete events carry prevKv too.
        const w2 = store.watch("/pv/", { afterRevision: await store.currentRevision() });
        try {
          const c2 = await store.create("/pv/b", "live");
          await store.delete("/pv/b");
          const [, del] = await collectEvents(w2, 2);
          expect(del!.type).toBe("delete");
          expect(del!.prevKv).toMatchObject({ value: "live", modRevision: c2.revision });
        } finally {
          w2.cancel();
        }
      });

      it("watches a single key exactly (not its siblings with a longer name)", async () => {
        const start = await store.currentRevision();
        await store.create("/ex/a", "1");
        await store.create("/ex/ab", "1");
        await store.create("/ex/a/child", "1");
        const w = store.watch("/ex/a", { afterRevision: start, exact: true });
        try {
          const hist = await collectEvents(w, 1);
          expect(hist.map((e) => e.kv.key)).toEqual(["/ex/a"]);
          await store.create("/ex/abc", "1");
          await store.delete("/ex/a");
          const live = await collectEvents(w, 1);
          expect(live.map((e) => [e.type, e.kv.key])).toEqual([["delete", "/ex/a"]]);
        } finally {
          w.cancel();
        }
      });

      it("starting at a future revision delivers only events after it", async () => {
        const cur = await store.currentRevision();
        const w = store.watch("/fut/", { afterRevision: cur + 2 });
        try {
          for (let i = 0; i < 4; i++) await store.create(`/fut/${i}`, "x");
          const evs = await collectEvents(w, 2);
          expect(evs.map((e) => e.kv.modRevision)).toEqual([cur + 3, cur + 4]);
        } finally {
          w.cancel();
        }
      });

      it("fails with a distinct CompactedError when the start revision was compacted", async () => {
        const start = await store.currentRevision();
        const a = await store.create("/cw/a", "1");
        await store.update("/cw/a", "2", a.revision);
        const cur = await store.currentRevision();
        await store.compact(cur);
        const w = store.watch("/cw/", { afterRevision: start });
        const err = await expectReject(w.next(), CompactedError);
        expect((err as StoreError).code).toBe("Compacted");
        // At the compact revision itself the watch works.
        const ok = store.watch("/cw/", { afterRevision: cur });
        try {
          await store.create("/cw/b", "1");
          expect((await collectEvents(ok, 1))[0]!.kv.key).toBe("/cw/b");
        } finally {
          ok.cancel();
        }
      });

      it("cuts off a watcher that falls behind its buffer without blocking writers or other watchers", async () => {
        const start = await store.currentRevision();
        const slow = store.watch("/ov/", { afterRevision: start, bufferLimit: 10 });
        const fast = store.watch("/ov/", { afterRevision: start });
        // Get both watchers live before the burst.
        await store.create("/ov/first", "x");
        await collectEvents(slow, 1);
        await collectEvents(fast, 1);
        const t0 = Date.now();
        await Promise.all(Array.from({ length: 50 }, (_, i) => store.create(`/ov/${i}`, "x")));
        expect(Date.now() - t0).toBeLessThan(3000);
        const err = await expectReject(slow.next(), WatchOverflowError);
        expect((err as StoreError).code).toBe("WatchOverflow");
        const evs = await collectEvents(fast, 50);
        expect(evs.length).toBe(50);
        fast.cancel();
      });

      it("answers requestProgress with the current revision once caught up", async () => {
        await store.create("/pr/a", "1");
        const w = store.watch("/pr/", { afterRevision: 0 });
        try {
          await collectEvents(w, 1);
          await store.create("/elsewhere/x", "1");
          const cur = await store.currentRevision();
          w.requestProgress();
          const b = await nextWithin(w, 2000);
          expect(b).toEqual({ kind: "progress", revision: cur });
        } finally {
          w.cancel();
        }
      });

      it("sends progress notifications to an idle watcher", async () => {
        const w = store.watch("/idle/", { afterRevision: await store.currentRevision(), progressIntervalMs: 100 });
        try {
          await store.create("/elsewhere/y", "1");
          const cur = await store.currentRevision();
          const b = await nextWithin(w, 2000);
          expect(b).toEqual({ kind: "progress", revision: cur });
        } finally {
          w.cancel();
        }
      });

      it("ends with null after cancel", async () => {
        const w = store.watch("/cancel/", { afterRevision: await store.currentRevision() });
        const pending = w.next();
        w.cancel();
        expect(await pending).toBeNull();
        expect(await w.next()).toBeNull();
      });
    });

    describe("leases", () => {
      it("deletes attached keys when the lease expires, with delete events", async () => {
        const lease = await store.leaseGrant(1);
        expect(lease.ttl).toBe(1);
        const start = await store.currentRevision();
        const w = store.watch("/lease/", { afterRevision: start });
        try {
          const a = await store.create("/lease/a", "1", { lease: lease.id });
          expect(a.kv!.lease).toBe(lease.id);
          await store.create("/lease/b", "1", { lease: lease.id });
          await store.create("/lease/keep", "1");
          await waitFor(async () => (await store.get("/lease/a")).kv === null, 5000, "lease expiry");
          expect((await store.get("/lease/b")).kv).toBeNull();
          expect((await store.get("/lease/keep")).kv).not.toBeNull();
          const evs = await collectEvents(w, 5);
          const dels = evs.filter((e) => e.type === "delete");
          expect(dels.map((e) => e.kv.key).sort()).toEqual(["/lease/a", "/lease/b"]);
          expect(dels.every((e) => e.prevKv?.lease === lease.id)).toBe(true);
          // Each delete has its own revision.
          expect(dels[0]!.kv.modRevision).not.toBe(dels[1]!.kv.modRevision);
          await expectReject(store.leaseKeepAlive(lease.id), LeaseNotFoundError);
        } finally {
          w.cancel();
        }
      });

      it("keepAlive extends a lease; revoke deletes its keys at once", async () => {
        const lease = await store.leaseGrant(1);
        await store.create("/ka/a", "1", { lease: lease.id });
        for (let i = 0; i < 4; i++) {
          await sleep(400);
          expect(await store.leaseKeepAlive(lease.id)).toEqual({ id: lease.id, ttl: 1 });
        }
        expect((await store.get("/ka/a")).kv).not.toBeNull();
        await store.leaseRevoke(lease.id);
        expect((await store.get("/ka/a")).kv).toBeNull();
        await expectReject(store.leaseRevoke(lease.id), LeaseNotFoundError);
      });

      it("rejects writes that name an unknown lease, changing nothing", async () => {
        const before = await store.currentRevision();
        await expectReject(store.create("/nl/a", "1", { lease: 123456789 }), LeaseNotFoundError);
        expect(await store.currentRevision()).toBe(before);
        expect((await store.get("/nl/a")).kv).toBeNull();
      });

      it("moving a key off a lease keeps it when the lease ends", async () => {
        const lease = await store.leaseGrant(60);
        const c = await store.create("/mv/a", "1", { lease: lease.id });
        await store.update("/mv/a", "2", c.revision, { lease: 0 });
        await store.leaseRevoke(lease.id);
        expect((await store.get("/mv/a")).kv!.value).toBe("2");
      });
    });

    describe("compaction", () => {
      it("drops old revisions but keeps the latest value of every key", async () => {
        const a = await store.create("/cp/a", "1");
        const a2 = await store.update("/cp/a", "2", a.revision);
        const b = await store.create("/cp/b", "1");
        await store.delete("/cp/b", b.revision);
        const c = await store.create("/cp/c", "1");
        const at = c.revision;
        await store.update("/cp/a", "3", a2.revision);
        await store.compact(at);
        expect(await store.compactRevision()).toBe(at);
        await expectReject(store.get("/cp/a", { revision: at - 1 }), CompactedError);
        await expectReject(store.list("/cp/", { revision: a.revision }), CompactedError);
        const atC = await store.list("/cp/", { revision: at });
        expect(atC.kvs.map((kv) => [kv.key, kv.value])).toEqual([
          ["/cp/a", "2"],
          ["/cp/c", "1"],
        ]);
        const now = await store.list("/cp/");
        expect(now.kvs.map((kv) => [kv.key, kv.value])).toEqual([
          ["/cp/a", "3"],
          ["/cp/c", "1"],
        ]);
        await expectReject(store.compact(at), CompactedError);
        await expectReject(store.compact((await store.currentRevision()) + 1), FutureRevisionError);
        // Keys written before compaction can still be updated and deleted by revision.
        const cur = (await store.get("/cp/c")).kv!;
        expect((await store.update("/cp/c", "2", cur.modRevision)).succeeded).toBe(true);
      });

      it("keeps a watch from the compact revision complete (including deletes after it)", async () => {
        const a = await store.create("/cpw/a", "1");
        const at = (await store.update("/cpw/a", "2", a.revision)).revision;
        const d = await store.delete("/cpw/a");
        await store.compact(at);
        const w = store.watch("/cpw/", { afterRevision: at });
        try {
          const [e] = await collectEvents(w, 1);
          expect(e).toMatchObject({ type: "delete", kv: { modRevision: d.revision }, prevKv: { value: "2" } });
        } finally {
          w.cancel();
        }
      });
    });

    describe("lifecycle", () => {
      it("reports a database size", async () => {
        await store.create("/size/a", "x".repeat(1000));
        expect(await store.dbSize()).toBeGreaterThan(1000);
      });

      it("after close, calls fail with StoreClosedError and watchers end", async () => {
        const w = store.watch("/cl/", { afterRevision: await store.currentRevision() });
        const pending = w.next();
        await store.close();
        await expectReject(pending, StoreClosedError);
        await expectReject(store.create("/cl/a", "1"), StoreClosedError);
        await expectReject(store.get("/cl/a"), StoreClosedError);
      });
    });
  });
}

