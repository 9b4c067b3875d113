/**
 * @module controllers/workloads/job/controller
 * The Job controller (upstream job_controller, pod tracking with finalizers): pods get the
 * `batch.kubernetes.io/job-tracking` finalizer; a finished pod is first recorded in
 * status.uncountedTerminatedPods, then its finalizer is removed, then it moves into
 * status.succeeded / status.failed — so each pod is counted exactly once even if it is
 * deleted or the controller restarts. Failure (backoffLimit, OnFailure restarts,
 * activeDeadlineSeconds, a FailJob pod failure policy rule) is recorded as FailureTarget,
 * active pods are deleted, and Failed follows once none is left; success is recorded as
 * SuccessCriteriaMet, then Complete with completionTime (as 1.31+ does). Suspension,
 * Indexed completion, pod-failure back-off, and cleanup of finalizers on orphaned pods.
 */
import { isNotFound, type KObj } from "../../../client/client.ts";
import { objectKey, type Informer } from "../../../client/informer.ts";
import { R } from "../../../client/resources.ts";
import type { ControllerContext } from "../../types.ts";
import { QueueController, splitKey } from "../util/base.ts";
import { claimObjects } from "../util/claim.ts";
import { nowTime } from "../util/conditions.ts";
import { Expectations } from "../util/expectations.ts";
import { controllerOf, ownerIndex, type OwnerIndex } from "../util/owner-index.ts";
import { PodControl, isNamespaceTerminating } from "../util/pod-control.ts";
import { controllerRefFor, isPodActive, isPodReady, podFromTemplate } from "../util/pods.ts";
import { selectorOf } from "../util/selectors.ts";
import { slowStartBatch } from "../util/slow-start.ts";
import { sameStatus, writeStatus } from "../util/status.ts";
import { planPods } from "./manage.ts";
import {
  COMPLETION_INDEX,
  completionIndex,
  conditionTrue,
  ensureCondition,
  findCondition,
  formatIndexes,
  isIndexed,
  isJobFinished,
  isPodFailed,
  isSuspended,
  matchPodFailurePolicy,
  newCondition,
  nextBackoffRecord,
  onlyReplaceFailed,
  parseIndexes,
  pastBackoffLimitOnFailure,
  Reasons,
  remainingBackoff,
  TRACKING_FINALIZER,
  type BackoffRecord,
  type JobCondition,
} from "./util.ts";

const MAX_PODS_PER_SYNC = 500;
const ORPHAN = "\u0000orphan:";

const hasFinalizer = (p: KObj) => (p.metadata.finalizers ?? []).includes(TRACKING_FINALIZER);
const finished = (p: KObj) => p.status?.phase === "Succeeded" || p.status?.phase === "Failed";

export class JobController extends QueueController {
  readonly name = "job";
  protected readonly component = "job-controller";
  protected override readonly workers = 4;
  readonly expectations = new Expectations();
  /** Pod UIDs whose finalizer removal was written but not yet seen, per job key. */
  private finalizerRemovals = new Map<string, Set<string>>();
  private backoffs = new Map<string, BackoffRecord>();
  private jobInformer!: Informer;
  private pods!: OwnerIndex;
  private podInformer!: Informer;
  private podControl!: PodControl;
  /** Pod-failure back-off base (ms); tests may lower it. */
  backoffBaseMs = Number(process.env.KITE_JOB_BACKOFF_BASE_MS) || undefined;

  protected setup(ctx: ControllerContext): Informer[] {
    this.jobInformer = ctx.informers.for(R.jobs);
    this.podInformer = ctx.informers.for(R.pods);
    this.pods = ownerIndex(this.podInformer);
    this.podControl = new PodControl(ctx.client, this.recorder);
    this.jobInformer.addHandlers({
      add: (j) => this.enqueue(j),
      update: (_o, j) => this.enqueue(j),
      delete: (j) => {
        const key = objectKey(j);
        this.expectations.forget(key);
        this.finalizerRemovals.delete(key);
        this.backoffs.delete(key);
        // Its pods keep the tracking finalizer: release them.
        for (const p of this.pods.controlledBy(j.metadata.uid)) if (hasFinalizer(p)) this.queue.add(ORPHAN + objectKey(p));
      },
    });
    this.podInformer.addHandlers({
      add: (p) => this.podChanged(undefined, p),
      update: (o, p) => this.podChanged(o, p),
      delete: (p) => this.podDeleted(p),
    });
    return [this.jobInformer, this.podInformer];
  }

