/**
 * @module raft/raft-step
 * Role-specific message handling of the Raft state machine (etcd-io/raft raft.go
 * stepLeader / stepCandidate / stepFollower): replication acks and flow control,
 * proposals (with the one-pending-conf-change rule), ReadIndex, leadership transfer,
 * elections, and the follower's handling of appends, heartbeats and snapshots.
 */
import { ProposalDroppedError } from "./errors.ts";
import type { Raft } from "./raft.ts";
import {
  recvReadIndexAck,
  releasePendingReadIndexMessages,
  responseToReadIndexReq,
  sendReadIndexResponse,
} from "./raft-read-index.ts";
import { type Entry, type Message, NONE, decodeConfChange, newMessage } from "./types.ts";

export function stepLeader(r: Raft, m: Message): void {
  // messages that need no progress for m.from
  switch (m.type) {
    case "MsgBeat":
      r.bcastHeartbeat();
      return;
    case "MsgCheckQuorum":
      if (!r.trk.quorumActive()) r.becomeFollower(r.term, NONE);
      // everyone but us must prove activity again before the next check
      r.trk.visit((id, pr) => {
        if (id !== r.id) pr.recentActive = false;
      });
      return;
    case "MsgProp":
      stepProposal(r, m);
      return;
    case "MsgReadIndex":
      if (r.unsafeReadIndex) {
        // canary: trust the local commit index without a heartbeat round
        const resp = responseToReadIndexReq(r, m, r.raftLog.committed);
        if (resp !== undefined) r.send(resp);
        return;
      }
      // Postpone reads until this leader has committed an entry of its term: only then is
      // its commit index known to cover every entry committed by earlier leaders.
      if (!r.committedEntryInCurrentTerm()) {
        r.pendingReadIndexMessages.push(m);
        return;
      }
      sendReadIndexResponse(r, m);
      return;
    case "MsgForgetLeader":
      return;
  }

  const pr = r.trk.progress.get(m.from);
  if (pr === undefined) return;
  switch (m.type) {
    case "MsgAppResp": {
      pr.recentActive = true;
      if (m.reject) {
        let nextProbeIdx = m.rejectHint;
        if (m.logTerm > 0) {
          // skip every index of ours whose term is above the follower's term at the hint
          nextProbeIdx = r.raftLog.findConflictByTerm(m.rejectHint, m.logTerm)[0];
        }
        if (pr.maybeDecrTo(m.index, nextProbeIdx)) {
          if (pr.state === "replicate") pr.becomeProbe();
          r.maybeSendAppend(m.from);
        }
        return;
      }
      if (pr.maybeUpdate(m.index) || (pr.match === m.index && pr.state === "probe")) {
        if (pr.state === "probe") {
          pr.becomeReplicate();
        } else if (pr.state === "snapshot" && pr.match + 1 >= r.raftLog.firstIndex()) {
          // the follower can be caught up from the log again
          pr.becomeProbe();
          pr.becomeReplicate();
        } else if (pr.state === "replicate") {
          pr.inflights.freeLE(m.index);
        }
        if (r.maybeCommit()) {
          releasePendingReadIndexMessages(r);
          r.bcastAppend();
        }
        if (r.id !== m.from) {
          // flow control may now allow several (size-limited) messages
          while (r.maybeSendAppend(m.from)) {
            // keep sending
          }
        }
        if (m.from === r.leadTransferee && pr.match === r.raftLog.lastIndex()) r.sendTimeoutNow(m.from);
      }
      return;
    }
    case "MsgHeartbeatResp": {
      pr.recentActive = true;
      pr.msgAppProbesPaused = false;
      // also unsticks a follower whose inflight messages were all lost
      r.maybeSendAppend(m.from);
      if (m.context !== "") recvReadIndexAck(r, m.from, m.context);
      return;
    }
    case "MsgSnapStatus":
      if (pr.state !== "snapshot") return;
      if (m.reject) pr.pendingSnapshot = 0; // failed: probe from match, not from the snapshot
      pr.becomeProbe();
      // wait for the follower's MsgAppResp (or a heartbeat) before sending more
      pr.msgAppProbesPaused = true;
      return;
    case "MsgUnreachable":
      // in optimistic replication a lost message is likely: fall back to probing
      if (pr.state === "replicate") pr.becomeProbe();
      return;
    case "MsgTransferLeader": {
      if (pr.isLearner) return;
      const transferee = m.from;
      if (r.leadTransferee !== NONE) {
        if (r.leadTransferee === transferee) return;
        r.abortLeaderTransfer();
      }
      if (transferee === r.id) return;
      // the transfer must finish within an election timeout
      r.electionElapsed = 0;
      r.leadTransferee = transferee;
      if (pr.match === r.raftLog.lastIndex()) r.sendTimeoutNow(transferee);
      else r.maybeSendAppend(transferee);
      return;
    }
  }
}

