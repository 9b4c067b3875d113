/**
 * @module raft/types
 * The data the Raft core exchanges with its host: messages, log entries, the durable
 * hard state, snapshots, membership (ConfState / ConfChange) and the Ready batch.
 * Semantics follow etcd-io/raft (raftpb, node.go `Ready`); indexes and terms are plain
 * numbers (safe up to 2^53). Entry data is an opaque string.
 */

export type MessageType =
  // local messages: never travel over the network
  | "MsgHup"
  | "MsgBeat"
  | "MsgUnreachable"
  | "MsgSnapStatus"
  | "MsgCheckQuorum"
  | "MsgStorageAppendResp"
  | "MsgStorageApplyResp"
  | "MsgForgetLeader"
  // messages between peers (MsgProp, MsgReadIndex and MsgTransferLeader may also be local)
  | "MsgProp"
  | "MsgApp"
  | "MsgAppResp"
  | "MsgVote"
  | "MsgVoteResp"
  | "MsgSnap"
  | "MsgHeartbeat"
  | "MsgHeartbeatResp"
  | "MsgTransferLeader"
  | "MsgTimeoutNow"
  | "MsgReadIndex"
  | "MsgReadIndexResp"
  | "MsgPreVote"
  | "MsgPreVoteResp";

const LOCAL_TYPES: ReadonlySet<MessageType> = new Set<MessageType>([
  "MsgHup",
  "MsgBeat",
  "MsgUnreachable",
  "MsgSnapStatus",
  "MsgCheckQuorum",
  "MsgStorageAppendResp",
  "MsgStorageApplyResp",
  "MsgForgetLeader",
]);

const RESPONSE_TYPES: ReadonlySet<MessageType> = new Set<MessageType>([
  "MsgAppResp",
  "MsgVoteResp",
  "MsgHeartbeatResp",
  "MsgUnreachable",
  "MsgReadIndexResp",
  "MsgPreVoteResp",
]);

/** True for messages a node only generates for itself (they must be rejected from the network). */
export function isLocalMsg(t: MessageType): boolean {
  return LOCAL_TYPES.has(t);
}

/** True for messages that answer a request (the sender must be a known peer). */
export function isResponseMsg(t: MessageType): boolean {
  return RESPONSE_TYPES.has(t);
}

export function voteRespMsgType(t: MessageType): MessageType {
  if (t === "MsgVote") return "MsgVoteResp";
  if (t === "MsgPreVote") return "MsgPreVoteResp";
  throw new TypeError(`not a vote message: ${t}`);
}

export type EntryType = "normal" | "confChange";

export interface Entry {
  term: number;
  index: number;
  type: EntryType;
  /** Opaque payload: the store's encoded command, or an encoded ConfChange. "" for the leader's empty entry. */
  data: string;
}

export interface HardState {
  term: number;
  vote: number;
  commit: number;
}

export const EMPTY_HARD_STATE: HardState = Object.freeze({ term: 0, vote: 0, commit: 0 });

export function isEmptyHardState(hs: HardState): boolean {
  return hs.term === 0 && hs.vote === 0 && hs.commit === 0;
}

export function hardStateEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

/** The membership: voters and non-voting learners (single-step changes, no joint configs). */
export interface ConfState {
  voters: number[];
  learners: number[];
}

export interface SnapshotMetadata {
  index: number;
  term: number;
  confState: ConfState;
}

export interface Snapshot {
  metadata: SnapshotMetadata;
  /** Opaque state-machine image at metadata.index. */
  data: Uint8Array;
}

export function emptySnapshot(): Snapshot {
  return { metadata: { index: 0, term: 0, confState: { voters: [], learners: [] } }, data: new Uint8Array(0) };
}

export function isEmptySnap(s: Snapshot | undefined): boolean {
  return s === undefined || s.metadata.index === 0;
}

export type ConfChangeType = "addNode" | "addLearnerNode" | "removeNode";

/**
 * One single-step membership change. "addNode" on a learner promotes it; "addLearnerNode"
 * on a voter demotes it. Node ids are never reused.
 */
