import { afterAll, describe, expect, it } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command, CommittedEntry } from "./commands.ts";
import { ApplyOrderError, MvccStateMachine } from "./mvcc.ts";
import { CompactedError, FutureRevisionError, type WatchEvent } from "./types.ts";

const root = mkdtempSync(join(tmpdir(), "kite-mvcc-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let fileN = 0;
const tmpPath = () => join(root, `m${fileN++}.db`);

/** xorshift32: a tiny seeded PRNG so failures reproduce. */
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return (n: number) => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s % n;
  };
}

function entries(cmds: Command[], first = 1): CommittedEntry[] {
  return cmds.map((cmd, i) => ({ index: first + i, cmd }));
}

/** A random workload of creates/updates/deletes over a small key space, plus leases and compactions. */
function workload(seed: number, n: number): Command[] {
  const r = rng(seed);
  const cmds: Command[] = [];
  const revs = new Map<string, number>(); // model of modRevision, to make most CAS succeed
  let rev = 0;
  let compactRev = 0;
  const leases: number[] = [];
  for (let i = 0; i < n; i++) {
    const key = `/k/${r(12)}`;
    const dice = r(100);
    if (dice < 3) {
      const id = 1000 + i;
      leases.push(id);
      cmds.push({ op: "leaseGrant", id, ttl: 10, now: i });
    } else if (dice < 5 && leases.length) {
      const id = leases.splice(r(leases.length), 1)[0]!;
      cmds.push({ op: "leaseRevoke", id });
      // Keys on it disappear; the model cannot follow cheaply, so forget all revs (CAS will just fail more).
      revs.clear();
    } else if (dice < 8 && rev > compactRev) {
      compactRev = compactRev + 1 + r(Math.max(1, Math.floor((rev - compactRev) / 4)));
      cmds.push({ op: "compact", revision: compactRev });
    } else if (!revs.has(key)) {
      const lease = leases.length && r(4) === 0 ? leases[r(leases.length)]! : 0;
      cmds.push({ op: "create", key, value: `v${i}`, lease });
      revs.set(key, ++rev);
    } else if (dice < 30) {
      cmds.push({ op: "delete", key, expectedRevision: r(5) === 0 ? 0 : revs.get(key)! });
      revs.delete(key);
      rev++;
    } else {
      const stale = r(10) === 0;
      cmds.push({ op: "update", key, value: `v${i}`, expectedRevision: stale ? 1 : revs.get(key)! });
      if (!stale) revs.set(key, ++rev);
    }
  }
  return cmds;
}

