/**
 * @module sim/fsm
 * State machines for the simulation, behind one interface: the real MvccStateMachine
 * (src/store/mvcc.ts) on an in-memory database, and TinyKv, a small independent model of
 * the same create/update/delete semantics used to cross-check the applied log.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ApplyStateMachine } from "../../src/cluster/driver.ts";
import { decodeProposal } from "../../src/cluster/proposal.ts";
import type { Entry, Snapshot } from "../../src/raft/types.ts";
import type { Command, CommandResult, CommittedEntry } from "../../src/store/commands.ts";
import { MvccStateMachine } from "../../src/store/mvcc.ts";
import type { KeyValue } from "../../src/store/types.ts";

export interface SimFsm extends ApplyStateMachine<CommandResult> {
  /** Hash of the full state (implementation specific; equal across replicas of one kind). */
  digest(): string;
  /** A cheap hash of the visible state and applied index, compared after every apply batch. */
  quickDigest(): string;
  /** The visible key-value state in a form comparable across implementations. */
  canonical(): string;
  close(): void;
}

/** Keys the workload writes live under this prefix. */
export const KEY_PREFIX = "/sim/";

function canonicalOf(rev: number, kvs: KeyValue[]): string {
  const rows = kvs
    .map((kv) => [kv.key, kv.value, kv.createRevision, kv.modRevision, kv.version, kv.lease] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return JSON.stringify({ rev, rows });
}

const NOOP: Command = { op: "noop" };

/** The command carried by an entry (conf changes and empty entries are no-ops). */
export function commandOf(e: Entry): Command {
  if (e.type !== "normal") return NOOP;
  return decodeProposal(e.data)?.cmd ?? NOOP;
}

/** A tiny independent model of the store's key-value semantics. */
export class TinyKv implements SimFsm {
  private kv = new Map<string, KeyValue>();
  private rev = 0;
  private applied = 0;

  appliedIndex(): number {
    return this.applied;
  }

  applyEntries(entries: Entry[]): CommandResult[] {
    const out: CommandResult[] = [];
    for (const e of entries) {
      if (e.index <= this.applied) continue;
      if (e.index !== this.applied + 1) throw new Error(`TinyKv: gap ${this.applied} -> ${e.index}`);
      this.applied = e.index;
      out.push(this.applyCommand(commandOf(e)));
    }
    return out;
  }

  applyCommand(cmd: Command): CommandResult {
    const cur = "key" in cmd ? (this.kv.get(cmd.key) ?? null) : null;
    switch (cmd.op) {
      case "create": {
        if (cur !== null) return { op: "txn", succeeded: false, revision: this.rev, kv: cur };
        const kv: KeyValue = { key: cmd.key, value: cmd.value, createRevision: ++this.rev, modRevision: this.rev, version: 1, lease: cmd.lease ?? 0 };
        this.kv.set(cmd.key, kv);
        return { op: "txn", succeeded: true, revision: this.rev, kv };
      }
      case "update": {
        if (cur === null || cur.modRevision !== cmd.expectedRevision) {
          return { op: "txn", succeeded: false, revision: this.rev, kv: cur };
        }
        const kv: KeyValue = { ...cur, value: cmd.value, modRevision: ++this.rev, version: cur.version + 1, lease: cmd.lease ?? 0 };
        this.kv.set(cmd.key, kv);
        return { op: "txn", succeeded: true, revision: this.rev, kv };
      }
      case "delete": {
        if (cur === null || (cmd.expectedRevision !== 0 && cur.modRevision !== cmd.expectedRevision)) {
          return { op: "txn", succeeded: false, revision: this.rev, kv: cur };
        }
        this.kv.delete(cmd.key);
        ++this.rev;
        return { op: "txn", succeeded: true, revision: this.rev, kv: cur };
      }
      default:
        return { op: "noop", revision: this.rev };
    }
  }

  get(key: string): KeyValue | null {
    return this.kv.get(key) ?? null;
  }

  revision(): number {
    return this.rev;
  }

  snapshotData(): Uint8Array {
    const rows = [...this.kv.values()].sort((a, b) => (a.key < b.key ? -1 : 1));
    return new TextEncoder().encode(JSON.stringify({ rows, rev: this.rev, applied: this.applied }));
  }

  restoreSnapshot(snap: Snapshot): void {
    this.kv.clear();
    this.rev = 0;
    if (snap.data.length > 0) {
      const img = JSON.parse(new TextDecoder().decode(snap.data)) as { rows: KeyValue[]; rev: number; applied: number };
      for (const r of img.rows) this.kv.set(r.key, r);
      this.rev = img.rev;
      if (img.applied !== snap.metadata.index) throw new Error(`TinyKv image at ${img.applied}, snapshot says ${snap.metadata.index}`);
    }
    this.applied = snap.metadata.index;
  }

  canonical(): string {
    return canonicalOf(this.rev, [...this.kv.values()]);
  }

  quickDigest(): string {
    return this.digest();
  }

  digest(): string {
    const h = new Bun.CryptoHasher("sha256");
    h.update(`${this.applied}/${this.rev}`);
    for (const k of [...this.kv.keys()].sort()) h.update(JSON.stringify(this.kv.get(k)));
    return h.digest("hex");
  }

  close(): void {}
}

/** A scratch directory for snapshot files, removed by dispose(). */
export class ScratchDir {
  readonly path = mkdtempSync(join(tmpdir(), "kite-sim-"));
  private n = 0;
  file(): string {
    return join(this.path, `snap-${this.n++}.db`);
  }
  dispose(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}

/** The real state machine (src/store/mvcc.ts) on an in-memory database. */
export class MvccFsm implements SimFsm {
  private sm = new MvccStateMachine(":memory:", { sync: "normal" });

  constructor(private readonly scratch: ScratchDir) {}

  appliedIndex(): number {
    return this.sm.appliedIndex();
  }

  applyEntries(entries: Entry[]): CommandResult[] {
    const batch: CommittedEntry[] = entries.map((e) => ({ index: e.index, cmd: commandOf(e) }));
    return this.sm.applyBatch(batch);
  }

  snapshotData(): Uint8Array {
    // An in-memory database serializes to the same kind of image snapshotTo writes to a
    // file (without the file and fsync, which dominated the simulation's run time).
    // TODO: use a public MvccStateMachine.snapshotBytes() once the store provides one.
    const db = (this.sm as unknown as { db?: { serialize(): Uint8Array } }).db;
    if (db !== undefined && typeof db.serialize === "function") return db.serialize();
    const file = this.scratch.file();
    try {
      this.sm.snapshotTo(file);
      return new Uint8Array(readFileSync(file));
    } finally {
      rmSync(file, { force: true });
    }
  }

  restoreSnapshot(snap: Snapshot): void {
    if (snap.data.length === 0) {
      // the bootstrap snapshot: the empty state at its index
      this.sm.close();
      this.sm = new MvccStateMachine(":memory:", { sync: "normal" });
      const noops: CommittedEntry[] = [];
      for (let i = 1; i <= snap.metadata.index; i++) noops.push({ index: i, cmd: NOOP });
      if (noops.length > 0) this.sm.applyBatch(noops);
      return;
    }
    const file = this.scratch.file();
    try {
      writeFileSync(file, snap.data);
      this.sm.restoreFrom(file);
    } finally {
      rmSync(file, { force: true });
    }
    if (this.sm.appliedIndex() !== snap.metadata.index) {
      throw new Error(`MVCC image at ${this.sm.appliedIndex()}, snapshot says ${snap.metadata.index}`);
    }
  }

  digest(): string {
    return this.sm.digest();
  }

  canonical(): string {
    return canonicalOf(this.sm.currentRevision(), this.sm.range(KEY_PREFIX).kvs);
  }

  quickDigest(): string {
    return `${this.sm.appliedIndex()}/${Bun.hash(this.canonical()).toString(16)}`;
  }

  close(): void {
    this.sm.close();
  }
}
