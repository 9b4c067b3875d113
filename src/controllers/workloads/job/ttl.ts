/**
 * @module controllers/workloads/job/ttl
 * The TTL-after-finished controller: a Job with spec.ttlSecondsAfterFinished is deleted
 * (foreground cascading, with a uid precondition) that many seconds after its Complete or
 * Failed condition, after re-reading it from the API so a changed TTL is honoured.
 */
import type { KObj } from "../../../client/client.ts";
import type { Informer } from "../../../client/informer.ts";
import { R } from "../../../client/resources.ts";
import type { ControllerContext } from "../../types.ts";
import { QueueController, splitKey } from "../util/base.ts";
import { finishTime, isJobFinished } from "./util.ts";

/** Milliseconds until the Job expires (<= 0: expired), or undefined when it needs no clean-up. */
export function ttlRemaining(job: KObj, now: number): number | undefined {
  const ttl = job.spec?.ttlSecondsAfterFinished;
  if (ttl === undefined || ttl === null || job.metadata?.deletionTimestamp || !isJobFinished(job)) return undefined;
  const at = finishTime(job);
  if (at === undefined) return undefined;
  return at + ttl * 1000 - now;
}

export class TTLAfterFinishedController extends QueueController {
  readonly name = "ttl-after-finished";
  protected readonly component = "ttl-after-finished-controller";
  private jobs!: Informer;

  protected setup(ctx: ControllerContext): Informer[] {
    this.jobs = ctx.informers.for(R.jobs);
    const consider = (j: KObj) => {
      if (ttlRemaining(j, Date.now()) !== undefined) this.enqueue(j);
    };
    this.jobs.addHandlers({ add: consider, update: (_o, j) => consider(j) });
    return [this.jobs];
  }

  protected async sync(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const cached = this.jobs.get(ns, name);
    if (!cached) return;
    const left = ttlRemaining(cached, Date.now());
    if (left === undefined) return;
    if (left > 0) {
      this.queue.addAfter(key, left);
      return;
    }
    const fresh = await this.ctx.client.getOrNull(R.jobs, ns, name);
    if (!fresh) return;
    const freshLeft = ttlRemaining(fresh, Date.now());
    if (freshLeft === undefined) return;
    if (freshLeft > 0) {
      this.queue.addAfter(key, freshLeft);
      return;
    }
    await this.ctx.client.deleteIgnoreNotFound(R.jobs, ns, name, { propagationPolicy: "Foreground", preconditions: { uid: fresh.metadata.uid } });
  }
}