describe("MvccStateMachine: apply", () => {
  it("replays idempotently: entries at or below the applied index are skipped", () => {
    const cmds = workload(7, 200);
    const a = new MvccStateMachine(":memory:");
    const first = a.applyBatch(entries(cmds.slice(0, 120)));
    const revAfter = a.currentRevision();
    const again = a.applyBatch(entries(cmds.slice(0, 150)));
    expect(again.slice(0, 120).every((r) => r.op === "noop" && r.duplicate)).toBe(true);
    expect(a.appliedIndex()).toBe(150);
    expect(first.length).toBe(120);
    a.applyBatch(entries(cmds.slice(150), 151));
    const b = new MvccStateMachine(":memory:");
    b.applyBatch(entries(cmds));
    expect(a.digest()).toBe(b.digest());
    expect(a.currentRevision()).toBe(b.currentRevision());
    expect(a.currentRevision()).toBeGreaterThan(revAfter);
    a.close();
    b.close();
  });

  it("refuses a gap in the log without changing anything", () => {
    const sm = new MvccStateMachine(":memory:");
    sm.applyBatch(entries([{ op: "create", key: "/a", value: "1" }]));
    const d = sm.digest();
    expect(() => sm.applyBatch([{ index: 3, cmd: { op: "create", key: "/b", value: "1" } }])).toThrow(ApplyOrderError);
    expect(sm.digest()).toBe(d);
    expect(sm.appliedIndex()).toBe(1);
    sm.close();
  });

  it("is deterministic: same log, any batching, file or memory → same results and digest", () => {
    const cmds = workload(42, 600);
    const one = new MvccStateMachine(":memory:");
    const results1 = one.applyBatch(entries(cmds));
    const many = new MvccStateMachine(tmpPath(), { sync: "normal" });
    const r = rng(3);
    const results2 = [];
    for (let i = 0; i < cmds.length; ) {
      const n = 1 + r(40);
      results2.push(...many.applyBatch(entries(cmds.slice(i, i + n), i + 1)));
      i += n;
      if (r(3) === 0) many.vacuumStep(5); // physical upkeep must not change the logical state
    }
    expect(results2).toEqual(results1);
    expect(many.digest()).toBe(one.digest());
    expect(results1.some((x) => x.op === "txn" && !x.succeeded)).toBe(true);
    expect(results1.some((x) => x.op === "compact" && !x.error)).toBe(true);
    one.close();
    many.close();
  });

  it("consumes no revision for failed compares, unknown leases and malformed commands", () => {
    const sm = new MvccStateMachine(":memory:");
    const res = sm.applyBatch(
      entries([
        { op: "create", key: "/a", value: "1" },
        { op: "create", key: "/a", value: "2" },
        { op: "update", key: "/a", value: "2", expectedRevision: 9 },
        { op: "delete", key: "/nope", expectedRevision: 0 },
        { op: "create", key: "/b", value: "1", lease: 77 },
        { op: "create", key: "", value: "1" },
        { op: "bogus" } as unknown as Command,
        { op: "update", key: "/a", value: "3", expectedRevision: 1 },
      ]),
    );
    expect(res.map((r) => (r.op === "txn" ? [r.succeeded, r.revision, r.error ?? ""] : [r.op, (r as { error?: string }).error]))).toEqual([
      [true, 1, ""],
      [false, 1, ""],
      [false, 1, ""],
      [false, 1, ""],
      [false, 1, "LeaseNotFound"],
      ["noop", "InvalidCommand"],
      ["noop", "InvalidCommand"],
      [true, 2, ""],
    ]);
    expect(sm.currentRevision()).toBe(2);
    sm.close();
  });

  it("rolls back the whole batch (data, revision, applied index) when a write fails", () => {
    const path = tmpPath();
    const sm = new MvccStateMachine(path);
    sm.applyBatch(entries([{ op: "create", key: "/before", value: "1" }]));
    const other = new Database(path);
    other.exec("CREATE TRIGGER boom BEFORE INSERT ON history WHEN NEW.key = '/boom' BEGIN SELECT RAISE(ABORT, 'disk says no'); END");
    other.close();
    const seen: WatchEvent[][] = [];
    sm.onApplied((evs) => seen.push(evs));
    expect(() =>
      sm.applyBatch(
        entries(
          [
            { op: "create", key: "/ok", value: "1" },
            { op: "create", key: "/boom", value: "1" },
          ],
          2,
        ),
      ),
    ).toThrow("disk says no");
    expect(sm.currentRevision()).toBe(1);
    expect(sm.appliedIndex()).toBe(1);
    expect(sm.get("/ok")).toBeNull();
    expect(seen).toEqual([]);
    sm.applyBatch(entries([{ op: "create", key: "/ok", value: "1" }], 2));
    expect(sm.get("/ok")!.modRevision).toBe(2);
    sm.close();
    const reopened = new MvccStateMachine(path);
    expect([reopened.currentRevision(), reopened.appliedIndex()]).toEqual([2, 2]);
    reopened.close();
  });

  it("notifies listeners after commit with the batch's events in revision order", () => {
    const sm = new MvccStateMachine(":memory:");
    const got: [number[], number][] = [];
    sm.onApplied((evs, rev) => got.push([evs.map((e) => e.kv.modRevision), rev]));
    sm.applyBatch(
      entries([
        { op: "leaseGrant", id: 5, ttl: 10, now: 0 },
        { op: "create", key: "/a", value: "1", lease: 5 },
        { op: "create", key: "/b", value: "1", lease: 5 },
        { op: "leaseRevoke", id: 5 },
      ]),
    );
    expect(got).toEqual([[[1, 2, 3, 4], 4]]);
    sm.close();
  });
});