  private resolve(namespace: string, ref: { kind: string; name: string; uid: string } | undefined): KObj | undefined {
    if (!ref || ref.kind !== "Job") return undefined;
    const j = this.jobInformer.get(namespace, ref.name);
    return j && j.metadata.uid === ref.uid ? j : undefined;
  }

  private podChanged(old: KObj | undefined, pod: KObj) {
    if (old && old.metadata.resourceVersion === pod.metadata.resourceVersion) return;
    const ref = controllerOf(pod);
    const job = this.resolve(pod.metadata.namespace, ref);
    if (!job) {
      if (ref?.kind === "Job" && hasFinalizer(pod) && this.jobInformer.hasSynced()) this.queue.add(ORPHAN + objectKey(pod));
      const labelsChanged = !old || JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(pod.metadata.labels ?? {});
      if (!ref && labelsChanged) for (const j of this.matching(pod)) this.enqueue(j);
      return;
    }
    const key = objectKey(job);
    if (!old) this.expectations.creationObserved(key);
    if (pod.metadata.deletionTimestamp && !old?.metadata.deletionTimestamp) this.expectations.deletionObserved(key, objectKey(pod));
    if (!hasFinalizer(pod)) this.finalizerRemovals.get(key)?.delete(pod.metadata.uid);
    const oldRef = old && controllerOf(old);
    if (oldRef && oldRef.uid !== ref?.uid) {
      const prev = this.resolve(old!.metadata.namespace, oldRef);
      if (prev) this.enqueue(prev);
    }
    this.enqueue(job);
  }

  private podDeleted(pod: KObj) {
    const job = this.resolve(pod.metadata.namespace, controllerOf(pod));
    if (!job) return;
    const key = objectKey(job);
    this.expectations.deletionObserved(key, objectKey(pod));
    this.finalizerRemovals.get(key)?.delete(pod.metadata.uid);
    this.enqueue(job);
  }

  private matching(pod: KObj): KObj[] {
    const labels = pod.metadata.labels;
    if (!labels) return [];
    return this.jobInformer.list((j) => j.metadata.namespace === pod.metadata.namespace && selectorOf(j).matches(labels));
  }

  private async removeFinalizer(pod: KObj): Promise<boolean> {
    const current: string[] = pod.metadata.finalizers ?? [];
    if (!current.includes(TRACKING_FINALIZER)) return true;
    try {
      await this.ctx.client.patch(
        R.pods,
        pod.metadata.namespace,
        pod.metadata.name,
        [
          { op: "test", path: "/metadata/uid", value: pod.metadata.uid },
          { op: "test", path: "/metadata/finalizers", value: current },
          { op: "replace", path: "/metadata/finalizers", value: current.filter((f) => f !== TRACKING_FINALIZER) },
        ],
        "json",
      );
      return true;
    } catch (e) {
      if (isNotFound(e)) return true;
      throw e;
    }
  }

  /** A pod still carrying the tracking finalizer whose Job is gone. */
  private async syncOrphan(podKey: string) {
    const [ns, name] = splitKey(podKey);
    const pod = this.podInformer.get(ns, name);
    if (!pod || !hasFinalizer(pod)) return;
    const ref = controllerOf(pod);
    if (ref && ref.kind === "Job") {
      const job = await this.ctx.client.getOrNull(R.jobs, ns, ref.name);
      if (job && job.metadata.uid === ref.uid && !isJobFinished(job)) return;
    }
    await this.removeFinalizer(pod);
  }

