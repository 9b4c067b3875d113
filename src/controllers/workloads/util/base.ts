/**
 * @module controllers/workloads/util/base
 * The skeleton every workload controller shares: a work queue of "namespace/name" keys,
 * informer handlers registered in `setup`, workers that wait for the caches to sync and
 * then call `sync(key)` (a thrown error re-queues the key with back-off), and a stop that
 * drains the workers.
 */
import { KubeApiError, type KObj } from "../../../client/client.ts";
import type { EventRecorder } from "../../../client/events.ts";
import { objectKey, type Informer } from "../../../client/informer.ts";
import { WorkQueue } from "../../framework/workqueue.ts";
import type { Controller, ControllerContext } from "../../types.ts";
import { logger, type Logger } from "../../../util/log.ts";

export function splitKey(key: string): [string, string] {
  const i = key.indexOf("/");
  return i < 0 ? ["", key] : [key.slice(0, i), key.slice(i + 1)];
}

export abstract class QueueController implements Controller {
  abstract readonly name: string;
  /** Component name on Events (e.g. "replicaset-controller"). */
  protected abstract readonly component: string;
  protected readonly workers: number = 2;
  protected queue = new WorkQueue({ baseDelayMs: 10, maxDelayMs: 30_000 });
  protected ctx!: ControllerContext;
  protected recorder!: EventRecorder;
  protected log!: Logger;
  private synced: Informer[] = [];
  private running?: Promise<void[]>;

  /** Register informers (return the ones the workers must wait for) and handlers. */
  protected abstract setup(ctx: ControllerContext): Informer[];
  protected abstract sync(key: string): Promise<void>;

  start(ctx: ControllerContext) {
    this.ctx = ctx;
    this.log = logger(`controller/${this.name}`);
    this.recorder = ctx.recorder(this.component);
    this.synced = this.setup(ctx);
    this.running = this.queue.run(
      this.workers,
      async (key) => {
        await Promise.all(this.synced.map((i) => i.waitForSync()));
        await this.sync(key);
      },
      (key, e) => {
        // Conflicts and races with a stale cache are routine; anything else is worth seeing.
        if (e instanceof KubeApiError && (e.code === 409 || e.code === 404)) this.log.debug("sync failed, retrying", { key, error: e });
        else this.log.warn("sync failed, retrying", { key, error: e as Error });
      },
    );
  }

  async stop() {
    this.queue.shutdown();
    await this.running;
  }

  enqueue(o: KObj) {
    this.queue.add(objectKey(o));
  }

  enqueueAfter(o: KObj, ms: number) {
    this.queue.addAfter(objectKey(o), ms);
  }
}
