/**
 * @module sim/network
 * SimNetwork: delivers Raft messages between simulated nodes through the event queue,
 * with faults: exponential delay (hence reordering), loss, duplication, partitions
 * (symmetric splits, isolation, one-way), and swizzle-clogging (FoundationDB: clog a
 * subset of nodes' links one by one, unclog them in random order). Messages in flight
 * when a partition starts are lost at delivery.
 */
import type { Message } from "../../src/raft/types.ts";
import type { EventQueue } from "./events.ts";
import type { Prng } from "./prng.ts";

export interface NetworkOptions {
  minDelayMs: number;
  meanDelayMs: number;
  dropRate: number;
  duplicateRate: number;
}

export interface NetworkHooks {
  deliver(msg: Message): void;
  /** A message was lost (the sender's transport would notice a broken connection). */
  dropped(msg: Message, reason: "partition" | "loss"): void;
  /** A snapshot reached its target (the sender reports it to Raft). */
  snapshotDelivered(msg: Message): void;
}

export class SimNetwork {
  /** Directed links that drop everything: "from>to". */
  private blocked = new Set<string>();
  /** Directed links that hold messages until the given time. */
  private clogged = new Map<string, number>();
  sent = 0;
  delivered = 0;
  lost = 0;

  constructor(
    private readonly q: EventQueue,
    private readonly rng: Prng,
    public opts: NetworkOptions,
    private readonly hooks: NetworkHooks,
  ) {}

  send(msg: Message): void {
    this.sent++;
    const link = `${msg.from}>${msg.to}`;
    if (this.blocked.has(link)) {
      this.lost++;
      this.hooks.dropped(msg, "partition");
      return;
    }
    if (this.rng.chance(this.opts.dropRate)) {
      this.lost++;
      this.hooks.dropped(msg, "loss");
      return;
    }
    const copies = this.rng.chance(this.opts.duplicateRate) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      let delay = this.opts.minDelayMs + this.rng.exponential(this.opts.meanDelayMs);
      const clogUntil = this.clogged.get(link);
      if (clogUntil !== undefined && clogUntil > this.q.now) delay += clogUntil - this.q.now;
      // each delivery gets its own copy: receivers may keep or forward what they get
      const copy: Message = { ...msg };
      this.q.schedule(delay, `deliver ${msg.type} ${msg.from}->${msg.to}`, () => {
        if (this.blocked.has(link)) {
          this.lost++;
          this.hooks.dropped(copy, "partition");
          return;
        }
        this.delivered++;
        if (copy.type === "MsgSnap") this.hooks.snapshotDelivered(copy);
        this.hooks.deliver(copy);
      });
    }
  }

  /** Cuts every link between the two groups (both directions). */
  split(a: number[], b: number[]): void {
    for (const x of a) for (const y of b) this.blockBoth(x, y);
  }

  /** Cuts one direction only: `from` can no longer reach `to`. */
  blockOneWay(from: number, to: number): void {
    this.blocked.add(`${from}>${to}`);
  }

  private blockBoth(x: number, y: number): void {
    this.blocked.add(`${x}>${y}`);
    this.blocked.add(`${y}>${x}`);
  }

  clog(from: number, to: number, untilMs: number): void {
    this.clogged.set(`${from}>${to}`, untilMs);
  }

  /** Swizzle-clog: clog the links of `nodes` one by one, then unclog them in random order. */
  swizzle(nodes: number[], all: number[], stepMs: number): void {
    const links: Array<[number, number]> = [];
    for (const n of nodes) for (const o of all) if (o !== n) links.push([n, o], [o, n]);
    this.rng.shuffle(links);
    const order = this.rng.shuffle(links.map((_, i) => i));
    const total = links.length * stepMs;
    links.forEach(([from, to], i) => {
      // clogged from i*step until total + position in the (shuffled) unclog order
      const from_ = this.q.now + i * stepMs;
      const until = this.q.now + total + order[i]! * stepMs;
      this.q.schedule(from_ - this.q.now, "clog", () => this.clog(from, to, until));
    });
  }

  partitioned(): boolean {
    return this.blocked.size > 0;
  }

  heal(): void {
    this.blocked.clear();
    this.clogged.clear();
  }
}