  protected async sync(key: string): Promise<void> {
    if (key.startsWith(ORPHAN)) return this.syncOrphan(key.slice(ORPHAN.length));
    const [ns, name] = splitKey(key);
    const cached = this.jobInformer.get(ns, name);
    if (!cached) {
      this.expectations.forget(key);
      this.finalizerRemovals.delete(key);
      this.backoffs.delete(key);
      return;
    }
    const job = structuredClone(cached);
    const now = Date.now();
    const selector = selectorOf(cached);
    const claimed = await claimObjects(
      { client: this.ctx.client, owner: job, ownerGvr: R.jobs, ref: controllerRefFor(job, "batch/v1", "Job"), gvr: R.pods, matches: (p) => selector.matches(p.metadata.labels) },
      [...this.pods.controlledBy(job.metadata.uid), ...this.pods.orphansIn(ns)],
    );
    // Released pods (no longer ours) must not keep our finalizer.
    for (const p of this.pods.controlledBy(job.metadata.uid)) if (hasFinalizer(p) && !claimed.includes(p)) this.queue.add(ORPHAN + objectKey(p));
    if (isJobFinished(job)) {
      this.backoffs.delete(key);
      // Anything still carrying the finalizer (created late, or counted before a crash) is released.
      for (const p of claimed) if (hasFinalizer(p) && (finished(p) || p.metadata.deletionTimestamp)) await this.removeFinalizer(p);
      return;
    }

    const st: KObj = (job.status ??= {});
    const pendingRemoval = this.finalizerRemovals.get(key) ?? new Set<string>();
    // A removal is observed once the cached pod lost the finalizer (or is gone).
    const byUidNow = new Map(claimed.map((p) => [p.metadata.uid as string, p]));
    for (const uid of [...pendingRemoval]) {
      const p = byUidNow.get(uid);
      if (!p || !hasFinalizer(p)) pendingRemoval.delete(uid);
    }
    const uncounted = { succeeded: new Set<string>(st.uncountedTerminatedPods?.succeeded ?? []), failed: new Set<string>(st.uncountedTerminatedPods?.failed ?? []) };
    const active = claimed.filter(isPodActive);
    const terminatingPods = claimed.filter((p) => p.metadata.deletionTimestamp && !finished(p));
    const indexed = isIndexed(job);
    const completions: number | undefined = job.spec?.completions ?? undefined;
    const completedIndexes = indexed ? parseIndexes(st.completedIndexes, completions ?? Infinity) : new Set<number>();

    // Newly finished pods (still carrying the finalizer, not yet recorded).
    const newSucceeded: KObj[] = [];
    const newFailed: KObj[] = [];
    const ignoredFailed: KObj[] = [];
    let failJobMessage: string | undefined;
    for (const p of claimed) {
      if (!hasFinalizer(p) || pendingRemoval.has(p.metadata.uid)) continue;
      if (p.status?.phase === "Succeeded") {
        if (uncounted.succeeded.has(p.metadata.uid)) continue;
        const ix = completionIndex(p);
        if (indexed && (ix === undefined || ix >= (completions ?? 0) || completedIndexes.has(ix))) ignoredFailed.push(p);
        else newSucceeded.push(p);
      } else if (isPodFailed(p, job)) {
        if (uncounted.failed.has(p.metadata.uid)) continue;
        const m = p.status?.phase === "Failed" ? matchPodFailurePolicy(job.spec?.podFailurePolicy, p) : { count: true };
        if (m.failJobMessage && !failJobMessage) failJobMessage = m.failJobMessage;
        (m.count ? newFailed : ignoredFailed).push(p);
      }
    }
    const succeeded = (st.succeeded ?? 0) + newSucceeded.length + uncounted.succeeded.size;
    const failed = (st.failed ?? 0) + newFailed.length + uncounted.failed.size;
    const rec = nextBackoffRecord(this.backoffs.get(key), newSucceeded, newFailed, now);
    this.backoffs.set(key, rec);
    const satisfied = this.expectations.satisfied(key) && pendingRemoval.size === 0;

    if (!st.startTime && !isSuspended(job)) st.startTime = nowTime(now);
    const parallelism: number = job.spec?.parallelism ?? 1;
    let activeCount = active.length;
    let terminating = terminatingPods.length;
    let finishedCond: JobCondition | undefined;
    let suspendChanged = false;
    const interimSuccess = findCondition(job, "SuccessCriteriaMet");
    const interimFailure = findCondition(job, "FailureTarget");
    if (interimSuccess?.status === "True") finishedCond = interimSuccess;
    else if (interimFailure?.status === "True") finishedCond = interimFailure;
    else if (failJobMessage) finishedCond = newCondition("FailureTarget", "True", Reasons.PodFailurePolicy, failJobMessage, now);
    if (!finishedCond) {
      const newFailure = failed > (st.failed ?? 0);
      const backoffLimit: number = job.spec?.backoffLimit ?? 6;
      if ((newFailure && activeCount !== parallelism && failed > backoffLimit) || pastBackoffLimitOnFailure(job, active)) {
        finishedCond = newCondition("FailureTarget", "True", Reasons.BackoffLimitExceeded, "Job has reached the specified backoff limit", now);
      } else if (this.pastActiveDeadline(job, now)) {
        finishedCond = newCondition("FailureTarget", "True", Reasons.DeadlineExceeded, "Job was active longer than specified deadline", now);
      } else if (job.spec?.activeDeadlineSeconds !== undefined && job.spec?.activeDeadlineSeconds !== null && !isSuspended(job) && st.startTime) {
        this.queue.addAfter(key, Date.parse(st.startTime) + job.spec.activeDeadlineSeconds * 1000 - now + 10);
      }
    }

    let manageError: unknown;
    if (finishedCond && finishedCond.type === "FailureTarget") {
      // Stop everything that still runs.
      const { deleted, error } = await this.deletePods(key, job, active);
      activeCount -= deleted;
      terminating += deleted;
      manageError = error;
    } else if (!finishedCond) {
      let managed = false;
      if (satisfied && !job.metadata.deletionTimestamp) {
        managed = true;
        const succeededIx = new Set(completedIndexes);
        for (const p of [...newSucceeded, ...claimed.filter((x) => uncounted.succeeded.has(x.metadata.uid))]) {
          const ix = completionIndex(p);
          if (ix !== undefined) succeededIx.add(ix);
        }
        const plan = planPods(job, active, succeeded, succeededIx, terminating, onlyReplaceFailed(job));
        try {
          if (plan.remove.length) {
            const { deleted, error } = await this.deletePods(key, job, plan.remove.slice(0, MAX_PODS_PER_SYNC));
            activeCount -= deleted;
            terminating += deleted;
            if (error) throw error;
          } else if (plan.create > 0) {
            const wait = remainingBackoff(rec, now, this.backoffBaseMs);
            if (wait > 0) this.queue.addAfter(key, wait);
            else activeCount += await this.createPods(key, job, plan.create, plan.indexes);
          }
        } catch (e) {
          manageError = e;
        }
      }
      const doneCount = indexed ? completedIndexesAfter(completedIndexes, newSucceeded, uncounted, claimed).size : succeeded;
      const complete = completions === undefined ? succeeded > 0 && activeCount === 0 : doneCount >= completions && activeCount === 0;
      if (complete) finishedCond = newCondition("SuccessCriteriaMet", "True", Reasons.CompletionsReached, "Reached expected number of succeeded pods", now);
      else if (managed) {
        if (isSuspended(job)) {
          if (ensureCondition(st, "Suspended", "True", "JobSuspended", "Job suspended", now)) {
            suspendChanged = true;
            this.recorder.event(job, "Normal", "Suspended", "Job suspended");
          }
        } else if (ensureCondition(st, "Suspended", "False", "JobResumed", "Job resumed", now)) {
          suspendChanged = true;
          this.recorder.event(job, "Normal", "Resumed", "Job resumed");
          // The deadline counts from the resume.
          st.startTime = nowTime(now);
        }
      }
    }
    void suspendChanged;

    st.active = activeCount;
    st.ready = active.filter(isPodReady).length;
    st.terminating = terminating;
    await this.trackAndFinish(key, job, cached, claimed, { newSucceeded, newFailed, ignoredFailed, uncounted, finishedCond, terminating, now });
    if (manageError) throw manageError;
  }

