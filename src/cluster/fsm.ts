/**
 * @module cluster/fsm
 * StoreFsm: the MVCC state machine (state.db) as the Raft driver applies it.
 *
 * - Entries carry `encodeProposal({id, cmd})`; conf-change entries, the leader's empty
 *   entries and malformed payloads apply as no-ops (identically on every member) but
 *   still advance the applied index.
 * - A snapshot image is a `VACUUM INTO` copy of state.db (read into memory to send).
 * - The Raft log's own snapshot records are only markers (LOCAL_SNAPSHOT_MARKER): the
 *   state itself is state.db, checkpointed durably before the log is compacted, so a
 *   restart never needs the image; finding a marker newer than state.db means state.db
 *   lost writes it had promised to keep, which is reported as corruption.
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { ApplyStateMachine } from "./driver.ts";
import { decodeProposal, MalformedProposalError } from "./proposal.ts";
import { StorageCorruptError } from "../raft/errors.ts";
import type { Entry, Snapshot } from "../raft/types.ts";
import type { Command, CommandResult, CommittedEntry } from "../store/commands.ts";
import type { MvccStateMachine } from "../store/mvcc.ts";

/** The data of a snapshot record in raft.db whose state lives in state.db. */
export const LOCAL_SNAPSHOT_MARKER = new TextEncoder().encode("kite:state.db");

const NOOP: Command = { op: "noop" };

export interface DecodedEntry {
  index: number;
  /** The proposer's request id, or null for no-op entries. */
  id: string | null;
  cmd: Command;
}

/** The command an entry carries (no-op for conf changes, empty and malformed entries). */
export function decodeEntry(e: Entry): DecodedEntry {
  if (e.type !== "normal") return { index: e.index, id: null, cmd: NOOP };
  try {
    const p = decodeProposal(e.data);
    return p === null ? { index: e.index, id: null, cmd: NOOP } : { index: e.index, id: p.id, cmd: p.cmd };
  } catch (err) {
    if (err instanceof MalformedProposalError) return { index: e.index, id: null, cmd: NOOP };
    throw err;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export class StoreFsm implements ApplyStateMachine<CommandResult> {
  private seq = 0;
  /** The decoded entries of the last applyEntries call (the store resolves its waiters from them). */
  lastDecoded: DecodedEntry[] = [];

  constructor(readonly sm: MvccStateMachine) {}

  appliedIndex(): number {
    return this.sm.appliedIndex();
  }

  applyEntries(entries: Entry[]): CommandResult[] {
    const decoded = entries.map(decodeEntry);
    this.lastDecoded = decoded;
    const batch: CommittedEntry[] = decoded.map((d) => ({ index: d.index, cmd: d.cmd }));
    return this.sm.applyBatch(batch);
  }

  private scratchFile(): string {
    return join(dirname(this.sm.path), `snapshot-${process.pid}-${++this.seq}.tmp.db`);
  }

  snapshotData(): Uint8Array {
    const file = this.scratchFile();
    rmSync(file, { force: true });
    try {
      this.sm.snapshotTo(file);
      return new Uint8Array(readFileSync(file));
    } finally {
      rmSync(file, { force: true });
    }
  }

  restoreSnapshot(snap: Snapshot): void {
    const index = snap.metadata.index;
    if (sameBytes(snap.data, LOCAL_SNAPSHOT_MARKER)) {
      throw new StorageCorruptError(
        `state.db is at applied index ${this.sm.appliedIndex()} but the raft log was compacted at ${index}: the state database lost durable writes`,
      );
    }
    if (snap.data.length === 0) {
      // The bootstrap snapshot: the empty state at `index`.
      if (this.sm.appliedIndex() !== 0) {
        throw new StorageCorruptError(`cannot apply an empty bootstrap snapshot at ${index} over state at ${this.sm.appliedIndex()}`);
      }
      const noops: CommittedEntry[] = [];
      for (let i = 1; i <= index; i++) noops.push({ index: i, cmd: NOOP });
      if (noops.length > 0) this.sm.applyBatch(noops);
      return;
    }
    const file = this.scratchFile();
    try {
      writeFileSync(file, snap.data);
      this.sm.restoreFrom(file);
    } finally {
      rmSync(file, { force: true });
    }
    if (this.sm.appliedIndex() !== index) {
      throw new StorageCorruptError(`snapshot image is at applied index ${this.sm.appliedIndex()}, its metadata says ${index}`);
    }
  }

  /** Makes everything applied so far durable (the WAL is checkpointed into the database file, which is synced). */
  makeDurable(): void {
    this.sm.checkpoint();
  }
}
