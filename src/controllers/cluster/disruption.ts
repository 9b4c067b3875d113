/**
 * @module controllers/cluster/disruption
 * The disruption controller (upstream pkg/controller/disruption): keeps each
 * PodDisruptionBudget's status — expectedPods, desiredHealthy, currentHealthy,
 * disruptionsAllowed, the DisruptionAllowed condition, observedGeneration — current as
 * its pods and their controllers change, and drops status.disruptedPods entries once the
 * evicted pod is deleting or the entry is older than 2 minutes. The eviction subresource
 * reads (and decrements) disruptionsAllowed; without this controller every budget would
 * stay at its created status (0 allowed) and block every eviction.
 */
import { deepEqual, rfc3339 } from "../../api/registry/objects.ts";
import type { KObj, KubeClient } from "../../client/client.ts";
import type { EventRecorder } from "../../client/events.ts";
import { objectKey, type Informer } from "../../client/informer.ts";
import { R, type GVR } from "../../client/resources.ts";
import { logger } from "../../util/log.ts";
import type { Controller, ControllerContext } from "../types.ts";
import { selectorOf } from "../workloads/util/selectors.ts";
import { isNamespaceTerminating } from "./api-errors.ts";
import { budgetStatus, countHealthy, expectedCounts, failSafeStatus, liveDisruptedPods, type ScaleOf } from "./disruption-budget.ts";
import { Worker } from "./worker.ts";

const log = logger("disruption");

export const PDB: GVR = { group: "policy", version: "v1", resource: "poddisruptionbudgets", namespaced: true, kind: "PodDisruptionBudget" };

export interface DisruptionOptions {
  /** Period of the full resync (ms), which also catches scale changes; default 30 s. */
  resyncMs?: number;
}

export class DisruptionController implements Controller {
  readonly name = "disruption";
  private worker?: Worker;
  private client!: KubeClient;
  private recorder!: EventRecorder;
  private pdbs!: Informer;
  private pods!: Informer;
  private replicasets!: Informer;
  private deployments!: Informer;
  private statefulsets!: Informer;

  constructor(private readonly opts: DisruptionOptions = {}) {}

  start(ctx: ControllerContext) {
    this.client = ctx.client;
    this.recorder = ctx.recorder("controllermanager");
    this.pdbs = ctx.informers.for(PDB);
    this.pods = ctx.informers.for(R.pods);
    this.replicasets = ctx.informers.for(R.replicasets);
    this.deployments = ctx.informers.for(R.deployments);
    this.statefulsets = ctx.informers.for(R.statefulsets);
    const w = (this.worker = new Worker({
      informers: [this.pdbs, this.pods, this.replicasets, this.deployments, this.statefulsets],
      handler: (k) => this.sync(k),
      log,
      onSynced: () => this.enqueueAll(),
      tick: () => this.enqueueAll(),
      tickMs: this.opts.resyncMs ?? 30_000,
    }));
    this.pdbs.addHandlers({ add: (p) => w.queue.add(objectKey(p)), update: (_o, p) => w.queue.add(objectKey(p)) });
    const podChanged = (pod: KObj) => {
      for (const pdb of this.budgetsFor(pod)) w.queue.add(objectKey(pdb));
    };
    this.pods.addHandlers({
      add: podChanged,
      update: (old, pod) => {
        podChanged(pod);
        if (JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(pod.metadata.labels ?? {})) podChanged(old);
      },
      delete: podChanged,
    });
    // A controller's scale is the expected pod count of maxUnavailable and percentage budgets.
    const scaleChanged = (old: KObj, cur: KObj) => {
      if (old.spec?.replicas !== cur.spec?.replicas) this.enqueueNamespace(cur.metadata.namespace);
    };
    for (const i of [this.replicasets, this.deployments, this.statefulsets]) i.addHandlers({ update: scaleChanged });
    w.start();
  }

  async stop() {
    await this.worker?.stop();
  }

  private enqueueAll() {
    for (const p of this.pdbs.list()) this.worker?.queue.add(objectKey(p));
  }