  private pastActiveDeadline(job: KObj, now: number): boolean {
    const d = job.spec?.activeDeadlineSeconds;
    if (d === undefined || d === null || !job.status?.startTime || isSuspended(job)) return false;
    return now - Date.parse(job.status.startTime) >= d * 1000;
  }

  /**
   * Record newly finished pods as uncounted, write status; remove their finalizers; move
   * them into the counters; then (nothing uncounted or terminating left) turn the interim
   * condition into Complete or Failed.
   */
  private async trackAndFinish(
    key: string,
    job: KObj,
    cached: KObj,
    pods: KObj[],
    t: { newSucceeded: KObj[]; newFailed: KObj[]; ignoredFailed: KObj[]; uncounted: { succeeded: Set<string>; failed: Set<string> }; finishedCond?: JobCondition; terminating: number; now: number },
  ) {
    const st = job.status;
    for (const p of t.newSucceeded) t.uncounted.succeeded.add(p.metadata.uid);
    for (const p of t.newFailed) t.uncounted.failed.add(p.metadata.uid);
    let final: JobCondition | undefined;
    if (t.finishedCond?.type === "FailureTarget" || t.finishedCond?.type === "SuccessCriteriaMet") {
      if (!conditionTrue(job, t.finishedCond.type)) st.conditions = [...(st.conditions ?? []), t.finishedCond];
      final = newCondition(t.finishedCond.type === "FailureTarget" ? "Failed" : "Complete", "True", t.finishedCond.reason, t.finishedCond.message, t.now);
    }
    setUncounted(st, t.uncounted);
    const indexOf = new Map<string, number>();
    for (const p of pods) {
      const ix = completionIndex(p);
      if (ix !== undefined) indexOf.set(p.metadata.uid, ix);
    }
    // 1. Persist what was seen before touching any pod.
    if (!sameStatus(cached.status, st)) await this.putStatus(job, st);

    // 2. Remove finalizers of recorded (and ignored) pods.
    const byUid = new Map(pods.map((p) => [p.metadata.uid as string, p]));
    const release = [...t.uncounted.succeeded, ...t.uncounted.failed].map((u) => byUid.get(u)).filter((p): p is KObj => Boolean(p));
    release.push(...t.ignoredFailed);
    const removed = new Set<string>();
    const pending = this.finalizerRemovals.get(key) ?? new Set<string>();
    const errors: unknown[] = [];
    await Promise.all(
      release.map(async (p) => {
        // Expect the removal before writing it: the watch may deliver it before this call returns.
        const expect = hasFinalizer(p);
        if (expect) pending.add(p.metadata.uid);
        try {
          await this.removeFinalizer(p);
          removed.add(p.metadata.uid);
        } catch (e) {
          if (expect) pending.delete(p.metadata.uid);
          errors.push(e);
        }
      }),
    );
    if (pending.size) this.finalizerRemovals.set(key, pending);
    else this.finalizerRemovals.delete(key);

    // 3. Count pods whose finalizer is gone (or that are gone).
    let changed = false;
    for (const kind of ["succeeded", "failed"] as const) {
      for (const uid of [...t.uncounted[kind]]) {
        if (byUid.has(uid) && !removed.has(uid)) continue;
        t.uncounted[kind].delete(uid);
        st[kind] = (st[kind] ?? 0) + 1;
        changed = true;
        if (kind === "succeeded" && isIndexed(job) && indexOf.has(uid)) {
          const done = parseIndexes(st.completedIndexes, job.spec?.completions ?? Infinity);
          done.add(indexOf.get(uid)!);
          st.completedIndexes = formatIndexes(done);
          st.succeeded = done.size;
        }
      }
    }
    setUncounted(st, t.uncounted);

    // 4. Finish once nothing is uncounted and no pod is terminating.
    let finishedNow = false;
    if (final && t.uncounted.succeeded.size + t.uncounted.failed.size === 0 && t.terminating === 0) {
      ensureCondition(st, final.type, "True", final.reason, final.message, t.now);
      if (final.type === "Complete") st.completionTime = nowTime(t.now);
      finishedNow = true;
      changed = true;
    }
    if (changed) await this.putStatus(job, st);
    if (finishedNow) {
      if (final!.type === "Complete") this.recorder.event(job, "Normal", "Completed", "Job completed");
      else this.recorder.event(job, "Warning", final!.reason, final!.message);
    }
    if (errors.length) throw errors[0];
  }

