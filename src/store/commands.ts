/**
 * @module store/commands
 * The deterministic commands of the state machine. The proposer (the local store's
 * writer, or the Raft leader's client layer) stamps every time and random value into
 * the command, so applying the same log on every replica gives byte-identical state.
 * Applying never reads the clock or a random source.
 */
import type { KeyValue } from "./types.ts";

export type Command =
  | { op: "create"; key: string; value: string; lease?: number }
  | { op: "update"; key: string; value: string; expectedRevision: number; lease?: number }
  /** expectedRevision 0: unconditional (still fails when the key is absent). */
  | { op: "delete"; key: string; expectedRevision: number }
  | { op: "compact"; revision: number }
  /** `id` is chosen by the proposer (unique random), `now` is the proposer's clock in ms. */
  | { op: "leaseGrant"; id: number; ttl: number; now: number }
  | { op: "leaseRevoke"; id: number }
  | { op: "leaseKeepAlive"; id: number; now: number }
  /** Proposed by a new leader: pushes every lease's expiry to at least now + ttl (etcd's Promote). */
  | { op: "leasePromote"; now: number }
  /** Does nothing but advance the applied index (Raft's empty entry on election, barriers). */
  | { op: "noop" };

export type CommandResult =
  /** error "LeaseNotFound": the write named a lease that does not exist (nothing changed). */
  | { op: "txn"; succeeded: boolean; revision: number; kv: KeyValue | null; error?: "LeaseNotFound" }
  | { op: "compact"; revision: number; error?: "Compacted" | "FutureRevision" }
  | { op: "lease"; id: number; ttl: number; error?: "LeaseNotFound" }
  /**
   * Also returned for an entry at or below the applied index (`duplicate`: skipped on replay)
   * and for a malformed command (`error`: rejected identically on every replica).
   */
  | { op: "noop"; revision: number; duplicate?: true; error?: "InvalidCommand" };

/** One committed log entry to apply: `index` is its position in the (Raft or local) log. */
export interface CommittedEntry {
  index: number;
  cmd: Command;
}

export function encodeCommand(cmd: Command): string {
  return JSON.stringify(cmd);
}

export function decodeCommand(data: string): Command {
  return JSON.parse(data) as Command;
}
