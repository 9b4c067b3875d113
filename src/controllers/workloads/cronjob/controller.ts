/**
 * @module controllers/workloads/cronjob/controller
 * The CronJob controller (upstream cronjob_controllerv2): reconciles status.active with
 * the Jobs it owns (SawCompletedJob, MissingJob, UnexpectedJob), records
 * lastSuccessfulTime, then — unless suspended — creates the Job for the most recent unmet
 * activation (MissSchedule past startingDeadlineSeconds; Forbid skips while a Job runs,
 * Replace deletes the running ones), trims finished Jobs to the history limits, and
 * sleeps until the next activation.
 */
import { isAlreadyExists, isNotFound, type KObj } from "../../../client/client.ts";
import type { Informer } from "../../../client/informer.ts";
import { R } from "../../../client/resources.ts";
import { CronError, timeZoneError } from "../../../api/resources/batch/cron.ts";
import type { ControllerContext } from "../../types.ts";
import { QueueController, splitKey } from "../util/base.ts";
import { controllerOf, ownerIndex, type OwnerIndex } from "../util/owner-index.ts";
import { isNamespaceTerminating } from "../util/pod-control.ts";
import { sameStatus, writeStatus } from "../util/status.ts";
import { conditionTrue, isJobFinished } from "../job/util.ts";
import { jobForActivation, jobName, mostRecentScheduleTime, nextScheduleDelay, scheduleOf } from "./schedule.ts";

function jobRef(job: KObj): KObj {
  return { kind: "Job", namespace: job.metadata.namespace, name: job.metadata.name, uid: job.metadata.uid, apiVersion: "batch/v1", resourceVersion: job.metadata.resourceVersion };
}

function finishedType(job: KObj): "Complete" | "Failed" | undefined {
  if (conditionTrue(job, "Complete")) return "Complete";
  if (conditionTrue(job, "Failed")) return "Failed";
  return undefined;
}

export class CronJobController extends QueueController {
  readonly name = "cronjob";
  protected readonly component = "cronjob-controller";
  private cronJobs!: Informer;
  private jobs!: OwnerIndex;
  /** Clock (unit tests move it). */
  now: () => number = Date.now;

  protected setup(ctx: ControllerContext): Informer[] {
    this.cronJobs = ctx.informers.for(R.cronjobs);
    const jobInformer = ctx.informers.for(R.jobs);
    this.jobs = ownerIndex(jobInformer);
    this.cronJobs.addHandlers({ add: (cj) => this.enqueue(cj), update: (_o, cj) => this.enqueue(cj) });
    const jobChanged = (j: KObj) => {
      const ref = controllerOf(j);
      if (ref?.kind !== "CronJob") return;
      const cj = this.cronJobs.get(j.metadata.namespace, ref.name);
      if (cj && cj.metadata.uid === ref.uid) this.enqueue(cj);
    };
    jobInformer.addHandlers({ add: jobChanged, update: (_o, j) => jobChanged(j), delete: jobChanged });
    return [this.cronJobs, jobInformer];
  }

  protected async sync(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const cached = this.cronJobs.get(ns, name);
    if (!cached) return;
    let cj = structuredClone(cached);
    cj.status ??= {};
    const jobs = this.jobs.controlledBy(cj.metadata.uid);
    let requeue: number | undefined;
    try {
      ({ cj, requeue } = await this.syncCronJob(cj, jobs));
    } finally {
      await this.cleanupFinished(cj, jobs);
      if (!sameStatus(cached.status, cj.status)) await writeStatus(this.ctx.client, R.cronjobs, cj, cj.status);
    }
    if (requeue !== undefined) this.queue.addAfter(key, Math.max(requeue, 0));
  }

