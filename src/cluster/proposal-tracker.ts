/**
 * @module cluster/proposal-tracker
 * Client side of writes on one member: each command becomes an entry `{id, cmd}` with
 * an id unique to this member's incarnation; the caller's promise settles when this
 * member applies the entry with that id (results are deterministic, so the local result
 * is the cluster's result).
 *
 * - Without a known leader (or while Raft drops proposals, e.g. during a leadership
 *   transfer), a proposal waits here and is submitted once a leader is known; if none
 *   appears in time it fails with UnavailableError (it was never proposed).
 * - Once submitted it may be lost with a leader: when an entry of a newer term than the
 *   submission's is applied and the entry still has not, the write fails with
 *   TimeoutError, like a plain timeout: its outcome is unknown and callers retry.
 */
import { encodeProposal } from "./proposal.ts";
import { ProposalDroppedError } from "../raft/errors.ts";
import type { Command, CommandResult } from "../store/commands.ts";
import { StoreClosedError, TimeoutError, UnavailableError } from "../store/types.ts";
import type { DecodedEntry } from "./fsm.ts";

export interface ProposalSink {
  /** Current leader (0: none known). */
  leader(): number;
  term(): number;
  /** Throws ProposalDroppedError when Raft cannot take it now. */
  propose(data: string): void;
}

interface Waiter {
  id: string;
  data: string;
  resolve: (r: CommandResult) => void;
  reject: (e: unknown) => void;
  timer: ReturnType<typeof setTimeout>;
  /** Term when submitted to Raft; 0 while waiting for a leader. */
  sentTerm: number;
}

export class ProposalTracker {
  private readonly waiters = new Map<string, Waiter>();
  private queue: Waiter[] = [];
  private retryTimer: ReturnType<typeof setInterval> | null = null;
  private seq = 0;
  private readonly prefix: string;
  private closed = false;
  /** Writes failed as lost with a leader (for tests and diagnostics). */
  lostOnLeaderChange = 0;

  constructor(private readonly sink: ProposalSink, memberId: number, private readonly timeoutMs: number) {
    this.prefix = `${memberId.toString(16)}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}.`;
  }

  get pending(): number {
    return this.waiters.size;
  }

  propose(cmd: Command): Promise<CommandResult> {
    if (this.closed) return Promise.reject(new StoreClosedError());
    const id = this.prefix + (++this.seq).toString(36);
    return new Promise<CommandResult>((resolve, reject) => {
      const w: Waiter = {
        id,
        data: encodeProposal({ id, cmd }),
        resolve,
        reject,
        sentTerm: 0,
        timer: setTimeout(() => this.expire(w), this.timeoutMs),
      };
      this.waiters.set(id, w);
      this.submit(w);
    });
  }

  private submit(w: Waiter): boolean {
    if (this.sink.leader() !== 0) {
      try {
        this.sink.propose(w.data);
        w.sentTerm = this.sink.term();
        return true;
      } catch (err) {
        if (!(err instanceof ProposalDroppedError)) {
          this.settle(w);
          w.reject(err);
          return true;
        }
      }
    }
    this.queue.push(w);
    this.retryTimer ??= setInterval(() => this.retry(), 10);
    return false;
  }

  /** Submits waiting proposals (called when a leader becomes known, and on a short timer). */
  retry(): void {
    const q = this.queue;
    this.queue = [];
    for (const w of q) if (this.waiters.has(w.id)) this.submit(w);
    if (this.queue.length === 0 && this.retryTimer) {
      clearInterval(this.retryTimer);
      this.retryTimer = null;
    }
  }

  private expire(w: Waiter): void {
    if (!this.waiters.has(w.id)) return;
    this.settle(w);
    if (w.sentTerm === 0) w.reject(new UnavailableError(`no raft leader for ${this.timeoutMs} ms; the write was not proposed`));
    else w.reject(new TimeoutError(`write not applied within ${this.timeoutMs} ms; its outcome is unknown`));
  }

  private settle(w: Waiter): void {
    clearTimeout(w.timer);
    this.waiters.delete(w.id);
  }

  /** Entries applied on this member, with their results; `term` is the term of the last one. */
  onApplied(decoded: DecodedEntry[], results: CommandResult[], lastTerm: number): void {
    for (let i = 0; i < decoded.length; i++) {
      const id = decoded[i]!.id;
      if (id === null || !id.startsWith(this.prefix)) continue;
      const w = this.waiters.get(id);
      if (!w) continue;
      this.settle(w);
      const r = results[i]!;
      // A duplicate (already applied before a restart of this store) cannot be ours.
      w.resolve(r);
    }
    if (this.waiters.size === 0) return;
    for (const w of this.waiters.values()) {
      if (w.sentTerm !== 0 && w.sentTerm < lastTerm) {
        this.settle(w);
        this.lostOnLeaderChange++;
        w.reject(new TimeoutError("the raft leader changed before the write was applied; its outcome is unknown"));
      }
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.retryTimer) clearInterval(this.retryTimer);
    for (const w of [...this.waiters.values()]) {
      this.settle(w);
      // A write already handed to Raft may still commit (on the other members): its outcome
      // is unknown, so it fails as a timeout (504), never as "not applied" (503).
      w.reject(w.sentTerm === 0 ? new StoreClosedError() : new TimeoutError("the server stopped before the write was applied; its outcome is unknown"));
    }
    this.queue = [];
  }
}
