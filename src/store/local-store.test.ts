import { afterAll, describe, expect, it } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runStoreContract } from "./contract.ts";
import { InvalidKeyError } from "./keys.ts";
import { LocalStore } from "./local-store.ts";
import { InvalidCommandError } from "./validate.ts";

const root = mkdtempSync(join(tmpdir(), "kite-localstore-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const tmpPath = () => join(root, `s${n++}.db`);

runStoreContract("LocalStore (file, fsync)", async () => {
  const store = await LocalStore.open(tmpPath(), { leaseCheckIntervalMs: 100 });
  return { store, cleanup: () => store.close() };
});

runStoreContract("LocalStore (:memory:)", async () => {
  const store = await LocalStore.open(":memory:", { leaseCheckIntervalMs: 100 });
  return { store, cleanup: () => store.close() };
});

describe("LocalStore", () => {
  it("group-commits concurrent writes into few transactions", async () => {
    const store = await LocalStore.open(tmpPath());
    try {
      const before = store.stats();
      await Promise.all(Array.from({ length: 256 }, (_, i) => store.create(`/gc/${i}`, "x")));
      const after = store.stats();
      expect(after.commands - before.commands).toBe(256);
      expect(after.batches - before.batches).toBeLessThanOrEqual(4);
    } finally {
      await store.close();
    }
  });

  it("keeps data, revisions and leases across close and reopen", async () => {
    const path = tmpPath();
    const s1 = await LocalStore.open(path);
    const lease = await s1.leaseGrant(3600);
    const a = await s1.create("/p/a", "1", { lease: lease.id });
    await s1.update("/p/a", "2", a.revision, { lease: lease.id });
    const rev = await s1.currentRevision();
    await s1.close();
    const s2 = await LocalStore.open(path);
    try {
      expect(await s2.currentRevision()).toBe(rev);
      expect((await s2.get("/p/a")).kv).toMatchObject({ value: "2", modRevision: rev, lease: lease.id });
      expect((await s2.get("/p/a", { revision: a.revision })).kv!.value).toBe("1");
      expect(await s2.leaseKeepAlive(lease.id)).toEqual({ id: lease.id, ttl: 3600 });
      expect((await s2.create("/p/b", "x")).revision).toBe(rev + 1);
    } finally {
      await s2.close();
    }
  });

  it("compacts automatically to the revision window and vacuums the history", async () => {
    const store = await LocalStore.open(tmpPath(), { compactRetainRevisions: 100, compactRetainMs: 0, compactIntervalMs: 0 });
    try {
      const mods = new Map<string, number>();
      for (let round = 0; round < 10; round++) {
        await Promise.all(
          Array.from({ length: 50 }, async (_, i) => {
            const key = `/ac/${i}`;
            const r = mods.has(key) ? await store.update(key, `r${round}`, mods.get(key)!) : await store.create(key, `r${round}`);
            mods.set(key, r.revision);
          }),
        );
      }
      const head = await store.currentRevision();
      await store.autoCompact();
      expect(await store.compactRevision()).toBe(head - 100);
      expect(store.sm.vacuumPending()).toBe(false);
      expect((await store.list("/ac/")).count).toBe(50);
      // Nothing new to compact: a second round does nothing.
      await store.autoCompact();
      expect(await store.compactRevision()).toBe(head - 100);
    } finally {
      await store.close();
    }
  });

  it("runs auto-compaction on its timer", async () => {
    const store = await LocalStore.open(":memory:", { compactRetainRevisions: 5, compactRetainMs: 0, compactIntervalMs: 30 });
    try {
      for (let i = 0; i < 20; i++) await store.create(`/timer/${i}`, "x");
      const deadline = Date.now() + 3000;
      while ((await store.compactRevision()) !== 15 && Date.now() < deadline) await Bun.sleep(10);
      expect(await store.compactRevision()).toBe(15);
    } finally {
      await store.close();
    }
  });

  it("compacts by time window from revisions sampled by earlier rounds", async () => {
    const store = await LocalStore.open(":memory:", { compactRetainRevisions: 0, compactRetainMs: 50, compactIntervalMs: 0 });
    try {
      await store.create("/t/a", "1");
      await store.autoCompact(); // samples revision 1
      expect(await store.compactRevision()).toBe(0);
      await store.create("/t/b", "1");
      await Bun.sleep(80);
      await store.autoCompact();
      expect(await store.compactRevision()).toBe(1);
    } finally {
      await store.close();
    }
  });

  it("rejects bad input with typed errors and stores nothing", async () => {
    const store = await LocalStore.open(":memory:");
    try {
      await expect(store.create("", "x")).rejects.toBeInstanceOf(InvalidCommandError);
      await expect(store.create("/a", 5 as unknown as string)).rejects.toBeInstanceOf(InvalidCommandError);
      await expect(store.update("/a", "x", -1)).rejects.toBeInstanceOf(InvalidCommandError);
      await expect(store.leaseGrant(0)).rejects.toBeInstanceOf(InvalidCommandError);
      await expect(store.leaseGrant(1.5)).rejects.toBeInstanceOf(InvalidCommandError);
      await expect(store.get("")).rejects.toBeInstanceOf(InvalidKeyError);
      await expect(store.list("/", { limit: -2 })).rejects.toBeInstanceOf(InvalidCommandError);
      expect(await store.currentRevision()).toBe(0);
    } finally {
      await store.close();
    }
  });
});
