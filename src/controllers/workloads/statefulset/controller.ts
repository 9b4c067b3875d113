/**
 * @module controllers/workloads/statefulset/controller
 * The StatefulSet controller: claims its pods (selector plus `<set>-<n>` names) and
 * ControllerRevisions, computes the current/update revisions, runs one ordered update
 * pass (control.ts) through the API (pod-ops.ts), writes status (completing a rolling
 * update once every pod is updated and ready), and trims history.
 */
import type { KObj } from "../../../client/client.ts";
import { objectKey, type Informer } from "../../../client/informer.ts";
import { R } from "../../../client/resources.ts";
import type { ControllerContext } from "../../types.ts";
import { QueueController, splitKey } from "../util/base.ts";
import { claimObjects } from "../util/claim.ts";
import { Expectations } from "../util/expectations.ts";
import { controllerOf, ownerIndex, type OwnerIndex } from "../util/owner-index.ts";
import { controllerRefFor, isPodReady, msUntilAvailable } from "../util/pods.ts";
import { selectorOf, selectsEverything } from "../util/selectors.ts";
import { sameStatus, setCount, writeStatus } from "../util/status.ts";
import { computeReplicaStatus, updateStatefulSet } from "./control.ts";
import { isMemberOf } from "./identity.ts";
import { StatefulSetPodOps } from "./pod-ops.ts";
import { applyRevision, getStatefulSetRevisions, truncateHistory } from "./revisions.ts";

export class StatefulSetController extends QueueController {
  readonly name = "statefulset";
  protected readonly component = "statefulset-controller";
  readonly expectations = new Expectations();
  private setInformer!: Informer;
  private claimInformer!: Informer;
  private pods!: OwnerIndex;
  private revisions!: OwnerIndex;

  protected setup(ctx: ControllerContext): Informer[] {
    this.setInformer = ctx.informers.for(R.statefulsets);
    this.claimInformer = ctx.informers.for(R.persistentvolumeclaims);
    const podInformer = ctx.informers.for(R.pods);
    const crInformer = ctx.informers.for(R.controllerrevisions);
    this.pods = ownerIndex(podInformer);
    this.revisions = ownerIndex(crInformer);
    this.setInformer.addHandlers({
      add: (s) => this.enqueue(s),
      update: (_o, s) => this.enqueue(s),
      delete: (s) => this.expectations.forget(objectKey(s)),
    });
    podInformer.addHandlers({
      add: (p) => this.podAdded(p),
      update: (o, p) => this.podUpdated(o, p),
      delete: (p) => this.podDeleted(p),
    });
    return [this.setInformer, this.claimInformer, podInformer, crInformer];
  }

  private resolve(namespace: string, ref: { kind: string; name: string; uid: string } | undefined): KObj | undefined {
    if (!ref || ref.kind !== "StatefulSet") return undefined;
    const s = this.setInformer.get(namespace, ref.name);
    return s && s.metadata.uid === ref.uid ? s : undefined;
  }

  private matching(pod: KObj): KObj[] {
    const labels = pod.metadata.labels;
    if (!labels) return [];
    return this.setInformer.list((s) => s.metadata.namespace === pod.metadata.namespace && selectorOf(s).matches(labels) && isMemberOf(s, pod));
  }

  private podAdded(pod: KObj) {
    if (pod.metadata.deletionTimestamp) return this.podDeleted(pod);
    const ref = controllerOf(pod);
    if (ref) {
      const s = this.resolve(pod.metadata.namespace, ref);
      if (!s) return;
      this.expectations.creationObserved(objectKey(s));
      this.enqueue(s);
      return;
    }
    for (const s of this.matching(pod)) this.enqueue(s);
  }

  private podUpdated(old: KObj, pod: KObj) {
    if (old.metadata.resourceVersion === pod.metadata.resourceVersion) return;
    if (pod.metadata.deletionTimestamp && !old.metadata.deletionTimestamp) this.podDeleted(pod);
    const ref = controllerOf(pod);
    const oldRef = controllerOf(old);
    if (oldRef && oldRef.uid !== ref?.uid) {
      const s = this.resolve(old.metadata.namespace, oldRef);
      if (s) this.enqueue(s);
    }
    if (ref) {
      const s = this.resolve(pod.metadata.namespace, ref);
      if (!s) return;
      this.enqueue(s);
      const minReady = s.spec?.minReadySeconds ?? 0;
      if (minReady > 0 && !isPodReady(old) && isPodReady(pod)) this.enqueueAfter(s, minReady * 1000 + 1000);
      return;
    }
    if (JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(pod.metadata.labels ?? {}) || oldRef) for (const s of this.matching(pod)) this.enqueue(s);
  }

