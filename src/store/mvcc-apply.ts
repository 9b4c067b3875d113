/**
 * @module store/mvcc-apply
 * Applies one command to the state tables inside the caller's transaction.
 * Deterministic: it reads only the database and the command (never the clock
 * or a random source), and it advances the revision only for a write that
 * succeeds, so revisions are gap-free and identical on every replica.
 */
import type { Database, Statement } from "bun:sqlite";
import type { Command, CommandResult } from "./commands.ts";
import type { KeyValue, WatchEvent } from "./types.ts";
import { HISTORY_COLUMNS, kvOf, tombstoneKv, type HistoryRow, type LiveRow } from "./mvcc-rows.ts";
import { commandProblem } from "./validate.ts";

type Result<K extends CommandResult["op"]> = Extract<CommandResult, { op: K }>;

export class Applier {
  private readonly liveGet: Statement<LiveRow, [string]>;
  private readonly histGet: Statement<HistoryRow, [number]>;
  private readonly histInsert: Statement<unknown, [number, string, number, number, number, number, number, string]>;
  private readonly liveUpsert: Statement<unknown, [string, number, number, number, number, number]>;
  private readonly leaseExists: Statement<{ ttl: number }, [number]>;
  private readonly leaseKeyAdd: Statement<unknown, [number, string]>;
  private readonly leaseKeyDel: Statement<unknown, [number, string]>;
  private readonly leaseKeysOf: Statement<{ key: string }, [number]>;
  private readonly leaseUpsert: Statement<unknown, [number, number, number]>;
  private readonly leaseSetExpiry: Statement<unknown, [number, number]>;
  private readonly leaseDelete: Statement<unknown, [number]>;
  private readonly leasePromoteAll: Statement<unknown, [number]>;

