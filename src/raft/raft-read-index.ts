/**
 * @module raft/raft-read-index
 * The leader's side of ReadIndex (etcd-io/raft raft.go, "safe" mode): record the commit
 * index when a read arrives, confirm leadership with a heartbeat round, then release
 * the read with that index, as a local ReadState or a MsgReadIndexResp to the follower
 * that forwarded it. Reads wait until the leader committed an entry of its own term.
 */
import type { Raft } from "./raft.ts";
import { type Message, NONE, newMessage } from "./types.ts";

/** Records a read state for a local request, or builds the response for a remote one. */
export function responseToReadIndexReq(r: Raft, req: Message, readIndex: number): Message | undefined {
  if (req.from === NONE || req.from === r.id) {
    r.readStates.push({ index: readIndex, requestCtx: req.entries[0]?.data ?? "" });
    return undefined;
  }
  return newMessage({ type: "MsgReadIndexResp", to: req.from, index: readIndex, entries: req.entries });
}

/** Releases reads that waited for the first commit of this leader's term. */
export function releasePendingReadIndexMessages(r: Raft): void {
  if (r.pendingReadIndexMessages.length === 0) return;
  if (!r.committedEntryInCurrentTerm()) return;
  const msgs = r.pendingReadIndexMessages;
  r.pendingReadIndexMessages = [];
  for (const m of msgs) sendReadIndexResponse(r, m);
}

/** Starts a ReadIndex round: record the commit index, then confirm leadership by heartbeat. */
export function sendReadIndexResponse(r: Raft, m: Message): void {
  r.readOnly.addRequest(r.raftLog.committed, m);
  const ctx = r.readOnly.heartbeatCtx();
  r.readOnly.recvAck(r.id, ctx);
  const released = r.readOnly.maybeAdvance(r.trk.voters);
  for (const rs of released) {
    const resp = responseToReadIndexReq(r, rs.req, rs.index);
    if (resp !== undefined) r.send(resp);
  }
  if (released.length === 0) r.bcastHeartbeatWithCtx(ctx);
}

/** A heartbeat response acknowledged read position `ctx`: release what a quorum confirmed. */
export function recvReadIndexAck(r: Raft, from: number, ctx: string): void {
  r.readOnly.recvAck(from, ctx);
  for (const rs of r.readOnly.maybeAdvance(r.trk.voters)) {
    const resp = responseToReadIndexReq(r, rs.req, rs.index);
    if (resp !== undefined) r.send(resp);
  }
}
