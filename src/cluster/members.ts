/**
 * @module cluster/members
 * Member records: every server's Raft ID, name and API URL, kept in the replicated store
 * under /kite/members/<id in hex>, so that snapshots carry them to new members, every
 * server can list every other one (agents' failover list, the `kubernetes` Endpoints) and
 * a restarted member finds its peers from its own state alone. Raft's own membership
 * (voters, learners) is the ConfState; a record only says where a member is.
 */
export const MEMBERS_PREFIX = "/kite/members/";

export interface MemberRecord {
  id: number;
  /** The server's node name. */
  name: string;
  /** The server's API URL (https://host:port); peers dial /kite/v1/raft there. */
  url: string;
}

export type MemberRole = "voter" | "learner" | "none";

export interface MemberStatus extends MemberRecord {
  role: MemberRole;
  isLeader: boolean;
}

export class MalformedMemberError extends Error {
  constructor(readonly key: string, reason: string) {
    super(`malformed member record ${key}: ${reason}`);
    this.name = "MalformedMemberError";
  }
}

export function memberKey(id: number): string {
  return MEMBERS_PREFIX + id.toString(16);
}

export function encodeMember(m: MemberRecord): string {
  return JSON.stringify({ id: m.id, name: m.name, url: m.url });
}

export function decodeMember(key: string, value: string): MemberRecord {
  let v: unknown;
  try {
    v = JSON.parse(value);
  } catch {
    throw new MalformedMemberError(key, "not JSON");
  }
  const m = v as MemberRecord;
  if (typeof m !== "object" || m === null || !Number.isSafeInteger(m.id) || m.id <= 0 || typeof m.name !== "string" || typeof m.url !== "string") {
    throw new MalformedMemberError(key, "missing id, name or url");
  }
  return { id: m.id, name: m.name, url: m.url };
}

/** A new member ID: 48 random bits (never 0, effectively never reused). */
export function newMemberId(): number {
  const b = crypto.getRandomValues(new Uint16Array(3));
  return (b[0]! * 0x100000000 + b[1]! * 0x10000 + b[2]!) || 1;
}

/** A new cluster ID: 16 random hex characters. */
export function newClusterId(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(8))).toString("hex");
}
