/**
 * @module scheduler/scheduler
 * kite's scheduler (a Controller run on the elected server): informers feed the cache
 * and the queue; the loop pops pods in priority order and runs each scheduling cycle
 * synchronously (filter/score against the cache, then assume), in time slices so the
 * server's event loop stays responsive; bindings (after volume PreBind) run
 * asynchronously with a bounded number in flight. Failures get PodScheduled=False, a
 * FailedScheduling event with upstream's wording, preemption when it helps, and a place
 * in the unschedulable pool until a relevant cluster event.
 */
import { isNotFound, KubeApiError, type KObj } from "../client/client.ts";
import type { EventRecorder } from "../client/events.ts";
import type { Informer, InformerHandlers } from "../client/informer.ts";
import { R, type GVR } from "../client/resources.ts";
import type { Controller, ControllerContext } from "../controllers/types.ts";
import { logger } from "../util/log.ts";
import { Algorithm, FitError, ScheduleError } from "./algorithm.ts";
import { bindPod, conditionPatch, EventLimiter, patchPodStatus, preemptVictim, SpamFilter, truncateMessage } from "./api-writes.ts";
import { SchedulerCache } from "./cache.ts";
import { anyNodeChange, nodeChange } from "./cluster-events.ts";
import { CycleState } from "./framework.ts";
import type { LabelSelector } from "./matchers.ts";
import { defaultSelector } from "./default-selector.ts";
import { isTerminal, podInfo, DEFAULT_SCHEDULER_NAME, type PodInfo } from "./pod-info.ts";
import { VolumeBinding } from "./plugins/volume-binding.ts";
import { NominatedPods, Preemption, type Candidate } from "./preemption.ts";
import { defaultProfile } from "./profile.ts";
import { SchedulingQueue, type QueuedPod } from "./queue.ts";

const log = logger("scheduler");

export const PDB_GVR: GVR = { group: "policy", version: "v1", resource: "poddisruptionbudgets", namespaced: true, kind: "PodDisruptionBudget" };

export interface SchedulerOptions {
  /** 0 (default): upstream's adaptive percentage. */
  percentageOfNodesToScore?: number;
  /** Bindings in flight at once (default 64). */
  parallelBinds?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  maxInUnschedulableMs?: number;
  /** How long PreBind waits for volume binding (default 600 s). */
  volumeBindTimeoutMs?: number;
  /**
   * Events per second (burst ×2) for all the scheduler's events; beyond it they are dropped
   * (default 50, like kube-scheduler's event client: qps 50, burst 100). FailedScheduling
   * events are also limited per pod (25, then one per 5 minutes).
   */
  eventsPerSecond?: number;
  /** Longest run of scheduling cycles before yielding to the event loop (default 10 ms). */
  sliceMs?: number;
  schedulerName?: string;
  random?: () => number;
}

export interface SchedulerStats {
  attempts: number;
  scheduled: number;
  unschedulable: number;
  errors: number;
  bindFailures: number;
  preemptions: number;
  /** Time spent in scheduling cycles (filter, score, assume), ms. */
  cycleMs: number;
}

export class Scheduler implements Controller {
  readonly name = "scheduler";
  cache = new SchedulerCache();
  queue!: SchedulingQueue;
  nominator = new NominatedPods();
  algorithm!: Algorithm;
  preemption!: Preemption;
  volumeBinding!: VolumeBinding;
  stats: SchedulerStats = emptyStats();

  private ctx?: ControllerContext;
  private recorder?: EventRecorder;
  private running = false;
  private abort = new AbortController();
  private loopDone: Promise<void> = Promise.resolve();
  private timers: ReturnType<typeof setInterval>[] = [];
  private bindsInFlight = 0;
  private bindWaiters: (() => void)[] = [];
  private binds = new Set<Promise<void>>();
  private limiter!: EventLimiter;
  private spam = new SpamFilter();
  private inf!: Record<"nodes" | "pods" | "pvcs" | "pvs" | "classes" | "namespaces" | "services" | "replicasets" | "statefulsets" | "pdbs", Informer>;
  private statsTimer?: ReturnType<typeof setTimeout>;
  private servicesByNs?: Map<string, KObj[]>;
  private loggedAttempts = 0;

  constructor(readonly opts: SchedulerOptions = {}) {}

