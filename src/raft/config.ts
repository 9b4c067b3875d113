/**
 * @module raft/config
 * Configuration of a Raft node (etcd-io/raft raft.go `Config`) and its validation, with
 * kite's defaults: PreVote and CheckQuorum on, 1 MiB messages, 256 messages in flight.
 */
import { InvalidConfigError } from "./errors.ts";
import type { RaftStorage } from "./storage.ts";
import { NO_LIMIT } from "./types.ts";

export interface RaftConfig {
  /** This node's id (> 0, never reused). */
  id: number;
  /** Ticks without hearing from a leader before campaigning (randomized in [e, 2e)). */
  electionTick: number;
  /** Ticks between leader heartbeats (< electionTick; 1/10 of it is suggested). */
  heartbeatTick: number;
  storage: RaftStorage;
  /** Uniform random integer in [0, n): injected so that the core stays deterministic. */
  random: (n: number) => number;
  /** Last applied index when restarting (entries <= applied are not handed out again). */
  applied?: number;
  /** Max bytes of entries per MsgApp (0: one entry per message). Default 1 MiB. */
  maxSizePerMsg?: number;
  /** Max bytes of committed entries outstanding for application. Default 16 MiB. */
  maxCommittedSizePerReady?: number;
  /** Max bytes of uncommitted entries on the leader before proposals are dropped (0: no limit). */
  maxUncommittedEntriesSize?: number;
  /** Max MsgApp messages in flight per follower in replicate state. Default 256. */
  maxInflightMsgs?: number;
  /** Max bytes in flight per follower (0: no limit). */
  maxInflightBytes?: number;
  /** Leader steps down without an active quorum for an election timeout. Default true. */
  checkQuorum?: boolean;
  /** Pre-vote before campaigning (thesis §9.6). Default true. */
  preVote?: boolean;
  /** Followers drop proposals instead of forwarding them to the leader. */
  disableProposalForwarding?: boolean;
  /** Leader steps down when removed from the membership. Default true. */
  stepDownOnRemoval?: boolean;
  /**
   * Deliberate bugs, for proving that the simulation's checkers can fail (canaries).
   * Never set outside tests.
   */
  testingKnobs?: {
    /** Grant votes without checking that the candidate's log is up to date. */
    skipElectionRestriction?: boolean;
    /** Answer ReadIndex at once from the local commit index, without confirming leadership. */
    unsafeReadIndex?: boolean;
  };
}

export interface ResolvedConfig {
  maxSizePerMsg: number;
  maxCommittedSizePerReady: number;
  maxUncommittedEntriesSize: number;
  maxInflightMsgs: number;
  maxInflightBytes: number;
}

export function validateConfig(c: RaftConfig): ResolvedConfig {
  if (!Number.isSafeInteger(c.id) || c.id <= 0) throw new InvalidConfigError(`invalid node id ${c.id}`);
  if (!Number.isSafeInteger(c.heartbeatTick) || c.heartbeatTick <= 0) {
    throw new InvalidConfigError("heartbeat tick must be greater than 0");
  }
  if (!Number.isSafeInteger(c.electionTick) || c.electionTick <= c.heartbeatTick) {
    throw new InvalidConfigError("election tick must be greater than heartbeat tick");
  }
  const maxSizePerMsg = c.maxSizePerMsg ?? 1 << 20;
  const maxInflightMsgs = c.maxInflightMsgs ?? 256;
  if (maxInflightMsgs <= 0) throw new InvalidConfigError("max inflight messages must be greater than 0");
  const maxInflightBytes = c.maxInflightBytes ?? 0;
  if (maxInflightBytes !== 0 && maxInflightBytes < maxSizePerMsg) {
    throw new InvalidConfigError("max inflight bytes must be >= max message size");
  }
  return {
    maxSizePerMsg,
    maxCommittedSizePerReady: c.maxCommittedSizePerReady || 16 << 20,
    maxUncommittedEntriesSize: c.maxUncommittedEntriesSize || NO_LIMIT,
    maxInflightMsgs,
    maxInflightBytes,
  };
}
