/**
 * @module raft/storage-contract
 * The shared LogStorage contract suite (hono `runTest` style): every LogStorage
 * implementation (MemoryStorage, SqliteLogStorage) calls `runStorageContract` from its
 * own test file. Covers reads and their typed errors, atomic saves (truncation, gaps,
 * snapshots), snapshots and compaction, the membership record, and durability across
 * a reopen when the implementation supports it.
 */
import { describe, expect, test } from "bun:test";
import {
  CompactedError,
  SnapOutOfDateError,
  StorageClosedError,
  UnavailableError,
} from "./errors.ts";
import { InvalidStorageArgumentError, type LogStorage } from "./storage.ts";
import type { Entry, Snapshot } from "./types.ts";

export interface StorageHarness {
  storage: LogStorage;
  /** Closes and reopens the same durable storage (omit for volatile implementations). */
  reopen?: () => LogStorage;
  cleanup: () => void;
}

function ents(from: number, to: number, term: number): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push({ index: i, term, type: "normal", data: `d${i}t${term}` });
  return out;
}

function snapAt(index: number, term: number, voters: number[], data = "img"): Snapshot {
  return { metadata: { index, term, confState: { voters, learners: [] } }, data: new TextEncoder().encode(data) };
}

export function runStorageContract(name: string, make: () => StorageHarness): void {
  function withStorage(fn: (h: StorageHarness) => void): () => void {
    return () => {
      const h = make();
      try {
        fn(h);
      } finally {
        h.cleanup();
      }
    };
  }

  describe(`LogStorage contract: ${name}`, () => {
    test(
      "an empty storage has an empty log, hard state and membership",
      withStorage(({ storage: s }) => {
        expect(s.firstIndex()).toBe(1);
        expect(s.lastIndex()).toBe(0);
        expect(s.term(0)).toBe(0);
        expect(s.entries(1, 1, 100)).toEqual([]);
        const init = s.initialState();
        expect(init.hardState).toEqual({ term: 0, vote: 0, commit: 0 });
        expect(init.confState).toEqual({ voters: [], learners: [] });
        expect(s.snapshot().metadata.index).toBe(0);
      }),
    );

    test(
      "bootstrap records the initial membership once",
      withStorage(({ storage: s }) => {
        expect(() => s.bootstrap({ voters: [], learners: [] })).toThrow(InvalidStorageArgumentError);
        s.bootstrap({ voters: [3, 1, 2], learners: [4] });
        expect(s.initialState()).toEqual({
          hardState: { term: 1, vote: 0, commit: 1 },
          confState: { voters: [1, 2, 3], learners: [4] },
          confIndex: 1,
        });
        // the membership lives in a snapshot at index 1 that joining servers receive
        expect(s.snapshot().metadata).toEqual({ index: 1, term: 1, confState: { voters: [1, 2, 3], learners: [4] } });
        expect(s.snapshot().data.length).toBe(0);
        expect([s.firstIndex(), s.lastIndex(), s.term(1)]).toEqual([2, 1, 1]);
        expect(() => s.bootstrap({ voters: [1], learners: [] })).toThrow(InvalidStorageArgumentError);
      }),
    );

    test(
      "save appends entries and the hard state; reads return them",
      withStorage(({ storage: s }) => {
        s.save({ entries: ents(1, 5, 1), hardState: { term: 1, vote: 2, commit: 3 } });
        expect(s.lastIndex()).toBe(5);
        expect(s.firstIndex()).toBe(1);
        expect(s.term(4)).toBe(1);
        expect(s.entries(2, 5, Number.MAX_SAFE_INTEGER)).toEqual(ents(2, 4, 1));
        expect(s.initialState().hardState).toEqual({ term: 1, vote: 2, commit: 3 });
      }),
    );

    test(
      "reads outside the log throw typed errors",
      withStorage(({ storage: s }) => {
        s.save({ entries: ents(1, 3, 1) });
        expect(() => s.term(4)).toThrow(UnavailableError);
        expect(() => s.entries(1, 5, 100)).toThrow(UnavailableError);
        expect(() => s.entries(0, 2, 100)).toThrow(CompactedError);
      }),
    );

    test(
      "entries are size-limited but always return at least one",
      withStorage(({ storage: s }) => {
        s.save({ entries: ents(1, 10, 1) });
        expect(s.entries(1, 11, 0).length).toBe(1);
        const one = s.entries(1, 2, 1000)[0]!;
        const size = one.data.length + 24;
        expect(s.entries(1, 11, size * 3).length).toBe(3);
        expect(s.entries(1, 11, size * 3 + 1).length).toBe(3);
      }),
    );

    test(
      "appending at an existing index truncates the conflicting suffix",
      withStorage(({ storage: s }) => {
        s.save({ entries: ents(1, 5, 1) });
        s.save({ entries: ents(3, 4, 2) });
        expect(s.lastIndex()).toBe(4);
        expect(s.term(2)).toBe(1);
        expect(s.term(3)).toBe(2);
        expect(s.entries(1, 5, 1e9).map((e) => e.data)).toEqual(["d1t1", "d2t1", "d3t2", "d4t2"]);
      }),
    );

    test(
      "a save that would leave a gap or breaks order fails and changes nothing",
      withStorage(({ storage: s }) => {
        s.save({ entries: ents(1, 3, 1), hardState: { term: 1, vote: 1, commit: 1 } });
        expect(() => s.save({ entries: ents(5, 6, 1), hardState: { term: 2, vote: 0, commit: 2 } })).toThrow(
          InvalidStorageArgumentError,
        );
        const bad = [...ents(4, 4, 1), ...ents(6, 6, 1)];
        expect(() => s.save({ entries: bad })).toThrow(InvalidStorageArgumentError);
        expect(() => s.save({ hardState: { term: 1, vote: 1, commit: 9 } })).toThrow(InvalidStorageArgumentError);
        expect(s.lastIndex()).toBe(3);
        expect(s.initialState().hardState).toEqual({ term: 1, vote: 1, commit: 1 });
      }),
    );

    test(
      "snapshots: only committed indexes, never older ones",
      withStorage(({ storage: s }) => {
        s.save({ entries: ents(1, 6, 1), hardState: { term: 1, vote: 1, commit: 4 } });
        expect(() => s.createSnapshot(5, { voters: [1], learners: [] }, new Uint8Array())).toThrow(
          InvalidStorageArgumentError,
        );
        const snap = s.createSnapshot(4, { voters: [1, 2], learners: [] }, new TextEncoder().encode("state"));
        expect(snap.metadata).toEqual({ index: 4, term: 1, confState: { voters: [1, 2], learners: [] } });
        expect(new TextDecoder().decode(s.snapshot().data)).toBe("state");
        expect(() => s.createSnapshot(3, { voters: [1], learners: [] }, new Uint8Array())).toThrow(SnapOutOfDateError);
        expect(s.initialState().confState.voters).toEqual([1, 2]);
      }),
    );

    test(
      "compaction drops entries up to the index but keeps its term",
      withStorage(({ storage: s }) => {
        s.save({ entries: ents(1, 6, 1), hardState: { term: 1, vote: 1, commit: 5 } });
        expect(() => s.compact(3)).toThrow(InvalidStorageArgumentError); // no snapshot covers it yet
        s.createSnapshot(4, { voters: [1], learners: [] }, new Uint8Array());
        s.compact(3);
        expect(s.firstIndex()).toBe(4);
        expect(s.lastIndex()).toBe(6);
        expect(s.term(3)).toBe(1);
        expect(() => s.term(2)).toThrow(CompactedError);
        expect(() => s.entries(3, 5, 1e9)).toThrow(CompactedError);
        expect(s.entries(4, 7, 1e9)).toEqual(ents(4, 6, 1));
        expect(() => s.compact(3)).toThrow(CompactedError);
        // entries that are already compacted are ignored on append
        s.save({ entries: ents(2, 7, 1) });
        expect(s.firstIndex()).toBe(4);
        expect(s.lastIndex()).toBe(7);
      }),
    );

    test(
      "saving a snapshot replaces the log; entries after it can come in the same save",
      withStorage(({ storage: s }) => {
        s.save({ entries: ents(1, 3, 1), hardState: { term: 1, vote: 0, commit: 1 } });
        s.save({
          snapshot: snapAt(10, 3, [1, 2, 3]),
          entries: ents(11, 12, 3),
          hardState: { term: 3, vote: 0, commit: 10 },
        });
        expect(s.firstIndex()).toBe(11);
        expect(s.lastIndex()).toBe(12);
        expect(s.term(10)).toBe(3);
        expect(() => s.term(3)).toThrow(CompactedError);
        const init = s.initialState();
        expect(init.confState.voters).toEqual([1, 2, 3]);
        expect(init.confIndex).toBe(10);
        expect(new TextDecoder().decode(s.snapshot().data)).toBe("img");
        expect(() => s.save({ snapshot: snapAt(10, 3, [1]) })).toThrow(SnapOutOfDateError);
        expect(() => s.save({ snapshot: snapAt(5, 2, [1]) })).toThrow(SnapOutOfDateError);
      }),
    );

    test(
      "the newest of snapshot membership and applied conf change wins",
      withStorage(({ storage: s }) => {
        s.bootstrap({ voters: [1], learners: [] });
        s.save({ entries: ents(2, 8, 1), hardState: { term: 1, vote: 1, commit: 8 } });
        s.saveConfState({ voters: [1], learners: [2] }, 3);
        expect(s.initialState()).toMatchObject({ confState: { voters: [1], learners: [2] }, confIndex: 3 });
        s.createSnapshot(5, { voters: [1, 2], learners: [] }, new Uint8Array());
        expect(s.initialState()).toMatchObject({ confState: { voters: [1, 2], learners: [] }, confIndex: 5 });
        s.saveConfState({ voters: [1, 2, 3], learners: [] }, 7);
        expect(s.initialState()).toMatchObject({ confState: { voters: [1, 2, 3], learners: [] }, confIndex: 7 });
        expect(() => s.saveConfState({ voters: [1], learners: [] }, 6)).toThrow(InvalidStorageArgumentError);
      }),
    );

    test(
      "after close every call throws StorageClosedError",
      withStorage(({ storage: s }) => {
        s.close();
        expect(() => s.lastIndex()).toThrow(StorageClosedError);
        expect(() => s.save({ entries: ents(1, 1, 1) })).toThrow(StorageClosedError);
      }),
    );

    test(
      "everything survives a reopen (when durable)",
      withStorage((h) => {
        if (h.reopen === undefined) return;
        let s = h.storage;
        s.bootstrap({ voters: [1, 2], learners: [] });
        s.save({ entries: ents(2, 9, 2), hardState: { term: 2, vote: 1, commit: 7 } });
        s.createSnapshot(6, { voters: [1, 2], learners: [3] }, new TextEncoder().encode("six"));
        s.compact(4);
        s.saveConfState({ voters: [1, 2, 3], learners: [] }, 7);
        s.save({ entries: ents(8, 10, 3) });
        s = h.reopen();
        expect(s.firstIndex()).toBe(5);
        expect(s.lastIndex()).toBe(10);
        expect(s.term(4)).toBe(2);
        expect(s.term(9)).toBe(3);
        expect(s.entries(5, 11, 1e9)).toEqual([...ents(5, 7, 2), ...ents(8, 10, 3)]);
        expect(s.initialState()).toEqual({
          hardState: { term: 2, vote: 1, commit: 7 },
          confState: { voters: [1, 2, 3], learners: [] },
          confIndex: 7,
        });
        const snap = s.snapshot();
        expect(snap.metadata).toEqual({ index: 6, term: 2, confState: { voters: [1, 2], learners: [3] } });
        expect(new TextDecoder().decode(snap.data)).toBe("six");
      }),
    );
  });
}