  /** Register informer handlers and start the loop (it waits for the caches to sync). */
  start(ctx: ControllerContext) {
    if (this.running) return;
    this.ctx = ctx;
    this.running = true;
    this.abort = new AbortController();
    this.stats = emptyStats();
    this.cache = new SchedulerCache();
    this.nominator = new NominatedPods();
    this.servicesByNs = undefined;
    this.queue = new SchedulingQueue({ initialBackoffMs: this.opts.initialBackoffMs, maxBackoffMs: this.opts.maxBackoffMs, maxInUnschedulableMs: this.opts.maxInUnschedulableMs });
    this.recorder = ctx.recorder(this.opts.schedulerName ?? DEFAULT_SCHEDULER_NAME);
    const rate = this.opts.eventsPerSecond ?? 50;
    this.limiter = new EventLimiter(rate, rate * 2);
    this.spam = new SpamFilter();
    const i = ctx.informers;
    this.inf = {
      nodes: i.for(R.nodes),
      pods: i.for(R.pods),
      pvcs: i.for(R.persistentvolumeclaims),
      pvs: i.for(R.persistentvolumes),
      classes: i.for(R.storageclasses),
      namespaces: i.for(R.namespaces),
      services: i.for(R.services),
      replicasets: i.for(R.replicasets),
      statefulsets: i.for(R.statefulsets),
      pdbs: i.for(PDB_GVR),
    };
    const inf = this.inf;
    this.volumeBinding = new VolumeBinding({
      client: ctx.client,
      bindTimeoutMs: this.opts.volumeBindTimeoutMs,
      listers: {
        pvc: (ns, name) => inf.pvcs.get(ns, name),
        pv: (name) => inf.pvs.get(undefined, name),
        storageClass: (name) => inf.classes.get(undefined, name),
        storageClasses: () => inf.classes.store.values(),
        pvs: () => inf.pvs.store.values(),
      },
    });
    this.cache.namespaceLabelsFn = (ns) => inf.namespaces.get(undefined, ns)?.metadata?.labels;
    const profile = defaultProfile({ volumeBinding: this.volumeBinding, percentageOfNodesToScore: this.opts.percentageOfNodesToScore, defaultSelector: (p) => this.defaultSelector(p) });
    this.algorithm = new Algorithm(profile, this.nominator, this.opts.random);
    this.preemption = new Preemption({ algorithm: this.algorithm, pdbs: () => inf.pdbs.list(), random: this.opts.random });
    this.attach();
    this.timers.push(setInterval(() => this.queue.flush(), 1000));
    this.timers.push(setInterval(() => this.logStats(), 60_000));
    this.loopDone = this.loop().catch((e) => log.error("scheduler loop failed", { error: e as Error }));
  }

  async stop() {
    if (!this.running) return;
    this.running = false;
    this.abort.abort();
    this.queue.close();
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    if (this.statsTimer) clearTimeout(this.statsTimer);
    this.statsTimer = undefined;
    for (const w of this.bindWaiters.splice(0)) w();
    await this.loopDone;
    await Promise.allSettled([...this.binds]);
  }

  get isRunning() {
    return this.running;
  }

  private logStats() {
    const s = this.stats;
    if (s.attempts === 0) return;
    this.loggedAttempts = s.attempts;
    log.info("scheduling stats", { ...s, cycleMs: Math.round(s.cycleMs), pending: JSON.stringify(this.queue.sizes()), droppedEvents: this.limiter.dropped });
  }

  // --- informer handlers ------------------------------------------------------------------

  private responsible(pod: KObj): boolean {
    return (pod.spec?.schedulerName || DEFAULT_SCHEDULER_NAME) === (this.opts.schedulerName ?? DEFAULT_SCHEDULER_NAME);
  }

  private on(inf: Informer, h: InformerHandlers) {
    // Handlers stay registered on a stopped scheduler's informers (the manager discards that
    // factory); they do nothing once the scheduler is stopped.
    const guarded: InformerHandlers = {
      add: h.add && ((o) => this.running && h.add!(o)),
      update: h.update && ((a, b) => this.running && h.update!(a, b)),
      delete: h.delete && ((o) => this.running && h.delete!(o)),
    };
    inf.addHandlers(guarded);
  }