  private async putStatus(job: KObj, status: KObj) {
    const res = await writeStatus(this.ctx.client, R.jobs, job, status);
    if (res) job.metadata.resourceVersion = res.metadata.resourceVersion;
  }

  private async createPods(key: string, job: KObj, count: number, indexes: number[]): Promise<number> {
    const n = Math.min(count, MAX_PODS_PER_SYNC);
    this.expectations.raise(key, n);
    const ref = controllerRefFor(job, "batch/v1", "Job");
    const { successes, error } = await slowStartBatch(n, 1, async (i) => {
      const ix = indexes[i];
      const template = structuredClone(job.spec.template);
      template.metadata ??= {};
      template.metadata.finalizers = [...new Set([...(template.metadata.finalizers ?? []), TRACKING_FINALIZER])];
      let generateName = `${job.metadata.name}-`;
      if (ix !== undefined) {
        template.metadata.annotations = { ...(template.metadata.annotations ?? {}), [COMPLETION_INDEX]: String(ix) };
        template.metadata.labels = { ...(template.metadata.labels ?? {}), [COMPLETION_INDEX]: String(ix) };
        template.spec.hostname ??= `${job.metadata.name}-${ix}`;
        for (const c of [...(template.spec.initContainers ?? []), ...(template.spec.containers ?? [])]) {
          c.env = [...(c.env ?? []).filter((e: KObj) => e.name !== "JOB_COMPLETION_INDEX"), { name: "JOB_COMPLETION_INDEX", valueFrom: { fieldRef: { fieldPath: `metadata.labels['${COMPLETION_INDEX}']` } } }];
        }
        generateName = `${job.metadata.name}-${ix}-`;
      }
      try {
        await this.podControl.create(job, podFromTemplate(template, job.metadata.namespace, ref, { generateName }));
      } catch (e) {
        if (!isNamespaceTerminating(e)) throw e;
      }
    });
    for (let i = successes; i < n; i++) this.expectations.creationFailed(key);
    if (error) throw error;
    return successes;
  }

