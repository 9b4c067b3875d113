/**
 * @module raft/read-only
 * ReadIndex bookkeeping on the leader (etcd-io/raft read_only.go, "safe" mode): each
 * read records the commit index at arrival; a heartbeat round carrying the read's
 * position confirms leadership; once a quorum acked a position, every read up to it
 * is released with its recorded index.
 */
import { committedIndex } from "./quorum.ts";
import type { Message } from "./types.ts";

export interface ReadIndexRequest {
  req: Message;
  index: number;
}

export class ReadOnly {
  /** Highest read position acked by each peer (the leader acks its own immediately). */
  private acks = new Map<number, number>();
  private unconfirmed: ReadIndexRequest[] = [];
  /** Number of reads confirmed so far (positions are 1-based and increase). */
  private confirmed = 0;

  addRequest(commitIndex: number, req: Message): void {
    this.unconfirmed.push({ req, index: commitIndex });
  }

  /** Heartbeat context that confirms every read queued so far ("" when none is pending). */
  heartbeatCtx(): string {
    if (this.unconfirmed.length === 0) return "";
    return String(this.confirmed + this.unconfirmed.length);
  }

  recvAck(from: number, ctx: string): void {
    if (ctx === "") return;
    const pos = Number(ctx);
    if (!Number.isSafeInteger(pos) || pos <= 0) return;
    this.acks.set(from, Math.max(this.acks.get(from) ?? 0, pos));
  }

  /** Releases the reads confirmed by a quorum of `voters`. */
  maybeAdvance(voters: ReadonlySet<number>): ReadIndexRequest[] {
    const newConfirmed = committedIndex(voters, (id) => this.acks.get(id));
    if (newConfirmed <= this.confirmed) return [];
    const n = Math.min(newConfirmed - this.confirmed, this.unconfirmed.length);
    const released = this.unconfirmed.slice(0, n);
    this.unconfirmed = this.unconfirmed.slice(n);
    this.confirmed += n;
    return released;
  }

  pendingCount(): number {
    return this.unconfirmed.length;
  }
}