  private attach() {
    const { cache, queue } = this;
    this.on(this.inf.nodes, {
      add: (n) => queue.onEvent({ kind: "NodeAdd", node: cache.setNode(n) }),
      update: (o, n) => {
        const change = nodeChange(o, n);
        const info = cache.setNode(n);
        if (anyNodeChange(change)) queue.onEvent({ kind: "NodeUpdate", node: info, change });
      },
      delete: (n) => {
        cache.removeNode(n.metadata?.name);
        queue.onEvent({ kind: "NodeDelete", name: n.metadata?.name });
      },
    });
    this.on(this.inf.pods, {
      add: (p) => this.podAdded(p),
      update: (o, p) => this.podUpdated(o, p),
      delete: (p) => this.podDeleted(p),
    });
    const volumeEvent = (resource: "PersistentVolumeClaim" | "PersistentVolume" | "StorageClass") => () => queue.onEvent({ kind: "VolumeChange", resource });
    this.on(this.inf.pvcs, { add: volumeEvent("PersistentVolumeClaim"), update: volumeEvent("PersistentVolumeClaim"), delete: volumeEvent("PersistentVolumeClaim") });
    this.on(this.inf.pvs, {
      add: volumeEvent("PersistentVolume"),
      update: (_o, pv) => {
        if (pv.spec?.claimRef) this.volumeBinding.forgetPV(pv.metadata?.name);
        queue.onEvent({ kind: "VolumeChange", resource: "PersistentVolume" });
      },
      delete: (pv) => {
        this.volumeBinding.forgetPV(pv.metadata?.name);
        queue.onEvent({ kind: "VolumeChange", resource: "PersistentVolume" });
      },
    });
    this.on(this.inf.classes, { add: volumeEvent("StorageClass"), update: volumeEvent("StorageClass") });
    const servicesChanged = () => (this.servicesByNs = undefined);
    this.on(this.inf.services, { add: servicesChanged, update: servicesChanged, delete: servicesChanged });
    this.on(this.inf.namespaces, {
      add: () => queue.onEvent({ kind: "NamespaceChange" }),
      update: (o, n) => {
        if (JSON.stringify(o.metadata?.labels ?? {}) === JSON.stringify(n.metadata?.labels ?? {})) return;
        cache.counts.clear();
        queue.onEvent({ kind: "NamespaceChange" });
      },
    });
  }

  private podAdded(pod: KObj) {
    if (pod.spec?.nodeName) {
      const info = this.cache.upsertPod(pod);
      if (info) this.queue.onEvent({ kind: "AssignedPodAdd", pod: info });
      return;
    }
    if (!this.responsible(pod) || isTerminal(pod) || pod.metadata?.deletionTimestamp) return;
    const info = podInfo(pod);
    if (info.nominatedNodeName) this.nominator.set(info, info.nominatedNodeName);
    this.queue.add(info);
  }

  private podUpdated(old: KObj, pod: KObj) {
    const uid = String(pod.metadata?.uid ?? "");
    if (pod.spec?.nodeName) {
      if (!old.spec?.nodeName) {
        this.queue.delete(uid);
        this.nominator.delete(uid);
        // Our own binding confirmed (the resources were already counted as assumed), or
        // someone else bound it: either way a placed pod appeared.
        const info = this.cache.upsertPod(pod);
        if (info) this.queue.onEvent({ kind: "AssignedPodAdd", pod: info });
        return;
      }
      const before = this.cache.podInfoOf(uid);
      const info = this.cache.upsertPod(pod);
      if (before && info && before !== info) this.queue.onEvent({ kind: "AssignedPodUpdate", old: before, pod: info });
      else if (before && !info) this.queue.onEvent({ kind: "AssignedPodDelete", pod: before });
      return;
    }
    if (!this.responsible(pod)) return;
    if (isTerminal(pod) || pod.metadata?.deletionTimestamp) {
      this.queue.delete(uid);
      this.nominator.delete(uid);
      return;
    }
    if (this.cache.isAssumed(uid)) return; // a status patch while we bind it
    const info = podInfo(pod);
    if (info.nominatedNodeName) this.nominator.set(info, info.nominatedNodeName);
    this.queue.update(info);
  }

  private podDeleted(pod: KObj) {
    const uid = String(pod.metadata?.uid ?? "");
    this.spam.forget(uid);
    this.queue.delete(uid);
    this.nominator.delete(uid);
    if (!this.cache.isAssumed(uid)) {
      const info = this.cache.removePodByUid(uid);
      if (info) this.queue.onEvent({ kind: "AssignedPodDelete", pod: info });
    }
  }

