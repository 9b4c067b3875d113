/**
 * @module store/schema
 * Opens the state machine's SQLite database: pragmas, tables, schema version.
 *
 * Layout (chosen for write speed: three small B-trees touched per write, no
 * secondary index on the hot path; kine's five indexes cap it near 65k rows/s):
 * - `history(rev PK)`: one row per write, the only copy of each value. Serves
 *   old-revision reads (through the `prev_rev` chain) and watch replay (rev order).
 * - `live(key PK) WITHOUT ROWID`: per key, the revision of its last write (a
 *   tombstone stays here until compaction passes it, so old-revision reads can
 *   find deleted keys).
 * - `leases`, `lease_keys`: leases and the keys attached to them.
 * - `meta`: one row; applied index and revision are written in the same
 *   transaction as the data they describe.
 */
import { Database } from "bun:sqlite";

export const SCHEMA_VERSION = 1;

export type SyncMode = "full" | "normal";

export class SchemaVersionError extends Error {
  constructor(readonly found: number, readonly expected: number) {
    super(`state database has schema version ${found}, this build understands ${expected}`);
    this.name = "SchemaVersionError";
  }
}

export interface OpenOptions {
  sync: SyncMode;
  /** SQLite page cache per connection in KiB (default 8 MiB). */
  cacheKiB?: number;
}

export interface MetaRow {
  schema_version: number;
  applied_index: number;
  rev: number;
  compact_rev: number;
  vacuumed_rev: number;
}

const DDL = `
CREATE TABLE IF NOT EXISTS meta (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  schema_version INTEGER NOT NULL,
  applied_index INTEGER NOT NULL,
  rev INTEGER NOT NULL,
  compact_rev INTEGER NOT NULL,
  vacuumed_rev INTEGER NOT NULL
);
INSERT OR IGNORE INTO meta VALUES (1, ${SCHEMA_VERSION}, 0, 0, 0, 0);
CREATE TABLE IF NOT EXISTS history (
  rev INTEGER PRIMARY KEY,
  key TEXT NOT NULL,
  create_rev INTEGER NOT NULL,
  version INTEGER NOT NULL,
  lease INTEGER NOT NULL,
  prev_rev INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS live (
  key TEXT PRIMARY KEY,
  mod_rev INTEGER NOT NULL,
  create_rev INTEGER NOT NULL,
  version INTEGER NOT NULL,
  lease INTEGER NOT NULL,
  deleted INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS leases (
  id INTEGER PRIMARY KEY,
  ttl INTEGER NOT NULL,
  expiry INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS leases_expiry ON leases (expiry, id);
CREATE TABLE IF NOT EXISTS lease_keys (
  lease INTEGER NOT NULL,
  key TEXT NOT NULL,
  PRIMARY KEY (lease, key)
) WITHOUT ROWID;
`;

/** Applies connection pragmas and creates the schema if the file is new. */
export function initDatabase(db: Database, opts: OpenOptions): MetaRow {
  // auto_vacuum must be set before the first table exists; it is a no-op later.
  db.exec("PRAGMA auto_vacuum = INCREMENTAL");
  const mode = db.query("PRAGMA journal_mode = WAL").get() as { journal_mode: string };
  if (mode.journal_mode !== "wal" && mode.journal_mode !== "memory") {
    throw new Error(`could not switch the state database to WAL (got ${mode.journal_mode})`);
  }
  db.exec(`PRAGMA synchronous = ${opts.sync === "full" ? "FULL" : "NORMAL"}`);
  // After a checkpoint the WAL is truncated back to this size, so it cannot stay huge.
  db.exec("PRAGMA journal_size_limit = 16777216");
  db.exec("PRAGMA temp_store = MEMORY");
  db.exec(`PRAGMA cache_size = -${opts.cacheKiB ?? 8192}`);
  db.exec("PRAGMA foreign_keys = OFF");
  db.transaction(() => db.exec(DDL))();
  const meta = readMeta(db);
  if (meta.schema_version !== SCHEMA_VERSION) throw new SchemaVersionError(meta.schema_version, SCHEMA_VERSION);
  return meta;
}

export function readMeta(db: Database): MetaRow {
  return db.query("SELECT schema_version, applied_index, rev, compact_rev, vacuumed_rev FROM meta WHERE id = 1").get() as MetaRow;
}
