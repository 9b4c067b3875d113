/**
 * @module cluster/log-storage
 * SqliteLogStorage: the durable Raft LogStorage on bun:sqlite (raft.db, WAL,
 * synchronous=FULL). One transaction per Ready (`save`): apply a snapshot, truncate the
 * conflicting suffix, insert entries, write the hard state. Its commit is the fsync, so
 * once `save` returns the Ready's messages may be sent. (An fdatasync on the I/O thread
 * pool while the event loop went on was tried and measured ~8% slower on one server here:
 * the flush's thread hand-off lengthened every Ready cycle more than it overlapped.)
 *
 * Tables: raft_entries(idx PK, term, type, data), raft_hard_state, raft_snapshot
 * (metadata + image), raft_log_start (the compaction point: index and term of the last
 * discarded entry), raft_conf_state (membership after the last applied conf change).
 * Terms of the stored entries are cached in memory (the core asks for them often).
 */
import { Database, type Statement } from "bun:sqlite";
import {
  CompactedError,
  SnapOutOfDateError,
  StorageClosedError,
  StorageCorruptError,
  UnavailableError,
} from "../raft/errors.ts";
import {
  type InitialState,
  InvalidStorageArgumentError,
  type LogStorage,
  type StorageUpdate,
  bootstrapUpdate,
  cloneSnapshot,
  copyConfState,
  validateAppend,
} from "../raft/storage.ts";
import { type ConfState, type Entry, type HardState, type Snapshot, EMPTY_HARD_STATE, entrySize } from "../raft/types.ts";