  /** Services by namespace, rebuilt lazily after any Service event. */
  private servicesIn(ns: string): readonly KObj[] {
    if (!this.servicesByNs) {
      const m = new Map<string, KObj[]>();
      for (const svc of this.inf.services.store.values()) {
        const k = String(svc.metadata?.namespace ?? "");
        let l = m.get(k);
        if (!l) m.set(k, (l = []));
        l.push(svc);
      }
      this.servicesByNs = m;
    }
    return this.servicesByNs.get(ns) ?? [];
  }

  /** helper.DefaultSelector over the informers. */
  defaultSelector(pod: PodInfo): LabelSelector | null {
    return defaultSelector(pod, {
      services: (ns) => this.servicesIn(ns),
      controller: (kind, ns, name) => (kind === "ReplicaSet" ? this.inf.replicasets : this.inf.statefulsets).get(ns, name),
    });
  }

  // --- the loop -------------------------------------------------------------------------

  private async waitForCaches() {
    const { nodes, pods, ...rest } = this.inf;
    const stopped = new Promise<void>((r) => this.abort.signal.addEventListener("abort", () => r(), { once: true }));
    await Promise.race([Promise.all([nodes.waitForSync(), pods.waitForSync()]), stopped]);
    // The others are small; do not block forever on one that cannot list.
    await Promise.race([Promise.all(Object.values(rest).map((i) => i.waitForSync())), Bun.sleep(10_000), stopped]);
  }

  private async loop() {
    await this.waitForCaches();
    if (!this.running) return;
    log.info("scheduler caches synced", { nodes: this.cache.nodeCount(), pending: this.queue.sizes().active });
    const slice = this.opts.sliceMs ?? 10;
    const parallel = this.opts.parallelBinds ?? 64;
    while (this.running) {
      await this.queue.wait();
      const deadline = performance.now() + slice;
      while (this.running && this.bindsInFlight < parallel && performance.now() < deadline) {
        const q = this.queue.pop();
        if (!q) break;
        this.scheduleOne(q);
      }
      if (!this.running) break;
      if (this.bindsInFlight >= parallel) await new Promise<void>((r) => this.bindWaiters.push(r));
      else await new Promise((r) => setImmediate(r));
    }
  }

  /** The current version of a pod in the informer, if it still exists with this uid. */
  private current(pod: PodInfo): KObj | undefined {
    const cur = this.inf.pods.get(pod.namespace, pod.name);
    return cur && cur.metadata?.uid === pod.uid ? cur : undefined;
  }

  /** One scheduling cycle (synchronous); the binding continues asynchronously. */
  scheduleOne(q: QueuedPod) {
    const pod = q.info;
    const cur = this.current(pod);
    if (!cur || cur.spec?.nodeName || cur.metadata?.deletionTimestamp || this.cache.isAssumed(pod.uid)) {
      this.queue.done(pod.uid);
      return;
    }
    this.stats.attempts++;
    const t0 = performance.now();
    const state = new CycleState();
    let node: string;
    try {
      node = this.algorithm.schedule(state, pod, this.cache).node;
    } catch (e) {
      this.stats.cycleMs += performance.now() - t0;
      this.onScheduleFailure(q, state, e);
      return;
    }
    const assumed = this.cache.assumePod(pod, node);
    const rs = this.volumeBinding.reserve(state, pod, node);
    this.stats.cycleMs += performance.now() - t0;
    if (rs) {
      this.cache.forgetPod(assumed);
      this.recordFailure(q, "SchedulerError", rs.reasons.join(", "), null, undefined);
      return;
    }
    if (this.nominator.nodeFor(pod.uid)) this.nominator.delete(pod.uid);
    const p = this.bindingCycle(q, assumed, state, node);
    this.binds.add(p);
    void p.finally(() => this.binds.delete(p));
  }