  private async syncCronJob(cj: KObj, jobs: KObj[]): Promise<{ cj: KObj; requeue?: number }> {
    const now = this.now();
    const st = cj.status;
    const active: KObj[] = st.active ?? [];
    const inActive = (uid: string) => (cj.status.active ?? []).some((r: KObj) => r.uid === uid);
    const removeActive = (uid: string) => {
      cj.status.active = (cj.status.active ?? []).filter((r: KObj) => r.uid !== uid);
      if (cj.status.active.length === 0) delete cj.status.active;
    };
    const children = new Set<string>();
    for (const j of jobs) {
      children.add(j.metadata.uid);
      const found = inActive(j.metadata.uid);
      if (!found && !isJobFinished(j)) {
        const fresh = await this.ctx.client.getOrNull(R.cronjobs, cj.metadata.namespace, cj.metadata.name);
        if (fresh && (fresh.status?.active ?? []).some((r: KObj) => r.uid === j.metadata.uid)) {
          cj = structuredClone(fresh);
          cj.status ??= {};
          continue;
        }
        this.recorder.event(cj, "Warning", "UnexpectedJob", `Saw a job that the controller did not create or forgot: ${j.metadata.name}`);
      } else if (found && isJobFinished(j)) {
        removeActive(j.metadata.uid);
        this.recorder.event(cj, "Normal", "SawCompletedJob", `Saw completed job: ${j.metadata.name}, condition: ${finishedType(j)}`);
      }
      if (isJobFinished(j) && j.status?.completionTime) {
        const last = Date.parse(cj.status.lastSuccessfulTime ?? "");
        if (Number.isNaN(last) || Date.parse(j.status.completionTime) > last) cj.status.lastSuccessfulTime = j.status.completionTime;
      }
    }
    for (const ref of active) {
      if (children.has(ref.uid)) continue;
      const j = await this.ctx.client.getOrNull(R.jobs, ref.namespace ?? cj.metadata.namespace, ref.name);
      if (!j || j.metadata.uid !== ref.uid) {
        this.recorder.event(cj, "Normal", "MissingJob", `Active job went missing: ${ref.name}`);
        removeActive(ref.uid);
      }
    }
    if (cj.metadata.deletionTimestamp) return { cj };
    if (cj.spec?.timeZone) {
      const err = timeZoneError(cj.spec.timeZone);
      if (err) {
        this.recorder.event(cj, "Warning", "UnknownTimeZone", `invalid timeZone: "${cj.spec.timeZone}": ${err}`);
        return { cj };
      }
    }
    if (cj.spec?.suspend) return { cj };
    let sched;
    try {
      sched = scheduleOf(cj);
    } catch (e) {
      if (!(e instanceof CronError)) throw e;
      this.recorder.event(cj, "Warning", "UnparseableSchedule", `unparseable schedule: "${cj.spec?.schedule}" : ${e.message}`);
      return { cj };
    }
    const unmet = mostRecentScheduleTime(cj, sched, now, true);
    if (unmet.tooMany) this.recorder.event(cj, "Warning", "TooManyMissedTimes", "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew");
    const scheduled = unmet.mostRecent;
    const later = () => nextScheduleDelay(cj, sched, now);
    if (scheduled === undefined || scheduled > now) return { cj, requeue: later() };
    const deadline = cj.spec?.startingDeadlineSeconds;
    if (deadline !== undefined && deadline !== null && scheduled + deadline * 1000 < now) {
      this.recorder.event(cj, "Warning", "MissSchedule", `Missed scheduled time to start a job: ${new Date(scheduled).toUTCString().replace("GMT", "+0000")}`);
      return { cj, requeue: later() };
    }
    const name = jobName(cj, scheduled, sched);
    const lastScheduled = Date.parse(cj.status.lastScheduleTime ?? "");
    if ((cj.status.active ?? []).some((r: KObj) => r.name === name) || lastScheduled === Math.floor(scheduled / 1000) * 1000) return { cj, requeue: later() };
    if (cj.spec?.concurrencyPolicy === "Forbid" && (cj.status.active ?? []).length > 0) {
      this.recorder.event(cj, "Normal", "JobAlreadyActive", "Not starting job because prior execution is running and concurrency policy is Forbid");
      return { cj, requeue: later() };
    }
    if (cj.spec?.concurrencyPolicy === "Replace") {
      for (const ref of [...(cj.status.active ?? [])]) {
        const j = await this.ctx.client.getOrNull(R.jobs, ref.namespace ?? cj.metadata.namespace, ref.name);
        if (!j) {
          removeActive(ref.uid);
          continue;
        }
        if (!(await this.deleteJob(cj, j))) throw new Error(`could not replace job ${j.metadata.namespace}/${j.metadata.name}`);
        removeActive(ref.uid);
      }
    }
    let created: KObj;
    try {
      created = await this.ctx.client.create(R.jobs, cj.metadata.namespace, jobForActivation(cj, scheduled, sched));
      this.recorder.event(cj, "Normal", "SuccessfulCreate", `Created job ${created.metadata.name}`);
    } catch (e) {
      if (isNamespaceTerminating(e)) throw e;
      if (!isAlreadyExists(e)) {
        this.recorder.event(cj, "Warning", "FailedCreate", `Error creating job: ${(e as Error).message}`);
        throw e;
      }
      // Created earlier (status not updated then): adopt it into the active list if it is ours.
      const existing = await this.ctx.client.get(R.jobs, cj.metadata.namespace, name);
      if (controllerOf(existing)?.uid !== cj.metadata.uid || inActive(existing.metadata.uid)) return { cj };
      created = existing;
    }
    cj.status.active = [...(cj.status.active ?? []), jobRef(created)];
    cj.status.lastScheduleTime = new Date(Math.floor(scheduled / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
    return { cj, requeue: later() };
  }

  /** Delete a Job (background propagation) and drop it from the active list. */
  private async deleteJob(cj: KObj, job: KObj): Promise<boolean> {
    try {
      await this.ctx.client.delete(R.jobs, job.metadata.namespace, job.metadata.name, { propagationPolicy: "Background" });
    } catch (e) {
      if (!isNotFound(e)) {
        this.recorder.event(cj, "Warning", "FailedDelete", `Deleted job: ${(e as Error).message}`);
        return false;
      }
    }
    if (cj.status.active) cj.status.active = cj.status.active.filter((r: KObj) => r.uid !== job.metadata.uid);
    if (cj.status.active?.length === 0) delete cj.status.active;
    this.recorder.event(cj, "Normal", "SuccessfulDelete", `Deleted job ${job.metadata.name}`);
    return true;
  }

  /** successfulJobsHistoryLimit / failedJobsHistoryLimit: delete the oldest finished Jobs beyond them. */
  private async cleanupFinished(cj: KObj, jobs: KObj[]) {
    const byStart = (a: KObj, b: KObj) => (Date.parse(a.status?.startTime ?? "") || Infinity) - (Date.parse(b.status?.startTime ?? "") || Infinity) || String(a.metadata.name).localeCompare(String(b.metadata.name));
    const live = jobs.filter((j) => !j.metadata.deletionTimestamp);
    for (const [type, limit] of [["Complete", cj.spec?.successfulJobsHistoryLimit], ["Failed", cj.spec?.failedJobsHistoryLimit]] as const) {
      if (limit === undefined || limit === null) continue;
      const done = live.filter((j) => finishedType(j) === type).sort(byStart);
      for (const j of done.slice(0, Math.max(0, done.length - limit))) await this.deleteJob(cj, j);
    }
  }
}