function stepProposal(r: Raft, m: Message): void {
  if (m.entries.length === 0) throw new ProposalDroppedError("empty proposal");
  if (!r.trk.progress.has(r.id)) throw new ProposalDroppedError("this leader is no longer a member");
  if (r.leadTransferee !== NONE) throw new ProposalDroppedError(`leadership transfer to ${r.leadTransferee} in progress`);
  const ents: Entry[] = m.entries.map((e) => ({ term: 0, index: 0, type: e.type, data: e.data }));
  for (let i = 0; i < ents.length; i++) {
    const e = ents[i]!;
    if (e.type !== "confChange") continue;
    let failed = "";
    if (r.pendingConfIndex > r.raftLog.applied) {
      failed = `possible unapplied conf change at index ${r.pendingConfIndex} (applied to ${r.raftLog.applied})`;
    } else {
      try {
        decodeConfChange(e.data);
      } catch {
        failed = "malformed conf change";
      }
    }
    if (failed !== "") {
      // A local caller learns right away; a forwarded one gets an empty entry instead
      // (as in etcd), which its proposer sees as a no-op.
      if (m.from === r.id || m.from === NONE) throw new ProposalDroppedError(failed);
      ents[i] = { term: 0, index: 0, type: "normal", data: "" };
    } else {
      r.pendingConfIndex = r.raftLog.lastIndex() + i + 1;
    }
  }
  if (!r.appendEntry(ents)) throw new ProposalDroppedError("uncommitted entries size limit exceeded");
  r.bcastAppend();
}

/** Shared by candidates and pre-candidates; each only counts responses to its own kind of vote. */
export function stepCandidate(r: Raft, m: Message): void {
  const myVoteRespType = r.state === "preCandidate" ? "MsgPreVoteResp" : "MsgVoteResp";
  switch (m.type) {
    case "MsgProp":
      throw new ProposalDroppedError(`no leader at term ${r.term}`);
    case "MsgApp":
      r.becomeFollower(m.term, m.from); // m.term === r.term here
      handleAppendEntries(r, m);
      return;
    case "MsgHeartbeat":
      r.becomeFollower(m.term, m.from);
      handleHeartbeat(r, m);
      return;
    case "MsgSnap":
      r.becomeFollower(m.term, m.from);
      handleSnapshot(r, m);
      return;
    case myVoteRespType: {
      const { result } = r.poll(m.from, !m.reject);
      if (result === "won") {
        if (r.state === "preCandidate") {
          r.campaign("CampaignElection");
        } else {
          r.becomeLeader();
          r.bcastAppend();
        }
      } else if (result === "lost") {
        // a pre-vote response carries a future term: stay at ours
        r.becomeFollower(r.term, NONE);
      }
      return;
    }
    case "MsgTimeoutNow":
      return;
  }
}

export function stepFollower(r: Raft, m: Message): void {
  switch (m.type) {
    case "MsgProp":
      if (r.lead === NONE) throw new ProposalDroppedError(`no leader at term ${r.term}`);
      if (r.disableProposalForwarding) throw new ProposalDroppedError("proposal forwarding is disabled");
      forward(r, m);
      return;
    case "MsgApp":
      r.electionElapsed = 0;
      r.lead = m.from;
      handleAppendEntries(r, m);
      return;
    case "MsgHeartbeat":
      r.electionElapsed = 0;
      r.lead = m.from;
      handleHeartbeat(r, m);
      return;
    case "MsgSnap":
      r.electionElapsed = 0;
      r.lead = m.from;
      handleSnapshot(r, m);
      return;
    case "MsgTransferLeader":
      if (r.lead === NONE) return;
      forward(r, m);
      return;
    case "MsgForgetLeader":
      r.lead = NONE;
      return;
    case "MsgTimeoutNow":
      // transfers skip pre-vote: we know the leader is alive and asked us
      r.hup("CampaignTransfer");
      return;
    case "MsgReadIndex":
      if (r.lead === NONE) return;
      forward(r, m);
      return;
    case "MsgReadIndexResp":
      if (m.entries.length !== 1) return;
      r.readStates.push({ index: m.index, requestCtx: m.entries[0]!.data });
      return;
  }
}

/**
 * Passes a request on to the leader as a copy (the input is never mutated). The term is
 * cleared: a request that was already forwarded once (and so carries a term) may reach
 * a node that is no longer the leader and must be forwarded again.
 */
function forward(r: Raft, m: Message): void {
  r.send({ ...m, to: r.lead, term: 0 });
}

/** A follower appends the leader's entries after (m.index, m.logTerm), or rejects with a hint. */
export function handleAppendEntries(r: Raft, m: Message): void {
  if (m.index < r.raftLog.committed) {
    r.send(newMessage({ type: "MsgAppResp", to: m.from, index: r.raftLog.committed }));
    return;
  }
  const lastNew = r.raftLog.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
  if (lastNew !== undefined) {
    r.send(newMessage({ type: "MsgAppResp", to: m.from, index: lastNew }));
    return;
  }
  // Reject with a hint: the largest (index, term) with term <= m.logTerm in our log,
  // so the leader can skip our divergent tail in one round trip.
  const [hintIndex, hintTerm] = r.raftLog.findConflictByTerm(
    Math.min(m.index, r.raftLog.lastIndex()),
    m.logTerm,
  );
  r.send(
    newMessage({ type: "MsgAppResp", to: m.from, index: m.index, reject: true, rejectHint: hintIndex, logTerm: hintTerm }),
  );
}

/** A heartbeat carries a commit index the follower is known to have. */
export function handleHeartbeat(r: Raft, m: Message): void {
  r.raftLog.commitTo(m.commit);
  r.send(newMessage({ type: "MsgHeartbeatResp", to: m.from, context: m.context }));
}

/** Installs a snapshot (or just fast-forwards the commit index) and acks. */
export function handleSnapshot(r: Raft, m: Message): void {
  const s = m.snapshot;
  if (s !== undefined && r.restore(s)) {
    r.send(newMessage({ type: "MsgAppResp", to: m.from, index: r.raftLog.lastIndex() }));
  } else {
    r.send(newMessage({ type: "MsgAppResp", to: m.from, index: r.raftLog.committed }));
  }
}