const SCHEMA_VERSION = "1";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS raft_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS raft_entries (
  idx INTEGER PRIMARY KEY,
  term INTEGER NOT NULL,
  type INTEGER NOT NULL,
  data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS raft_hard_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  term INTEGER NOT NULL,
  vote INTEGER NOT NULL,
  commit_index INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS raft_snapshot (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  idx INTEGER NOT NULL,
  term INTEGER NOT NULL,
  conf_state TEXT NOT NULL,
  data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS raft_log_start (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  idx INTEGER NOT NULL,
  term INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS raft_conf_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  idx INTEGER NOT NULL,
  conf_state TEXT NOT NULL
);
`;

interface EntryRow {
  idx: number;
  term: number;
  type: number;
  data: string;
}

export interface SqliteLogStorageOptions {
  /** SQLite synchronous level. "full" (default) makes every save durable against power loss. */
  synchronous?: "full" | "normal" | "off";
}

function encodeType(t: Entry["type"]): number {
  return t === "confChange" ? 1 : 0;
}

function decodeType(t: number): Entry["type"] {
  if (t === 1) return "confChange";
  if (t === 0) return "normal";
  throw new StorageCorruptError(`unknown entry type ${t}`);
}

function parseConfState(json: string): ConfState {
  const cs = JSON.parse(json) as ConfState;
  if (!Array.isArray(cs.voters) || !Array.isArray(cs.learners)) {
    throw new StorageCorruptError(`malformed conf state ${json}`);
  }
  return copyConfState(cs);
}

/** How many of the newest log entries are kept in memory (between TAIL_MAX and twice that). */
const TAIL_MAX = 1024;

export class SqliteLogStorage implements LogStorage {
  readonly db: Database;
  private readonly ownsDb: boolean;
  /** Commits fsync (synchronous=FULL): saveUnsynced then turns it off for one write. */
  private syncFull = false;
  private closed = false;
  // caches of durable state, updated only after a successful commit
  private hard: HardState = { ...EMPTY_HARD_STATE };
  private snapMeta = { index: 0, term: 0, confState: { voters: [], learners: [] } as ConfState };
  private conf = { index: 0, confState: { voters: [], learners: [] } as ConfState };
  private startIdx = 0;
  private startTerm = 0;
  /** terms[i] is the term of entry startIdx + 1 + i. */
  private terms: number[] = [];
  /**
   * The newest entries (copies, up to TAIL_MAX), ending at the last index: the entries
   * the leader applies right after writing them are served from here, not read back.
   */
  private tail: Entry[] = [];

  private readonly q: {
    entriesRange: Statement<EntryRow, [number, number]>;
    insertEntry: Statement<unknown, [number, number, number, string]>;
    deleteFrom: Statement<unknown, [number]>;
    deleteUpTo: Statement<unknown, [number]>;
    deleteAll: Statement<unknown, []>;
    upsertHard: Statement<unknown, [number, number, number]>;
    upsertSnap: Statement<unknown, [number, number, string, Uint8Array]>;
    selectSnapData: Statement<{ data: Uint8Array }, []>;
    upsertStart: Statement<unknown, [number, number]>;
    upsertConf: Statement<unknown, [number, string]>;
  };

  /**
   * Opens (creating if needed) raft.db at `path`, or wraps an already open Database
   * (which the caller keeps owning; used by the simulation to "restart" on the same disk).
   */
  constructor(pathOrDb: string | Database, opts: SqliteLogStorageOptions = {}) {
    if (typeof pathOrDb === "string") {
      this.db = new Database(pathOrDb, { create: true, strict: true });
      this.ownsDb = true;
      if (pathOrDb !== ":memory:") this.db.exec("PRAGMA journal_mode = WAL");
      this.db.exec(`PRAGMA synchronous = ${(opts.synchronous ?? "full").toUpperCase()}`);
      this.syncFull = (opts.synchronous ?? "full") === "full";
    } else {
      this.db = pathOrDb;
      this.ownsDb = false;
    }
    this.db.exec(SCHEMA);
    const version = this.db.query<{ value: string }, []>("SELECT value FROM raft_meta WHERE key = 'schema'").get();
    if (version === null) {
      this.db.query("INSERT INTO raft_meta (key, value) VALUES ('schema', ?)").run(SCHEMA_VERSION);
    } else if (version.value !== SCHEMA_VERSION) {
      throw new StorageCorruptError(`unsupported raft.db schema version ${version.value}`);
    }
    this.q = {
      entriesRange: this.db.query("SELECT idx, term, type, data FROM raft_entries WHERE idx >= ? AND idx < ? ORDER BY idx"),
      insertEntry: this.db.query("INSERT INTO raft_entries (idx, term, type, data) VALUES (?, ?, ?, ?)"),
      deleteFrom: this.db.query("DELETE FROM raft_entries WHERE idx >= ?"),
      deleteUpTo: this.db.query("DELETE FROM raft_entries WHERE idx <= ?"),
      deleteAll: this.db.query("DELETE FROM raft_entries"),
      upsertHard: this.db.query(
        "INSERT INTO raft_hard_state (id, term, vote, commit_index) VALUES (1, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET term = excluded.term, vote = excluded.vote, commit_index = excluded.commit_index",
      ),
      upsertSnap: this.db.query(
        "INSERT INTO raft_snapshot (id, idx, term, conf_state, data) VALUES (1, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET idx = excluded.idx, term = excluded.term, conf_state = excluded.conf_state, data = excluded.data",
      ),
      selectSnapData: this.db.query("SELECT data FROM raft_snapshot WHERE id = 1"),
      upsertStart: this.db.query(
        "INSERT INTO raft_log_start (id, idx, term) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET idx = excluded.idx, term = excluded.term",
      ),
      upsertConf: this.db.query(
        "INSERT INTO raft_conf_state (id, idx, conf_state) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET idx = excluded.idx, conf_state = excluded.conf_state",
      ),
    };
    this.load();
  }

  /** Reads the durable state into the caches and checks the log has no holes. */
  private load(): void {
    const hs = this.db
      .query<{ term: number; vote: number; commit_index: number }, []>(
        "SELECT term, vote, commit_index FROM raft_hard_state WHERE id = 1",
      )
      .get();
    if (hs !== null) this.hard = { term: hs.term, vote: hs.vote, commit: hs.commit_index };
    const snap = this.db
      .query<{ idx: number; term: number; conf_state: string }, []>(
        "SELECT idx, term, conf_state FROM raft_snapshot WHERE id = 1",
      )
      .get();
    if (snap !== null) this.snapMeta = { index: snap.idx, term: snap.term, confState: parseConfState(snap.conf_state) };
    const conf = this.db
      .query<{ idx: number; conf_state: string }, []>("SELECT idx, conf_state FROM raft_conf_state WHERE id = 1")
      .get();
    if (conf !== null) this.conf = { index: conf.idx, confState: parseConfState(conf.conf_state) };
    const start = this.db.query<{ idx: number; term: number }, []>("SELECT idx, term FROM raft_log_start WHERE id = 1").get();
    if (start !== null) {
      this.startIdx = start.idx;
      this.startTerm = start.term;
    }
    const rows = this.db.query<{ idx: number; term: number }, []>("SELECT idx, term FROM raft_entries ORDER BY idx").all();
    this.terms = new Array<number>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      if (row.idx !== this.startIdx + 1 + i) {
        throw new StorageCorruptError(`raft log has a hole: expected index ${this.startIdx + 1 + i}, found ${row.idx}`);
      }
      this.terms[i] = row.term;
    }
    if (this.hard.commit > this.lastIndexUnchecked()) {
      throw new StorageCorruptError(`commit index ${this.hard.commit} is beyond the last entry ${this.lastIndexUnchecked()}`);
    }
  }

  private check(): void {
    if (this.closed) throw new StorageClosedError();
  }

  private lastIndexUnchecked(): number {
    return this.startIdx + this.terms.length;
  }

  initialState(): InitialState {
    this.check();
    const fromSnap = this.snapMeta.index > this.conf.index;
    return {
      hardState: { ...this.hard },
      confState: copyConfState(fromSnap ? this.snapMeta.confState : this.conf.confState),
      confIndex: fromSnap ? this.snapMeta.index : this.conf.index,
    };
  }

  firstIndex(): number {
    this.check();
    return this.startIdx + 1;
  }

  lastIndex(): number {
    this.check();
    return this.lastIndexUnchecked();
  }

  term(i: number): number {
    this.check();
    if (i < this.startIdx) throw new CompactedError(i, this.startIdx + 1);
    if (i === this.startIdx) return this.startTerm;
    if (i > this.lastIndexUnchecked()) throw new UnavailableError(i, this.lastIndexUnchecked());
    return this.terms[i - this.startIdx - 1]!;
  }

  entries(lo: number, hi: number, maxSize: number): Entry[] {
    this.check();
    if (lo <= this.startIdx) throw new CompactedError(lo, this.startIdx + 1);
    if (lo > hi) throw new InvalidStorageArgumentError(`invalid range [${lo}, ${hi})`);
    if (hi > this.lastIndexUnchecked() + 1) throw new UnavailableError(hi - 1, this.lastIndexUnchecked());
    const out: Entry[] = [];
    let size = 0;
    let limited = false;
    const t0 = this.tail.length > 0 ? this.tail[0]!.index : Infinity;
    if (lo >= t0) {
      for (let i = lo; i < hi; i++) {
        const e = { ...this.tail[i - t0]! };
        size += entrySize(e);
        if (out.length > 0 && size > maxSize) break;
        out.push(e);
      }
      return out;
    }
    for (const row of this.q.entriesRange.iterate(lo, hi)) {
      const e: Entry = { index: row.idx, term: row.term, type: decodeType(row.type), data: row.data };
      size += entrySize(e);
      if (out.length > 0 && size > maxSize) {
        limited = true;
        break;
      }
      out.push(e);
    }
    if (!limited && out.length !== hi - lo) {
      throw new StorageCorruptError(`raft log rows missing in [${lo}, ${hi})`);
    }
    return out;
  }

  snapshot(): Snapshot {
    this.check();
    const row = this.snapMeta.index > 0 ? this.q.selectSnapData.get() : null;
    return cloneSnapshot({
      metadata: { index: this.snapMeta.index, term: this.snapMeta.term, confState: this.snapMeta.confState },
      data: row === null ? new Uint8Array(0) : new Uint8Array(row.data),
    });
  }

  /**
   * Like save(), without waiting for the disk: for a Ready whose only change is a higher
   * commit index (etcd's MustSync is false). Losing it in a power cut is harmless: the
   * entries are durable, and a restart raises the commit index again (see raiseCommit).
   */
  saveUnsynced(update: StorageUpdate): void {
    if (!this.syncFull) return this.save(update);
    this.db.exec("PRAGMA synchronous = OFF");
    try {
      this.save(update);
    } finally {
      this.db.exec("PRAGMA synchronous = FULL");
    }
  }

  /**
   * Raises the stored commit index to `index` when it is lower: for a restart where the
   * state machine applied entries (so they were committed) beyond the stored commit index.
   * Only entries present in the log can be declared committed.
   */
  raiseCommit(index: number): void {
    this.check();
    if (index <= this.hard.commit) return;
    if (index > this.lastIndexUnchecked()) throw new StorageCorruptError(`cannot raise the commit index to ${index}: the log ends at ${this.lastIndexUnchecked()}`);
    this.save({ hardState: { ...this.hard, commit: index } });
  }

  save(update: StorageUpdate): void {
    this.check();
    const snap = update.snapshot;
    if (snap !== undefined && snap.metadata.index <= this.snapMeta.index) {
      throw new SnapOutOfDateError(snap.metadata.index, this.snapMeta.index);
    }
    // the state after the snapshot (if any) is applied
    let startIdx = this.startIdx;
    let startTerm = this.startTerm;
    // The cached terms are only changed once the transaction commits; `keep` is how many of
    // them survive (all of them on a plain append, so the common case copies nothing).
    let oldLen = this.terms.length;
    if (snap !== undefined) {
      startIdx = snap.metadata.index;
      startTerm = snap.metadata.term;
      oldLen = 0;
    }
    const all = update.entries ?? [];
    const fresh = all.length > 0 && all[0]!.index <= startIdx ? all.filter((e) => e.index > startIdx) : all;
    validateAppend(all, startIdx + oldLen);
    const keep = fresh.length > 0 ? fresh[0]!.index - startIdx - 1 : oldLen;
    const newLast = startIdx + keep + fresh.length;
    if (update.hardState !== undefined && update.hardState.commit > newLast) {
      throw new InvalidStorageArgumentError(
        `hard state commit ${update.hardState.commit} is beyond the last index ${newLast}`,
      );
    }
    this.db.transaction(() => {
      if (snap !== undefined) {
        this.q.deleteAll.run();
        this.q.upsertSnap.run(
          snap.metadata.index,
          snap.metadata.term,
          JSON.stringify(copyConfState(snap.metadata.confState)),
          snap.data,
        );
        this.q.upsertStart.run(snap.metadata.index, snap.metadata.term);
      }
      if (fresh.length > 0) {
        this.q.deleteFrom.run(fresh[0]!.index);
        for (const e of fresh) this.q.insertEntry.run(e.index, e.term, encodeType(e.type), e.data);
      }
      if (update.hardState !== undefined) {
        const hs = update.hardState;
        this.q.upsertHard.run(hs.term, hs.vote, hs.commit);
      }
    })();
    // committed: update the caches
    if (snap !== undefined) {
      this.snapMeta = {
        index: snap.metadata.index,
        term: snap.metadata.term,
        confState: copyConfState(snap.metadata.confState),
      };
    }
    if (snap !== undefined) {
      this.terms = [];
      this.tail = [];
    }
    if (keep < this.terms.length) this.terms.length = keep;
    for (const e of fresh) this.terms.push(e.term);
    if (fresh.length > 0) {
      const first = fresh[0]!.index;
      const t0 = this.tail.length > 0 ? this.tail[0]!.index : first;
      if (first < t0 || first > t0 + this.tail.length) this.tail = [];
      else this.tail.length = first - t0;
      for (const e of fresh) this.tail.push({ ...e });
      if (this.tail.length > TAIL_MAX * 2) this.tail = this.tail.slice(-TAIL_MAX);
    }
    this.startIdx = startIdx;
    this.startTerm = startTerm;
    if (update.hardState !== undefined) this.hard = { ...update.hardState };
  }

  createSnapshot(index: number, confState: ConfState, data: Uint8Array): Snapshot {
    this.check();
    if (index <= this.snapMeta.index) throw new SnapOutOfDateError(index, this.snapMeta.index);
    if (index > this.hard.commit) {
      throw new InvalidStorageArgumentError(`snapshot index ${index} is beyond the commit index ${this.hard.commit}`);
    }
    if (index > this.lastIndexUnchecked()) throw new UnavailableError(index, this.lastIndexUnchecked());
    const term = this.term(index);
    const cs = copyConfState(confState);
    this.q.upsertSnap.run(index, term, JSON.stringify(cs), data);
    this.snapMeta = { index, term, confState: cs };
    return cloneSnapshot({ metadata: { index, term, confState: cs }, data });
  }

  compact(index: number): void {
    this.check();
    if (index <= this.startIdx) throw new CompactedError(index, this.startIdx + 1);
    if (index > this.snapMeta.index) {
      throw new InvalidStorageArgumentError(`cannot compact to ${index}: beyond the snapshot index ${this.snapMeta.index}`);
    }
    if (index > this.lastIndexUnchecked()) throw new UnavailableError(index, this.lastIndexUnchecked());
    const term = this.term(index);
    this.db.transaction(() => {
      this.q.deleteUpTo.run(index);
      this.q.upsertStart.run(index, term);
    })();
    this.terms = this.terms.slice(index - this.startIdx);
    const t0 = this.tail.length > 0 ? this.tail[0]!.index : Infinity;
    if (index >= t0) this.tail = this.tail.slice(index - t0 + 1);
    this.startIdx = index;
    this.startTerm = term;
  }

  saveConfState(confState: ConfState, index: number): void {
    this.check();
    if (index < this.conf.index) {
      throw new InvalidStorageArgumentError(`conf state index ${index} is older than ${this.conf.index}`);
    }
    const cs = copyConfState(confState);
    this.q.upsertConf.run(index, JSON.stringify(cs));
    this.conf = { index, confState: cs };
  }

  bootstrap(confState: ConfState): void {
    this.check();
    if (this.lastIndexUnchecked() !== 0 || this.hard.term !== 0 || this.conf.confState.voters.length > 0) {
      throw new InvalidStorageArgumentError("cannot bootstrap a storage that is not empty");
    }
    this.save(bootstrapUpdate(confState));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const st of Object.values(this.q)) st.finalize();
    if (this.ownsDb) this.db.close();
  }
}
