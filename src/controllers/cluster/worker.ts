/**
 * @module controllers/cluster/worker
 * The run loop the cluster controllers share: a work queue whose workers start once the
 * controller's informer caches have synced (acting on a half-filled cache could delete
 * things that exist), optional periodic ticks, and a stop that ends all of it.
 */
import { WorkQueue } from "../framework/workqueue.ts";
import type { Informer } from "../../client/informer.ts";
import { KubeApiError } from "../../client/client.ts";
import type { Logger } from "../../util/log.ts";

export interface WorkerOptions {
  informers: Informer[];
  /** Extra readiness to wait for besides the informers (e.g. dynamically created caches). */
  ready?(): Promise<void>;
  workers?: number;
  handler(key: string): Promise<void>;
  log: Logger;
  /** Called once after the caches synced, before workers start (e.g. to enqueue everything). */
  onSynced?(): void | Promise<void>;
  /** A periodic pass (resyncs, health checks) run every `tickMs` after sync. */
  tick?(): void | Promise<void>;
  tickMs?: number;
}

export class Worker {
  readonly queue = new WorkQueue({ baseDelayMs: 50, maxDelayMs: 30_000 });
  private stopped = false;
  private timer?: ReturnType<typeof setTimeout>;
  private running?: Promise<unknown>;
  private synced = false;
  private stopSignal = Promise.withResolvers<void>();

  constructor(private readonly opts: WorkerOptions) {}

  isSynced() {
    return this.synced;
  }

  /** Begin waiting for sync, then run. Returns immediately. */
  start() {
    this.running = this.run();
  }

  private async run() {
    const synced = async () => {
      await Promise.all(this.opts.informers.map((i) => i.waitForSync()));
      await this.opts.ready?.();
    };
    await Promise.race([synced(), this.stopSignal.promise]);
    if (this.stopped) return;
    this.synced = true;
    await this.opts.onSynced?.();
    this.scheduleTick(0);
    await this.queue.run(this.opts.workers ?? 2, this.opts.handler, (key, e) => {
      const msg = e instanceof KubeApiError && e.code === 409 ? this.opts.log.debug : this.opts.log.warn;
      msg.call(this.opts.log, "sync failed, retrying", { key, error: e as Error });
    });
  }

  private scheduleTick(ms: number) {
    if (!this.opts.tick || this.stopped) return;
    this.timer = setTimeout(async () => {
      try {
        await this.opts.tick!();
      } catch (e) {
        this.opts.log.warn("periodic pass failed", { error: e as Error });
      }
      this.scheduleTick(this.opts.tickMs ?? 5000);
    }, ms);
  }

  async stop() {
    this.stopped = true;
    this.stopSignal.resolve();
    if (this.timer) clearTimeout(this.timer);
    this.queue.shutdown();
    // Workers finish their current item; a worker never blocks stop for long.
    await Promise.race([this.running, Bun.sleep(5000)]);
  }
}
