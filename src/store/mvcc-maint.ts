/**
 * @module store/mvcc-maint
 * Physical upkeep of the state tables, outside the replicated log: deleting
 * history that compaction made unreachable (in small transactions so a writer
 * never waits long), giving freed pages back to the file system, and a digest
 * of the logical state for comparing replicas.
 *
 * Compaction at revision C keeps, per key, the newest write at or below C
 * (unless it is a tombstone) and everything above C. Walking the history rows
 * in (vacuumed, C] in revision order, each row supersedes the row it points to
 * with `prev_rev`, and a tombstone at or below C is itself dropped (with its
 * `live` entry, if it is still the key's last write).
 */
import type { Database, Statement } from "bun:sqlite";

export class Vacuumer {
  private readonly scan: Statement<{ rev: number; key: string; prev_rev: number; deleted: number }, [number, number, number]>;
  private readonly delHist: Statement<unknown, [number]>;
  private readonly delLiveTombstone: Statement<unknown, [string, number]>;
  private readonly setVacuumed: Statement<unknown, [number]>;

  /** `syncPragma`: the connection's normal synchronous setting, restored after each step. */
  constructor(private readonly db: Database, private readonly syncPragma: "FULL" | "NORMAL") {
    this.scan = db.prepare("SELECT rev, key, prev_rev, deleted FROM history WHERE rev > ? AND rev <= ? ORDER BY rev LIMIT ?");
    this.delHist = db.prepare("DELETE FROM history WHERE rev = ?");
    this.delLiveTombstone = db.prepare("DELETE FROM live WHERE key = ? AND mod_rev = ? AND deleted = 1");
    this.setVacuumed = db.prepare("UPDATE meta SET vacuumed_rev = ? WHERE id = 1");
  }

  /**
   * One short transaction over history rows in (vacuumedRev, compactRev]: stops after
   * `maxRows` rows or once `budgetMs` has passed (checked every 64 rows), whichever
   * comes first. Returns the new vacuumed revision.
   */
  step(vacuumedRev: number, compactRev: number, maxRows: number, budgetMs: number): { vacuumedRev: number; examined: number } {
    if (vacuumedRev >= compactRev) return { vacuumedRev, examined: 0 };
    const deadline = performance.now() + budgetMs;
    // Vacuum is physical upkeep that can simply be redone, so its commit need not wait
    // for an fsync; the next durable commit syncs the WAL up to and including it.
    this.db.exec("PRAGMA synchronous = NORMAL");
    try {
      return this.db.transaction(() => this.vacuumRows(vacuumedRev, compactRev, maxRows, deadline))();
    } finally {
      this.db.exec(`PRAGMA synchronous = ${this.syncPragma}`);
    }
  }

  private vacuumRows(from: number, compactRev: number, maxRows: number, deadline: number): { vacuumedRev: number; examined: number } {
    let upTo = from;
    let examined = 0;
    while (examined < maxRows) {
      const want = Math.min(64, maxRows - examined);
      const rows = this.scan.all(upTo, compactRev, want);
      for (const r of rows) {
        if (r.prev_rev) this.delHist.run(r.prev_rev);
        if (r.deleted) {
          this.delHist.run(r.rev);
          this.delLiveTombstone.run(r.key, r.rev);
        }
      }
      examined += rows.length;
      if (rows.length < want) {
        upTo = compactRev;
        break;
      }
      upTo = rows[rows.length - 1]!.rev;
      if (performance.now() >= deadline) break;
    }
    this.setVacuumed.run(upTo);
    return { vacuumedRev: upTo, examined };
  }

  /** Frees up to `maxPages` free pages back to the file system. Returns the free pages left. */
  reclaim(maxPages: number): number {
    const free = (this.db.query("PRAGMA freelist_count").get() as { freelist_count: number }).freelist_count;
    if (free === 0) return 0;
    this.db.exec(`PRAGMA incremental_vacuum(${Math.max(1, Math.floor(maxPages))})`);
    return (this.db.query("PRAGMA freelist_count").get() as { freelist_count: number }).freelist_count;
  }

  /** Copies the WAL into the database and truncates the WAL file. */
  checkpoint(): void {
    this.db.query("PRAGMA wal_checkpoint(TRUNCATE)").get();
  }
}

/**
 * SHA-256 of the logical state: revision, compact revision, applied index, live
 * keys with values, history above the compact revision, and leases. Equal on
 * replicas at the same applied index, whatever their vacuum progress.
 */
export function digestState(db: Database): string {
  const h = new Bun.CryptoHasher("sha256");
  const meta = db.query("SELECT applied_index, rev, compact_rev FROM meta WHERE id = 1").values()[0]!;
  h.update(JSON.stringify(meta));
  const compactRev = meta[2] as number;
  for (const row of db
    .query("SELECT l.key, h.rev, h.create_rev, h.version, h.lease, h.value FROM live l JOIN history h ON h.rev = l.mod_rev WHERE l.deleted = 0 ORDER BY l.key")
    .values()) {
    h.update(JSON.stringify(row));
  }
  for (const row of db
    .query("SELECT rev, key, create_rev, version, lease, prev_rev, deleted, value FROM history WHERE rev > ? ORDER BY rev")
    .values(compactRev)) {
    h.update(JSON.stringify(row));
  }
  for (const row of db.query("SELECT id, ttl, expiry FROM leases ORDER BY id").values()) h.update(JSON.stringify(row));
  for (const row of db.query("SELECT lease, key FROM lease_keys ORDER BY lease, key").values()) h.update(JSON.stringify(row));
  return h.digest("hex");
}
