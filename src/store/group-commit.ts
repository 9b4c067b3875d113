/**
 * @module store/group-commit
 * Group commit: proposals that arrive while the event loop is busy are queued
 * and applied together, in one transaction and one fsync, at the next
 * `setImmediate` turn. Every caller's promise settles after the commit.
 */
import type { Command, CommandResult } from "./commands.ts";
import { StoreClosedError } from "./types.ts";

interface Pending {
  cmd: Command;
  resolve: (r: CommandResult) => void;
  reject: (e: unknown) => void;
}

export interface GroupCommitOptions {
  /** Most commands per transaction (larger queues are split). */
  maxBatch?: number;
}

export class GroupCommitter {
  private pending: Pending[] = [];
  private scheduled = false;
  private closed = false;
  private readonly maxBatch: number;
  /** Batches committed and commands in them (for stats and tests). */
  batches = 0;
  commands = 0;

  /** `commit` applies the commands durably and returns one result per command, or throws (all fail). */
  constructor(private readonly commit: (cmds: Command[]) => CommandResult[], opts: GroupCommitOptions = {}) {
    this.maxBatch = opts.maxBatch ?? 1024;
  }

  propose(cmd: Command): Promise<CommandResult> {
    if (this.closed) return Promise.reject(new StoreClosedError());
    return new Promise((resolve, reject) => {
      this.pending.push({ cmd, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits everything queued now (also called by the timer). */
  flush(): void {
    this.scheduled = false;
    while (this.pending.length > 0) {
      const batch = this.pending.length <= this.maxBatch ? this.pending : this.pending.slice(0, this.maxBatch);
      this.pending = batch === this.pending ? [] : this.pending.slice(this.maxBatch);
      let results: CommandResult[];
      try {
        results = this.commit(batch.map((p) => p.cmd));
      } catch (err) {
        for (const p of batch) p.reject(err);
        continue;
      }
      this.batches++;
      this.commands += batch.length;
      for (let i = 0; i < batch.length; i++) batch[i]!.resolve(results[i]!);
    }
  }

  /** Commits what is queued, then refuses new proposals. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
  }
}