describe("MvccStateMachine: reads at any revision (against a model)", () => {
  it("get/range/count/eventsAfter match a model at every revision above the compact revision", () => {
    const sm = new MvccStateMachine(tmpPath(), { sync: "normal" });
    const r = rng(99);
    const model: Map<string, string>[] = [new Map()]; // state after each revision
    const allEvents: { rev: number; key: string; type: string; value: string; prev: string | null }[] = [];
    let cur = new Map<string, string>();
    const mods = new Map<string, number>();
    let index = 0;
    for (let i = 0; i < 1500; i++) {
      const key = `/m/${r(40)}`;
      let cmd: Command;
      if (!cur.has(key)) cmd = { op: "create", key, value: `c${i}` };
      else if (r(4) === 0) cmd = { op: "delete", key, expectedRevision: mods.get(key)! };
      else cmd = { op: "update", key, value: `u${i}`, expectedRevision: mods.get(key)! };
      const [res] = sm.applyBatch([{ index: ++index, cmd }]);
      if (res!.op !== "txn" || !res!.succeeded) throw new Error("model diverged");
      const prev = cur.get(key) ?? null;
      cur = new Map(cur);
      if (cmd.op === "delete") {
        cur.delete(key);
        mods.delete(key);
      } else {
        cur.set(key, cmd.value);
        mods.set(key, res.revision);
      }
      allEvents.push({ rev: res.revision, key, type: cmd.op === "delete" ? "delete" : "put", value: cmd.op === "delete" ? "" : cmd.value, prev });
      model.push(cur);
      if (i % 300 === 299) {
        // Compact somewhere in the older half, then vacuum completely.
        const target = sm.compactRevision() + 1 + r(Math.floor((sm.currentRevision() - sm.compactRevision()) / 2));
        sm.applyBatch([{ index: ++index, cmd: { op: "compact", revision: target } }]);
        while (!sm.vacuumStep(50).done);
      }
    }
    const head = sm.currentRevision();
    const compactRev = sm.compactRevision();
    expect(compactRev).toBeGreaterThan(0);
    for (let at = compactRev; at <= head; at += 1 + r(7)) {
      const expected = [...model[at]!.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
      const got = sm.range("/m/", { revision: at });
      expect(got.kvs.map((kv) => [kv.key, kv.value])).toEqual(expected);
      expect(got.count).toBe(expected.length);
      // A paginated read at `at` gives the same keys.
      const page = sm.range("/m/", { revision: at, limit: 7, startAfter: "/m/2" });
      expect(page.kvs.map((kv) => kv.key)).toEqual(expected.map(([k]) => k).filter((k) => k > "/m/2").slice(0, 7));
      const k = `/m/${r(40)}`;
      expect(sm.get(k, at)?.value ?? null).toBe(model[at]!.get(k) ?? null);
      // Replay from `at` gives exactly the later events, with previous values.
      const evs = sm.eventsAfter("/m/", at, 1_000_000);
      const want = allEvents.filter((e) => e.rev > at);
      expect(evs.map((e) => [e.kv.modRevision, e.type, e.kv.key, e.kv.value, e.prevKv?.value ?? null])).toEqual(
        want.map((e) => [e.rev, e.type, e.key, e.value, e.prev]),
      );
    }
    expect(sm.count("/m/")).toBe(model[head]!.size);
    expect(() => sm.range("/m/", { revision: compactRev - 1 })).toThrow(CompactedError);
    expect(() => sm.eventsAfter("/m/", compactRev - 1, 10)).toThrow(CompactedError);
    expect(() => sm.get("/m/1", head + 1)).toThrow(FutureRevisionError);
    sm.close();
  });
});

describe("MvccStateMachine: compaction, vacuum, snapshots", () => {
  it("vacuum leaves one history row per live key plus the window, and the digest unchanged", () => {
    const path = tmpPath();
    const sm = new MvccStateMachine(path, { sync: "normal" });
    let index = 0;
    const mods = new Map<string, number>();
    for (let round = 0; round < 20; round++) {
      const cmds: Command[] = [];
      for (let k = 0; k < 50; k++) {
        const key = `/v/${k}`;
        cmds.push(mods.has(key) ? { op: "update", key, value: `r${round}`, expectedRevision: mods.get(key)! } : { op: "create", key, value: `r${round}` });
      }
      const res = sm.applyBatch(entries(cmds, index + 1));
      index += cmds.length;
      res.forEach((r, i) => r.op === "txn" && mods.set((cmds[i] as { key: string }).key, r.revision));
    }
    // Delete ten keys, then compact everything.
    for (let k = 0; k < 10; k++) sm.applyBatch(entries([{ op: "delete", key: `/v/${k}`, expectedRevision: 0 }], ++index));
    const head = sm.currentRevision();
    sm.applyBatch(entries([{ op: "compact", revision: head }], ++index));
    const before = sm.digest();
    let steps = 0;
    while (!sm.vacuumStep(100).done) steps++;
    expect(steps).toBeGreaterThan(5); // bounded steps, not one big transaction
    expect(sm.digest()).toBe(before);
    sm.close();
    const db = new Database(path, { readonly: true });
    const counts = db.query("SELECT (SELECT count(*) FROM history) h, (SELECT count(*) FROM live) l").get() as { h: number; l: number };
    db.close();
    expect(counts).toEqual({ h: 40, l: 40 });
  });

  it("snapshots to a file and restores from it (file and memory)", () => {
    const src = new MvccStateMachine(tmpPath());
    const cmds = workload(5, 300);
    src.applyBatch(entries(cmds));
    const snap = join(root, `snap${fileN++}.db`);
    expect(src.snapshotTo(snap)).toEqual({ appliedIndex: 300, revision: src.currentRevision() });
    for (const target of [new MvccStateMachine(":memory:"), new MvccStateMachine(tmpPath())]) {
      target.applyBatch(entries([{ op: "create", key: "/stale", value: "x" }]));
      let restored = 0;
      target.onRestored(() => restored++);
      target.restoreFrom(snap);
      expect(restored).toBe(1);
      expect(target.digest()).toBe(src.digest());
      expect(target.appliedIndex()).toBe(300);
      // Both continue identically.
      const more = entries([{ op: "create", key: "/after", value: "1" }], 301);
      expect(target.applyBatch(more)).toEqual(src.applyBatch(more));
      expect(target.digest()).toBe(src.digest());
      target.close();
      // Undo the extra write on src for the next target: restore src from its own snapshot.
      src.restoreFrom(snap);
    }
    src.close();
  });

  it("snapshots to bytes and restores from them, and refuses a bad image without losing state", () => {
    const src = new MvccStateMachine(tmpPath());
    src.applyBatch(entries(workload(11, 200)));
    const bytes = src.snapshotBytes();
    for (const target of [new MvccStateMachine(":memory:"), new MvccStateMachine(tmpPath())]) {
      target.restoreFromBytes(bytes);
      expect(target.digest()).toBe(src.digest());
      expect(target.appliedIndex()).toBe(200);
      const more = entries([{ op: "create", key: "/after-bytes", value: "1" }], 201);
      expect(target.applyBatch(more)[0]).toMatchObject({ op: "txn", succeeded: true });
      const before = target.digest();
      const junk = new Uint8Array(bytes.length).fill(7);
      expect(() => target.restoreFromBytes(junk)).toThrow();
      expect(target.digest()).toBe(before);
      target.close();
    }
    src.close();
  });

  it("lists expired leases by expiry and pushes them out on promote", () => {
    const sm = new MvccStateMachine(":memory:");
    sm.applyBatch(
      entries([
        { op: "leaseGrant", id: 1, ttl: 10, now: 1000 },
        { op: "leaseGrant", id: 2, ttl: 5, now: 1000 },
        { op: "leaseGrant", id: 3, ttl: 60, now: 1000 },
      ]),
    );
    expect(sm.expiredLeases(10_999)).toEqual([2]);
    expect(sm.expiredLeases(11_000)).toEqual([2, 1]);
    sm.applyBatch(entries([{ op: "leaseKeepAlive", id: 2, now: 20_000 }], 4));
    expect(sm.leaseInfo(2)).toEqual({ id: 2, ttl: 5, expiry: 25_000 });
    sm.applyBatch(entries([{ op: "leasePromote", now: 100_000 }], 5));
    expect(sm.expiredLeases(104_999)).toEqual([]);
    expect(sm.expiredLeases(105_000)).toEqual([2]);
    expect(sm.leaseInfo(3)!.expiry).toBe(160_000);
    sm.close();
  });
});