  private podDeleted(pod: KObj) {
    const s = this.resolve(pod.metadata.namespace, controllerOf(pod));
    if (!s) return;
    this.expectations.deletionObserved(objectKey(s), objectKey(pod));
    this.enqueue(s);
  }

  protected async sync(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const cached = this.setInformer.get(ns, name);
    if (!cached) {
      this.expectations.forget(key);
      return;
    }
    const set = structuredClone(cached);
    if (selectsEverything(set)) {
      this.recorder.event(set, "Warning", "SelectingAll", "This statefulset is selecting all pods. A non-empty selector is required.");
      return;
    }
    const selector = selectorOf(cached);
    const ref = controllerRefFor(set, "apps/v1", "StatefulSet");
    const revisions = await claimObjects(
      { client: this.ctx.client, owner: set, ownerGvr: R.statefulsets, ref, gvr: R.controllerrevisions, matches: (cr) => selector.matches(cr.metadata.labels) },
      [...this.revisions.controlledBy(set.metadata.uid), ...this.revisions.orphansIn(ns)],
    );
    const pods = await claimObjects(
      { client: this.ctx.client, owner: set, ownerGvr: R.statefulsets, ref, gvr: R.pods, matches: (p) => selector.matches(p.metadata.labels) && isMemberOf(set, p) },
      [...this.pods.controlledBy(set.metadata.uid), ...this.pods.orphansIn(ns)],
    );
    const { current, update, collisionCount } = await getStatefulSetRevisions(this.ctx.client, set, revisions);
    const revs = { current, update, currentSet: applyRevision(set, current), updateSet: applyRevision(set, update) };
    const now = Date.now();
    const minReady = set.spec?.minReadySeconds ?? 0;
    let counts: ReturnType<typeof computeReplicaStatus>;
    let live = pods;
    let failure: unknown;
    counts = computeReplicaStatus(pods, minReady, current, update, now);
    if (this.expectations.satisfied(key)) {
      const ops = new StatefulSetPodOps(this.ctx.client, this.recorder, this.claimInformer, this.expectations, key);
      try {
        const res = await updateStatefulSet(set, revs, pods, ops, now);
        counts = res.status;
        live = [...res.replicas, ...res.condemned];
      } catch (e) {
        failure = e; // status is still written, like upstream
      }
    }

    const status: KObj = { ...(set.status ?? {}) };
    status.observedGeneration = set.metadata.generation ?? 1;
    status.replicas = counts.replicas;
    setCount(status, "readyReplicas", counts.readyReplicas);
    setCount(status, "currentReplicas", counts.currentReplicas);
    setCount(status, "updatedReplicas", counts.updatedReplicas);
    status.availableReplicas = counts.availableReplicas;
    status.currentRevision = current.metadata.name;
    status.updateRevision = update.metadata.name;
    if (collisionCount) status.collisionCount = collisionCount;
    // completeRollingUpdate
    if (set.spec?.updateStrategy?.type === "RollingUpdate" && counts.updatedReplicas === counts.replicas && counts.readyReplicas === counts.replicas) {
      setCount(status, "currentReplicas", counts.updatedReplicas);
      status.currentRevision = status.updateRevision;
    }
    if (!sameStatus(set.status, status)) await writeStatus(this.ctx.client, R.statefulsets, set, status);
    if (failure) throw failure;
    await truncateHistory(this.ctx.client, set, live, revisions, current, update);
    if (minReady > 0) {
      let next: number | undefined;
      for (const p of pods) {
        const ms = msUntilAvailable(p, minReady, now);
        if (ms !== undefined && (next === undefined || ms < next)) next = ms;
      }
      if (next !== undefined) this.queue.addAfter(key, next);
    }
  }
}
