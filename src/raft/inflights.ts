/**
 * @module raft/inflights
 * The window of MsgApp messages sent to one follower and not yet acknowledged, bounded
 * by count (MaxInflightMsgs) and bytes (MaxInflightBytes), etcd-io/raft tracker/inflights.go.
 * A ring buffer of (last index, bytes) per message, indexes added in increasing order.
 */
import { RaftInvariantError } from "./errors.ts";

export class Inflights {
  private start = 0;
  private count = 0;
  private bytes = 0;
  private readonly indexes: number[];
  private readonly sizes: number[];

  constructor(
    readonly size: number,
    readonly maxBytes: number,
  ) {
    if (size <= 0) throw new RaftInvariantError(`inflights size must be positive (${size})`);
    this.indexes = new Array<number>(size).fill(0);
    this.sizes = new Array<number>(size).fill(0);
  }

  clone(): Inflights {
    const c = new Inflights(this.size, this.maxBytes);
    c.start = this.start;
    c.count = this.count;
    c.bytes = this.bytes;
    for (let i = 0; i < this.size; i++) {
      c.indexes[i] = this.indexes[i]!;
      c.sizes[i] = this.sizes[i]!;
    }
    return c;
  }

  /** Records a message whose last entry is `index`, carrying `bytes` of payload. */
  add(index: number, bytes: number): void {
    if (this.full()) throw new RaftInvariantError("cannot add into a full inflights");
    if (this.count > 0) {
      const lastIdx = this.indexes[(this.start + this.count - 1) % this.size]!;
      if (index <= lastIdx) throw new RaftInvariantError(`inflight index ${index} is not above ${lastIdx}`);
    }
    const next = (this.start + this.count) % this.size;
    this.indexes[next] = index;
    this.sizes[next] = bytes;
    this.count++;
    this.bytes += bytes;
  }

  /** Frees every message whose last index is <= `to`. */
  freeLE(to: number): void {
    if (this.count === 0 || to < this.indexes[this.start]!) return;
    let i = 0;
    let idx = this.start;
    let freedBytes = 0;
    for (; i < this.count; i++) {
      if (to < this.indexes[idx]!) break;
      freedBytes += this.sizes[idx]!;
      idx = (idx + 1) % this.size;
    }
    this.count -= i;
    this.bytes -= freedBytes;
    this.start = idx;
    if (this.count === 0) this.start = 0;
  }

  full(): boolean {
    return this.count === this.size || (this.maxBytes !== 0 && this.bytes >= this.maxBytes);
  }

  countInflight(): number {
    return this.count;
  }

  bytesInflight(): number {
    return this.bytes;
  }

  reset(): void {
    this.start = 0;
    this.count = 0;
    this.bytes = 0;
  }
}