  private async bindingCycle(q: QueuedPod, assumed: PodInfo, state: CycleState, node: string) {
    const pod = q.info;
    this.bindsInFlight++;
    try {
      if (pod.claims) {
        const s = await this.volumeBinding.preBind(state, pod, node, this.abort.signal);
        if (s) throw new Error(`running PreBind plugin "VolumeBinding": ${s.reasons.join(", ")}`);
      }
      await bindPod(this.ctx!.client, pod, node);
      this.queue.done(pod.uid);
      this.spam.forget(pod.uid);
      this.stats.scheduled++;
      if (this.limiter.take()) this.recorder?.event(pod.pod, "Normal", "Scheduled", `Successfully assigned ${pod.namespace}/${pod.name} to ${node}`);
    } catch (e) {
      this.stats.bindFailures++;
      this.volumeBinding.unreserve(state, pod, node);
      this.cache.forgetPod(assumed);
      this.queue.onEvent({ kind: "AssignedPodDelete", pod: assumed });
      if (!this.running || isNotFound(e)) {
        this.queue.done(pod.uid);
        return;
      }
      const msg = e instanceof KubeApiError ? `binding rejected: running Bind plugin "DefaultBinder": ${e.message}` : (e as Error).message;
      log.debug("binding failed", { pod: pod.key, node, error: msg });
      this.recordFailure(q, "SchedulerError", msg, null, undefined);
    } finally {
      this.bindsInFlight--;
      this.bindWaiters.shift()?.();
      if (this.bindsInFlight === 0 && this.queue.sizes().active === 0) this.logStatsSoon();
    }
  }

  /** A burst is over: log the totals once things stay quiet for a second. */
  private logStatsSoon() {
    if (this.statsTimer) clearTimeout(this.statsTimer);
    this.statsTimer = setTimeout(() => {
      this.statsTimer = undefined;
      if (this.running && this.bindsInFlight === 0 && this.stats.attempts !== this.loggedAttempts) this.logStats();
    }, 1000);
  }

  private onScheduleFailure(q: QueuedPod, state: CycleState, e: unknown) {
    const pod = q.info;
    if (e instanceof FitError) {
      this.stats.unschedulable++;
      let nominated: string | undefined;
      const outcome = this.preemption.preempt(state, pod, this.cache, e.diagnosis, e.filters);
      if (outcome.message) e.diagnosis.postFilterMsg = outcome.message;
      if (outcome.candidate) {
        nominated = outcome.candidate.node;
        this.nominator.set(pod, nominated);
        this.stats.preemptions++;
        void this.prepareCandidate(pod, outcome.candidate).catch((err) => log.warn("preemption failed", { pod: pod.key, error: err as Error }));
      } else if (pod.nominatedNodeName || this.nominator.nodeFor(pod.uid)) {
        nominated = "";
        this.nominator.delete(pod.uid);
      }
      this.recordFailure(q, "Unschedulable", e.message, e.diagnosis.plugins, nominated);
      return;
    }
    if (e instanceof ScheduleError && e.unschedulable) {
      this.stats.unschedulable++;
      this.recordFailure(q, "Unschedulable", e.message, [], undefined);
      return;
    }
    this.stats.errors++;
    log.warn("scheduling failed", { pod: pod.key, error: e as Error });
    this.recordFailure(q, "SchedulerError", (e as Error)?.message ?? String(e), null, undefined);
  }

  /** handleSchedulingFailure: requeue (unschedulable pool, or backoff when `plugins` is null), event, condition. */
  private recordFailure(q: QueuedPod, reason: string, message: string, plugins: Iterable<string> | null, nominated: string | undefined) {
    const pod = q.info;
    const cur = this.current(pod);
    if (!cur || cur.spec?.nodeName) {
      this.queue.done(pod.uid);
      return;
    }
    if (plugins === null) this.queue.requeueBackoff(q);
    else this.queue.requeueUnschedulable(q, plugins);
    if (this.spam.allow(pod.uid) && this.limiter.take()) this.recorder?.event(cur, "Warning", "FailedScheduling", truncateMessage(message));
    const patch = conditionPatch(cur, { reason, message }, nominated, new Date());
    if (patch) void patchPodStatus(this.ctx!.client, pod, patch).catch((e) => log.debug("status patch failed", { pod: pod.key, error: e as Error }));
  }

  /** prepareCandidate: delete the victims; lower-priority pods nominated to that node lose the nomination. */
  private async prepareCandidate(pod: PodInfo, c: Candidate) {
    const now = new Date();
    await Promise.all(c.victims.map((v) => preemptVictim(this.ctx!.client, this.recorder!, v, pod, c.node, now)));
    for (const np of this.nominator.nominatedPods(c.node)) {
      if (np.priority >= pod.priority || np.uid === pod.uid) continue;
      this.nominator.delete(np.uid);
      await patchPodStatus(this.ctx!.client, np, { status: { nominatedNodeName: null } }).catch(() => {});
    }
  }
}

function emptyStats(): SchedulerStats {
  return { attempts: 0, scheduled: 0, unschedulable: 0, errors: 0, bindFailures: 0, preemptions: 0, cycleMs: 0 };
}
