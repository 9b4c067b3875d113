/**
 * @module cluster/peer-auth
 * Authentication of Raft peer connections. A peer key is derived from the cluster's join
 * secret (HMAC-SHA256 with a fixed label), and every connection opens with headers naming
 * the cluster ID, sender and receiver member IDs and a timestamp, signed with that key.
 * The receiver rejects another cluster's ID, a wrong signature, a stale timestamp or a
 * connection meant for another member, so a stray node cannot join or disrupt the cluster.
 * (The connection itself runs over the API port's TLS.)
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export const PEER_HEADERS = {
  cluster: "x-kite-cluster",
  from: "x-kite-from",
  to: "x-kite-to",
  time: "x-kite-time",
  auth: "x-kite-auth",
} as const;

/** How far the sender's clock may be from the receiver's (the timestamp only limits replays). */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

export type PeerAuthFailure = "cluster-mismatch" | "bad-signature" | "stale" | "wrong-member" | "malformed";

export class PeerAuthError extends Error {
  constructor(readonly reason: PeerAuthFailure, message: string) {
    super(message);
    this.name = "PeerAuthError";
  }
  /** HTTP status for the rejected upgrade. */
  get status(): number {
    return this.reason === "cluster-mismatch" || this.reason === "wrong-member" ? 403 : 401;
  }
}

/** The key peers sign with: derived from the join secret, never the secret itself. */
export function derivePeerKey(joinSecret: string): Buffer {
  return createHmac("sha256", joinSecret).update("kite raft peer v1").digest();
}

function sign(key: Buffer, clusterId: string, from: number, to: number, time: number): string {
  return createHmac("sha256", key).update(`${clusterId}\n${from}\n${to}\n${time}`).digest("hex");
}

export interface PeerIdentity {
  clusterId: string;
  key: Buffer;
}

/** Headers for a connection from `from` to `to`. */
export function peerHeaders(id: PeerIdentity, from: number, to: number, now = Date.now()): Record<string, string> {
  return {
    [PEER_HEADERS.cluster]: id.clusterId,
    [PEER_HEADERS.from]: String(from),
    [PEER_HEADERS.to]: String(to),
    [PEER_HEADERS.time]: String(now),
    [PEER_HEADERS.auth]: sign(id.key, id.clusterId, from, to, now),
  };
}

/** Checks a connection's headers; returns the sender's member ID or throws PeerAuthError. */
export function verifyPeerHeaders(id: PeerIdentity, self: number, headers: Headers, now = Date.now()): number {
  const cluster = headers.get(PEER_HEADERS.cluster);
  const from = Number(headers.get(PEER_HEADERS.from));
  const to = Number(headers.get(PEER_HEADERS.to));
  const time = Number(headers.get(PEER_HEADERS.time));
  const auth = headers.get(PEER_HEADERS.auth) ?? "";
  if (cluster === null || !Number.isSafeInteger(from) || from <= 0 || !Number.isSafeInteger(to) || !Number.isFinite(time)) {
    throw new PeerAuthError("malformed", "missing or malformed peer headers");
  }
  if (cluster !== id.clusterId) {
    throw new PeerAuthError("cluster-mismatch", `peer belongs to cluster ${JSON.stringify(cluster)}, this is ${JSON.stringify(id.clusterId)}`);
  }
  const want = Buffer.from(sign(id.key, cluster, from, to, time), "hex");
  const got = Buffer.from(auth, "hex");
  if (got.length !== want.length || !timingSafeEqual(got, want)) throw new PeerAuthError("bad-signature", "peer signature does not match (different join secret?)");
  if (Math.abs(now - time) > MAX_CLOCK_SKEW_MS) throw new PeerAuthError("stale", `peer timestamp is ${Math.round((now - time) / 1000)} s off`);
  if (to !== self) throw new PeerAuthError("wrong-member", `connection meant for member ${to.toString(16)}, this is ${self.toString(16)}`);
  return from;
}