export interface ConfChange {
  type: ConfChangeType;
  nodeId: number;
  /** Opaque to Raft (e.g. the new member's address). */
  context?: string;
}

export function encodeConfChange(cc: ConfChange): string {
  return JSON.stringify(cc);
}

export function decodeConfChange(data: string): ConfChange {
  const cc = JSON.parse(data) as ConfChange;
  if (
    typeof cc !== "object" ||
    cc === null ||
    !["addNode", "addLearnerNode", "removeNode"].includes(cc.type) ||
    !Number.isSafeInteger(cc.nodeId)
  ) {
    throw new TypeError(`malformed conf change: ${data}`);
  }
  return cc;
}

export interface Message {
  type: MessageType;
  to: number;
  from: number;
  term: number;
  /** Term of the entry at `index` (MsgApp), the candidate's last term (MsgVote), or a reject hint's term. */
  logTerm: number;
  index: number;
  entries: Entry[];
  commit: number;
  snapshot?: Snapshot;
  reject: boolean;
  rejectHint: number;
  /** Heartbeat read-index context, or "CampaignTransfer" on a transfer vote. */
  context: string;
}

/** Builds a message with defaults for every field that is not given. */
export function newMessage(m: Partial<Message> & { type: MessageType }): Message {
  return {
    type: m.type,
    to: m.to ?? 0,
    from: m.from ?? 0,
    term: m.term ?? 0,
    logTerm: m.logTerm ?? 0,
    index: m.index ?? 0,
    entries: m.entries ?? [],
    commit: m.commit ?? 0,
    snapshot: m.snapshot,
    reject: m.reject ?? false,
    rejectHint: m.rejectHint ?? 0,
    context: m.context ?? "",
  };
}

export type StateType = "follower" | "candidate" | "leader" | "preCandidate";

export interface SoftState {
  lead: number;
  raftState: StateType;
}

/** A linearizable read point: once applied >= index, reads requested with `requestCtx` may be served. */
export interface ReadState {
  index: number;
  requestCtx: string;
}

export type SnapshotStatus = "finish" | "failure";

/**
 * The work the host must do, in this order (etcd's Ready contract):
 *  1. durably save `snapshot`, `entries` and `hardState` (one atomic write; must be synced when `mustSync`);
 *  2. send `messages`;
 *  3. apply `snapshot` then `committedEntries` to the state machine (call applyConfChange for conf changes);
 *  4. call advance().
 * `committedEntries` only ever contains entries that are already durable in local storage.
 */
export interface Ready {
  softState?: SoftState;
  hardState?: HardState;
  readStates: ReadState[];
  entries: Entry[];
  snapshot?: Snapshot;
  committedEntries: Entry[];
  messages: Message[];
  mustSync: boolean;
}

/** etcd's MustSync: term, vote or new entries require an fsync; a commit-index change alone does not. */
export function mustSync(st: HardState, prev: HardState, entryCount: number): boolean {
  return entryCount !== 0 || st.vote !== prev.vote || st.term !== prev.term;
}

/** Size accounting used by flow control (approximate wire size of an entry). */
export function entrySize(e: Entry): number {
  return e.data.length + 24;
}

export function payloadSize(e: Entry): number {
  return e.data.length;
}

export function entriesSize(ents: readonly Entry[]): number {
  let s = 0;
  for (const e of ents) s += entrySize(e);
  return s;
}

export function payloadsSize(ents: readonly Entry[]): number {
  let s = 0;
  for (const e of ents) s += payloadSize(e);
  return s;
}

/**
 * Returns the longest prefix of `ents` whose total size is <= maxSize, but always at least
 * one entry (etcd's limitSize).
 */
export function limitSize(ents: Entry[], maxSize: number): Entry[] {
  if (ents.length === 0) return ents;
  let size = entrySize(ents[0]!);
  let n = 1;
  for (; n < ents.length; n++) {
    size += entrySize(ents[n]!);
    if (size > maxSize) break;
  }
  return n === ents.length ? ents : ents.slice(0, n);
}

export const NO_LIMIT = Number.MAX_SAFE_INTEGER;

/** The id meaning "no node" (no leader, no vote). Node ids are positive integers. */
export const NONE = 0;
