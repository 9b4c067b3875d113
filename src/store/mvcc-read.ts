/**
 * @module store/mvcc-read
 * Reads of the state tables: current and old-revision get/range/count, and the
 * history scan that feeds watch replay. Callers resolve and check the revision
 * first (see MvccStateMachine); these functions trust it.
 *
 * An old-revision read starts from `live` and walks each newer key's `prev_rev`
 * chain back to the last write at or below the revision. Compaction keeps every
 * row the walk can reach (rows above the compact revision and the newest row at
 * or below it), and a missing row there can only be a compacted tombstone, so it
 * reads as "absent", which is what the key was.
 */
import type { Database, Statement } from "bun:sqlite";
import type { KeyValue, RangeResult, WatchEvent } from "./types.ts";
import { prefixEnd } from "./keys.ts";
import { HISTORY_COLUMNS, kvOf, tombstoneKv, type HistoryRow } from "./mvcc-rows.ts";

interface EventRow extends HistoryRow {
  p_rev: number | null;
  p_create_rev: number;
  p_version: number;
  p_lease: number;
  p_deleted: number;
  p_value: string;
}

/** Bounds of a key-range query: `lo` (inclusive or exclusive) and optional `hi` (exclusive). */
interface Bounds {
  sql: string;
  params: string[];
}

function bounds(prefix: string, startAfter: string | undefined, column: string): Bounds {
  const params: string[] = [];
  const parts: string[] = [];
  if (startAfter !== undefined && startAfter >= prefix) {
    parts.push(`${column} > ?`);
    params.push(startAfter);
  } else if (prefix !== "") {
    parts.push(`${column} >= ?`);
    params.push(prefix);
  }
  const end = prefixEnd(prefix);
  if (end !== null) {
    parts.push(`${column} < ?`);
    params.push(end);
  }
  return { sql: parts.length ? parts.join(" AND ") : "1", params };
}

export class MvccReader {
  private readonly liveGet: Statement<{ mod_rev: number; deleted: number }, [string]>;
  private readonly histGet: Statement<HistoryRow, [number]>;
  private readonly histLink: Statement<{ prev_rev: number; deleted: number }, [number]>;

  constructor(private readonly db: Database) {
    this.liveGet = db.prepare("SELECT mod_rev, deleted FROM live WHERE key = ?");
    this.histGet = db.prepare(`SELECT ${HISTORY_COLUMNS} FROM history WHERE rev = ?`);
    this.histLink = db.prepare("SELECT prev_rev, deleted FROM history WHERE rev = ?");
  }

  /**
   * Revision of the key's write that was visible at `atRev`, or 0 if the key was
   * absent then. `modRev`/`deleted` are the key's live row.
   */
  private revAt(modRev: number, deleted: number, atRev: number): number {
    let rev = modRev;
    let del = deleted;
    while (rev > atRev) {
      const link = this.histLink.get(rev);
      if (!link || link.prev_rev === 0) return 0;
      rev = link.prev_rev;
      const prev = this.histLink.get(rev);
      if (!prev) return 0; // a compacted tombstone
      del = prev.deleted;
    }
    return del ? 0 : rev;
  }

  get(key: string, atRev: number, currentRev: number): KeyValue | null {
    const live = this.liveGet.get(key);
    if (!live) return null;
    const rev = atRev >= currentRev ? (live.deleted ? 0 : live.mod_rev) : this.revAt(live.mod_rev, live.deleted, atRev);
    if (rev === 0) return null;
    const h = this.histGet.get(rev);
    return h ? kvOf(h) : null;
  }

  count(prefix: string): number {
    const b = bounds(prefix, undefined, "key");
    const row = this.db.query(`SELECT count(*) AS n FROM live WHERE ${b.sql} AND deleted = 0`).get(...b.params) as { n: number };
    return row.n;
  }

  range(prefix: string, atRev: number, currentRev: number, limit: number, startAfter: string | undefined): RangeResult {
    return atRev >= currentRev
      ? this.rangeCurrent(prefix, currentRev, limit, startAfter)
      : this.rangeOld(prefix, atRev, limit, startAfter);
  }

  private rangeCurrent(prefix: string, rev: number, limit: number, startAfter: string | undefined): RangeResult {
    const b = bounds(prefix, startAfter, "l.key");
    const rows = this.db
      .query(
        `SELECT h.rev, h.key, h.create_rev, h.version, h.lease, h.prev_rev, h.deleted, h.value
         FROM live l JOIN history h ON h.rev = l.mod_rev
         WHERE ${b.sql} AND l.deleted = 0 ORDER BY l.key LIMIT ?`,
      )
      .all(...b.params, limit > 0 ? limit + 1 : -1) as HistoryRow[];
    const more = limit > 0 && rows.length > limit;
    if (more) rows.pop();
    const kvs = rows.map(kvOf);
    const count = !more && startAfter === undefined ? kvs.length : this.count(prefix);
    return { kvs, revision: rev, more, count };
  }

  private rangeOld(prefix: string, atRev: number, limit: number, startAfter: string | undefined): RangeResult {
    const b = bounds(prefix, undefined, "key");
    const lives = this.db
      .query(`SELECT key, mod_rev, deleted FROM live WHERE ${b.sql} ORDER BY key`)
      .all(...b.params) as { key: string; mod_rev: number; deleted: number }[];
    let count = 0;
    const page: number[] = [];
    let more = false;
    for (const l of lives) {
      const rev = l.mod_rev <= atRev ? (l.deleted ? 0 : l.mod_rev) : this.revAt(l.mod_rev, l.deleted, atRev);
      if (rev === 0) continue;
      count++;
      if (startAfter !== undefined && l.key <= startAfter) continue;
      if (limit > 0 && page.length >= limit) more = true;
      else page.push(rev);
    }
    const kvs: KeyValue[] = [];
    for (const rev of page) {
      const h = this.histGet.get(rev);
      if (h) kvs.push(kvOf(h));
    }
    return { kvs, revision: atRev, more, count };
  }

  /** Up to `limit` events with revision > afterRev for keys under `prefix`, in revision order. */
  eventsAfter(prefix: string, afterRev: number, limit: number): WatchEvent[] {
    const b = bounds(prefix, undefined, "h.key");
    const rows = this.db
      .query(
        `SELECT h.rev, h.key, h.create_rev, h.version, h.lease, h.prev_rev, h.deleted, h.value,
                p.rev AS p_rev, p.create_rev AS p_create_rev, p.version AS p_version, p.lease AS p_lease,
                p.deleted AS p_deleted, p.value AS p_value
         FROM history h LEFT JOIN history p ON p.rev = h.prev_rev AND h.prev_rev > 0
         WHERE h.rev > ? AND ${b.sql} ORDER BY h.rev LIMIT ?`,
      )
      .all(afterRev, ...b.params, limit) as EventRow[];
    const events: WatchEvent[] = [];
    for (const r of rows) {
      const prevKv: KeyValue | null =
        r.p_rev === null || r.p_deleted
          ? null
          : { key: r.key, value: r.p_value, createRevision: r.p_create_rev, modRevision: r.p_rev, version: r.p_version, lease: r.p_lease };
      if (r.deleted) {
        // A delete's predecessor is a live value and the newest write at or below the
        // compact revision (or above it), so compaction never removes it.
        if (!prevKv) throw new Error(`state history is inconsistent: delete at ${r.rev} of ${r.key} has no previous value`);
        events.push({ type: "delete", kv: tombstoneKv(r.key, r.rev), prevKv });
      } else {
        events.push({ type: "put", kv: kvOf(r), prevKv });
      }
    }
    return events;
  }
}