  private async deletePods(key: string, job: KObj, pods: KObj[]): Promise<{ deleted: number; error?: unknown }> {
    if (pods.length === 0) return { deleted: 0 };
    this.expectations.raise(
      key,
      0,
      pods.map((p) => objectKey(p)),
    );
    let deleted = 0;
    let error: unknown;
    await Promise.all(
      pods.map(async (p) => {
        try {
          if (await this.podControl.delete(job, p)) deleted++;
          else this.expectations.deletionObserved(key, objectKey(p));
        } catch (e) {
          this.expectations.deletionObserved(key, objectKey(p));
          error ??= e;
        }
      }),
    );
    return { deleted, error };
  }
}

function setUncounted(st: KObj, u: { succeeded: Set<string>; failed: Set<string> }) {
  st.uncountedTerminatedPods = {};
  if (u.succeeded.size) st.uncountedTerminatedPods.succeeded = [...u.succeeded];
  if (u.failed.size) st.uncountedTerminatedPods.failed = [...u.failed];
}

function completedIndexesAfter(done: Set<number>, newSucceeded: KObj[], uncounted: { succeeded: Set<string> }, pods: KObj[]): Set<number> {
  const out = new Set(done);
  for (const p of [...newSucceeded, ...pods.filter((x) => uncounted.succeeded.has(x.metadata.uid))]) {
    const ix = completionIndex(p);
    if (ix !== undefined) out.add(ix);
  }
  return out;
}