  constructor(db: Database, public rev: number, public compactRev: number) {
    this.liveGet = db.prepare("SELECT mod_rev, create_rev, version, lease, deleted FROM live WHERE key = ?");
    this.histGet = db.prepare(`SELECT ${HISTORY_COLUMNS} FROM history WHERE rev = ?`);
    this.histInsert = db.prepare(
      "INSERT INTO history (rev, key, create_rev, version, lease, prev_rev, deleted, value) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    );
    this.liveUpsert = db.prepare(
      "INSERT OR REPLACE INTO live (key, mod_rev, create_rev, version, lease, deleted) VALUES (?, ?, ?, ?, ?, ?)",
    );
    this.leaseExists = db.prepare("SELECT ttl FROM leases WHERE id = ?");
    this.leaseKeyAdd = db.prepare("INSERT OR IGNORE INTO lease_keys (lease, key) VALUES (?, ?)");
    this.leaseKeyDel = db.prepare("DELETE FROM lease_keys WHERE lease = ? AND key = ?");
    this.leaseKeysOf = db.prepare("SELECT key FROM lease_keys WHERE lease = ? ORDER BY key");
    this.leaseUpsert = db.prepare("INSERT OR REPLACE INTO leases (id, ttl, expiry) VALUES (?, ?, ?)");
    this.leaseSetExpiry = db.prepare("UPDATE leases SET expiry = ? WHERE id = ?");
    this.leaseDelete = db.prepare("DELETE FROM leases WHERE id = ?");
    this.leasePromoteAll = db.prepare("UPDATE leases SET expiry = max(expiry, ? + ttl * 1000)");
  }

  /** Applies `cmd`, appending the watch events it produces to `events`. */
  apply(cmd: Command, events: WatchEvent[]): CommandResult {
    if (commandProblem(cmd) !== null) return { op: "noop", revision: this.rev, error: "InvalidCommand" };
    switch (cmd.op) {
      case "create":
        return this.create(cmd.key, cmd.value, cmd.lease ?? 0, events);
      case "update":
        return this.update(cmd.key, cmd.value, cmd.expectedRevision, cmd.lease ?? 0, events);
      case "delete":
        return this.delete(cmd.key, cmd.expectedRevision, events);
      case "compact":
        return this.compact(cmd.revision);
      case "leaseGrant":
        this.leaseUpsert.run(cmd.id, cmd.ttl, cmd.now + cmd.ttl * 1000);
        return { op: "lease", id: cmd.id, ttl: cmd.ttl };
      case "leaseKeepAlive":
        return this.leaseKeepAlive(cmd.id, cmd.now);
      case "leaseRevoke":
        return this.leaseRevoke(cmd.id, events);
      case "leasePromote":
        this.leasePromoteAll.run(cmd.now);
        return { op: "noop", revision: this.rev };
      case "noop":
        return { op: "noop", revision: this.rev };
    }
  }

  private currentKv(live: LiveRow | null): KeyValue | null {
    if (!live || live.deleted) return null;
    const h = this.histGet.get(live.mod_rev);
    return h ? kvOf(h) : null;
  }

  private failed(live: LiveRow | null): Result<"txn"> {
    return { op: "txn", succeeded: false, revision: this.rev, kv: this.currentKv(live) };
  }

  private leaseMissing(lease: number): boolean {
    return lease !== 0 && this.leaseExists.get(lease) === null;
  }

  private create(key: string, value: string, lease: number, events: WatchEvent[]): Result<"txn"> {
    const cur = this.liveGet.get(key);
    if (cur && !cur.deleted) return this.failed(cur);
    if (this.leaseMissing(lease)) return { ...this.failed(cur), error: "LeaseNotFound" };
    const rev = ++this.rev;
    this.histInsert.run(rev, key, rev, 1, lease, cur ? cur.mod_rev : 0, 0, value);
    this.liveUpsert.run(key, rev, rev, 1, lease, 0);
    if (lease) this.leaseKeyAdd.run(lease, key);
    const kv: KeyValue = { key, value, createRevision: rev, modRevision: rev, version: 1, lease };
    events.push({ type: "put", kv, prevKv: null });
    return { op: "txn", succeeded: true, revision: rev, kv };
  }

  private update(key: string, value: string, expected: number, lease: number, events: WatchEvent[]): Result<"txn"> {
    const cur = this.liveGet.get(key);
    if (!cur || cur.deleted || cur.mod_rev !== expected) return this.failed(cur);
    if (this.leaseMissing(lease)) return { ...this.failed(cur), error: "LeaseNotFound" };
    const prevKv = this.currentKv(cur);
    const rev = ++this.rev;
    const version = cur.version + 1;
    this.histInsert.run(rev, key, cur.create_rev, version, lease, cur.mod_rev, 0, value);
    this.liveUpsert.run(key, rev, cur.create_rev, version, lease, 0);
    if (cur.lease !== lease) {
      if (cur.lease) this.leaseKeyDel.run(cur.lease, key);
      if (lease) this.leaseKeyAdd.run(lease, key);
    }
    const kv: KeyValue = { key, value, createRevision: cur.create_rev, modRevision: rev, version, lease };
    events.push({ type: "put", kv, prevKv });
    return { op: "txn", succeeded: true, revision: rev, kv };
  }

  private delete(key: string, expected: number, events: WatchEvent[]): Result<"txn"> {
    const cur = this.liveGet.get(key);
    if (!cur || cur.deleted || (expected !== 0 && cur.mod_rev !== expected)) return this.failed(cur);
    const prevKv = this.currentKv(cur)!;
    const rev = ++this.rev;
    this.histInsert.run(rev, key, 0, 0, 0, cur.mod_rev, 1, "");
    this.liveUpsert.run(key, rev, 0, 0, 0, 1);
    if (cur.lease) this.leaseKeyDel.run(cur.lease, key);
    events.push({ type: "delete", kv: tombstoneKv(key, rev), prevKv });
    return { op: "txn", succeeded: true, revision: rev, kv: prevKv };
  }

  private compact(revision: number): Result<"compact"> {
    if (revision <= this.compactRev) return { op: "compact", revision: this.compactRev, error: "Compacted" };
    if (revision > this.rev) return { op: "compact", revision: this.rev, error: "FutureRevision" };
    this.compactRev = revision;
    return { op: "compact", revision };
  }

  private leaseKeepAlive(id: number, now: number): Result<"lease"> {
    const lease = this.leaseExists.get(id);
    if (!lease) return { op: "lease", id, ttl: 0, error: "LeaseNotFound" };
    this.leaseSetExpiry.run(now + lease.ttl * 1000, id);
    return { op: "lease", id, ttl: lease.ttl };
  }

  /** Deletes every attached key (one revision each, in key order, like etcd's revoke), then the lease. */
  private leaseRevoke(id: number, events: WatchEvent[]): Result<"lease"> {
    const lease = this.leaseExists.get(id);
    if (!lease) return { op: "lease", id, ttl: 0, error: "LeaseNotFound" };
    for (const { key } of this.leaseKeysOf.all(id)) this.delete(key, 0, events);
    this.leaseDelete.run(id);
    return { op: "lease", id, ttl: lease.ttl };
  }
}