  private enqueueNamespace(ns: string) {
    for (const p of this.pdbs.list((x) => x.metadata.namespace === ns)) this.worker?.queue.add(objectKey(p));
  }

  /** The budgets whose selector matches the pod. */
  private budgetsFor(pod: KObj): KObj[] {
    const labels = pod.metadata.labels ?? {};
    return this.pdbs.list((p) => p.metadata.namespace === pod.metadata.namespace && selectorOf(p).matches(labels));
  }

  /** A pod's controller and its scale (a Deployment's through its ReplicaSet); null: no controller. */
  private scaleOf: ScaleOf = (pod) => {
    const ref = ((pod.metadata.ownerReferences ?? []) as KObj[]).find((o) => o.controller);
    if (!ref) return null;
    const ns: string = pod.metadata.namespace;
    const found = (inf: Informer, name: string, uid: string) => {
      const o = inf.get(ns, name);
      return o && o.metadata.uid === uid ? o : undefined;
    };
    const scale = (o: KObj) => ({ uid: o.metadata.uid as string, replicas: (o.spec?.replicas ?? 1) as number });
    if (ref.kind === "ReplicaSet" && String(ref.apiVersion).startsWith("apps/")) {
      const rs = found(this.replicasets, ref.name, ref.uid);
      if (!rs) return "missing";
      const owner = ((rs.metadata.ownerReferences ?? []) as KObj[]).find((o) => o.controller && o.kind === "Deployment");
      if (owner) {
        const d = found(this.deployments, owner.name, owner.uid);
        if (d) return scale(d);
      }
      return scale(rs);
    }
    if (ref.kind === "StatefulSet" && String(ref.apiVersion).startsWith("apps/")) {
      const sts = found(this.statefulsets, ref.name, ref.uid);
      return sts ? scale(sts) : "missing";
    }
    return "missing";
  };

  private async sync(key: string) {
    const [ns, name] = key.split("/") as [string, string];
    const pdb = this.pdbs.get(ns, name);
    if (!pdb || pdb.metadata.deletionTimestamp) return;
    const sel = selectorOf(pdb);
    const pods = this.pods.list((p) => p.metadata.namespace === ns && sel.matches(p.metadata.labels ?? {}));
    if (pods.length === 0) this.recorder.event(pdb, "Normal", "NoPods", "No matching pods found");
    const now = Date.now();
    const nowIso = rfc3339(new Date(now));
    let status: KObj;
    try {
      const counts = expectedCounts(pdb, pods, this.scaleOf);
      if (counts.unmanagedPods.length) {
        this.recorder.event(
          pdb,
          "Warning",
          "UnmanagedPods",
          `Pods selected by this PodDisruptionBudget (selector: ${JSON.stringify(pdb.spec?.selector ?? {})}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.`,
        );
      }
      const { disrupted, recheckAtMs } = liveDisruptedPods(pdb, pods, now);
      status = budgetStatus(pdb, counts, countHealthy(pods, disrupted), disrupted, nowIso);
      if (recheckAtMs !== null) this.worker?.queue.addAfter(key, Math.max(0, recheckAtMs - now) + 100);
    } catch (e) {
      this.recorder.event(pdb, "Warning", "CalculateExpectedPodCountFailed", `Failed to calculate the number of expected pods: ${(e as Error).message}`);
      status = failSafeStatus(pdb, (e as Error).message, nowIso);
    }
    // The condition's transition time only moves with its status, so equal means nothing to write.
    if (deepEqual(pdb.status ?? {}, status)) return;
    try {
      await this.client.updateStatus(PDB, ns, { ...pdb, status });
    } catch (e) {
      if (isNamespaceTerminating(e)) return;
      throw e; // a conflict: the worker retries on the fresher cache
    }
    log.debug("budget updated", { pdb: key, allowed: status.disruptionsAllowed, healthy: status.currentHealthy, desired: status.desiredHealthy, expected: status.expectedPods });
  }
}
