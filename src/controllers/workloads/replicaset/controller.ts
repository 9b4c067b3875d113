/**
 * @module controllers/workloads/replicaset/controller
 * The ReplicaSet controller: keeps `spec.replicas` active pods for each ReplicaSet.
 * Pods are found through the owner index (pods it controls plus orphans in its
 * namespace), claimed by selector (adopt matching orphans, release owned pods that no
 * longer match), created from the template with `generateName: <rs>-` and a controller
 * ownerReference in slow-start batches, and deleted in upstream's order (unscheduled,
 * pending, not ready, ... first). Expectations stop it from acting twice before its
 * informer saw its own creates and deletes. Status is written through the status
 * subresource.
 */
import type { KObj } from "../../../client/client.ts";
import { objectKey, type Informer } from "../../../client/informer.ts";
import { R } from "../../../client/resources.ts";
import type { ControllerContext } from "../../types.ts";
import { QueueController, splitKey } from "../util/base.ts";
import { claimObjects } from "../util/claim.ts";
import { Expectations } from "../util/expectations.ts";
import { controllerOf, ownerIndex, type OwnerIndex } from "../util/owner-index.ts";
import { PodControl, isNamespaceTerminating } from "../util/pod-control.ts";
import { controllerRefFor, isPodActive, isPodReady, msUntilAvailable, podFromTemplate, podsToDelete } from "../util/pods.ts";
import { selectorOf } from "../util/selectors.ts";
import { slowStartBatch } from "../util/slow-start.ts";
import { calculateReplicaSetStatus } from "./status.ts";
import { sameStatus, writeStatus } from "../util/status.ts";

/** Most pods created or deleted in one sync (upstream BurstReplicas). */
export const BURST_REPLICAS = 500;

export class ReplicaSetController extends QueueController {
  readonly name = "replicaset";
  protected readonly component = "replicaset-controller";
  protected override readonly workers = 4;
  readonly expectations = new Expectations();
  private rsInformer!: Informer;
  private podInformer!: Informer;
  private pods!: OwnerIndex;
  private replicaSets!: OwnerIndex;
  private podControl!: PodControl;

  protected setup(ctx: ControllerContext): Informer[] {
    this.rsInformer = ctx.informers.for(R.replicasets);
    this.podInformer = ctx.informers.for(R.pods);
    this.pods = ownerIndex(this.podInformer);
    this.replicaSets = ownerIndex(this.rsInformer);
    this.podControl = new PodControl(ctx.client, this.recorder);
    this.rsInformer.addHandlers({
      add: (rs) => this.enqueue(rs),
      update: (_old, rs) => this.enqueue(rs),
      delete: (rs) => {
        this.expectations.forget(objectKey(rs));
        this.enqueue(rs);
      },
    });
    this.podInformer.addHandlers({
      add: (pod) => this.podAdded(pod),
      update: (old, pod) => this.podUpdated(old, pod),
      delete: (pod) => this.podDeleted(pod),
    });
    return [this.rsInformer, this.podInformer];
  }

  /** The ReplicaSet a controller reference points at, if it still is that object. */
  private resolve(namespace: string, ref: { kind: string; name: string; uid: string } | undefined): KObj | undefined {
    if (!ref || ref.kind !== "ReplicaSet") return undefined;
    const rs = this.rsInformer.get(namespace, ref.name);
    return rs && rs.metadata.uid === ref.uid ? rs : undefined;
  }

  private matchingReplicaSets(pod: KObj): KObj[] {
    const ns = pod.metadata.namespace;
    const labels = pod.metadata.labels;
    if (!labels) return [];
    return this.rsInformer.list((rs) => rs.metadata.namespace === ns && selectorOf(rs).matches(labels));
  }

  private podAdded(pod: KObj) {
    if (pod.metadata.deletionTimestamp) return this.podDeleted(pod);
    const ref = controllerOf(pod);
    if (ref) {
      const rs = this.resolve(pod.metadata.namespace, ref);
      if (!rs) return;
      this.expectations.creationObserved(objectKey(rs));
      this.enqueue(rs);
      return;
    }
    for (const rs of this.matchingReplicaSets(pod)) this.enqueue(rs);
  }

  private podUpdated(old: KObj, pod: KObj) {
    if (old.metadata.resourceVersion === pod.metadata.resourceVersion) return;
    const labelsChanged = JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(pod.metadata.labels ?? {});
    if (pod.metadata.deletionTimestamp) {
      this.podDeleted(pod);
      if (labelsChanged) this.podDeleted(old);
      return;
    }
    const ref = controllerOf(pod);
    const oldRef = controllerOf(old);
    const refChanged = ref?.uid !== oldRef?.uid;
    if (refChanged && oldRef) {
      const rs = this.resolve(old.metadata.namespace, oldRef);
      if (rs) this.enqueue(rs);
    }
    if (ref) {
      const rs = this.resolve(pod.metadata.namespace, ref);
      if (!rs) return;
      this.enqueue(rs);
      const minReady = rs.spec?.minReadySeconds ?? 0;
      if (minReady > 0 && !isPodReady(old) && isPodReady(pod)) this.enqueueAfter(rs, minReady * 1000 + 1000);
      return;
    }
    if (labelsChanged || refChanged) for (const rs of this.matchingReplicaSets(pod)) this.enqueue(rs);
  }

  private podDeleted(pod: KObj) {
    const rs = this.resolve(pod.metadata.namespace, controllerOf(pod));
    if (!rs) return;
    this.expectations.deletionObserved(objectKey(rs), objectKey(pod));
    this.enqueue(rs);
  }

  protected async sync(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const rs = this.rsInformer.get(ns, name);
    if (!rs) {
      this.expectations.forget(key);
      return;
    }
    const needsSync = this.expectations.satisfied(key);
    const selector = selectorOf(rs);
    const candidates = [...this.pods.controlledBy(rs.metadata.uid), ...this.pods.orphansIn(ns)].filter(isPodActive);
    const pods = await claimObjects(
      {
        client: this.ctx.client,
        owner: rs,
        ownerGvr: R.replicasets,
        ref: controllerRefFor(rs, "apps/v1", "ReplicaSet"),
        gvr: R.pods,
        matches: (p) => selector.matches(p.metadata.labels),
      },
      candidates,
    );
    const diff = pods.length - (rs.spec?.replicas ?? 1);
    let manageError: unknown;
    if (needsSync && !rs.metadata.deletionTimestamp) {
      try {
        await this.manageReplicas(key, rs, pods, diff);
      } catch (e) {
        manageError = e;
      }
    }
    const now = Date.now();
    const status = calculateReplicaSetStatus(rs, pods, manageError, diff, now);
    status.observedGeneration = rs.metadata.generation ?? 1;
    if (!sameStatus(rs.status, status)) await writeStatus(this.ctx.client, R.replicasets, rs, status);
    if (manageError) throw manageError;
    // Come back when a ready pod becomes available (minReadySeconds).
    const minReady = rs.spec?.minReadySeconds ?? 0;
    if (minReady > 0) {
      let next: number | undefined;
      for (const p of pods) {
        const ms = msUntilAvailable(p, minReady, now);
        if (ms !== undefined && (next === undefined || ms < next)) next = ms;
      }
      if (next !== undefined) this.queue.addAfter(key, next);
    }
  }

  private async manageReplicas(key: string, rs: KObj, pods: KObj[], diff: number) {
    const ns = rs.metadata.namespace;
    if (diff < 0) {
      const n = Math.min(-diff, BURST_REPLICAS);
      this.expectations.expectCreations(key, n);
      const ref = controllerRefFor(rs, "apps/v1", "ReplicaSet");
      const { successes, error } = await slowStartBatch(n, 1, async () => {
        try {
          await this.podControl.create(rs, podFromTemplate(rs.spec.template, ns, ref, { generateName: `${rs.metadata.name}-` }));
        } catch (e) {
          if (!isNamespaceTerminating(e)) throw e;
        }
      });
      for (let i = successes; i < n; i++) this.expectations.creationFailed(key);
      if (error) throw error;
    } else if (diff > 0) {
      const n = Math.min(diff, BURST_REPLICAS);
      const victims = podsToDelete(pods, n, this.relatedPods(rs));
      this.expectations.expectDeletions(
        key,
        victims.map((p) => objectKey(p)),
      );
      const results = await Promise.allSettled(
        victims.map(async (p) => {
          try {
            if (!(await this.podControl.delete(rs, p))) this.expectations.deletionObserved(key, objectKey(p));
          } catch (e) {
            this.expectations.deletionObserved(key, objectKey(p));
            throw e;
          }
        }),
      );
      const failed = results.find((r) => r.status === "rejected") as PromiseRejectedResult | undefined;
      if (failed) throw failed.reason;
    }
  }

  /** Active pods of every ReplicaSet with the same controller (e.g. all of a Deployment's), for deletion ranking. */
  private relatedPods(rs: KObj): KObj[] {
    const owner = controllerOf(rs);
    if (!owner) return this.pods.controlledBy(rs.metadata.uid).filter(isPodActive);
    const out: KObj[] = [];
    for (const sibling of this.replicaSets.controlledBy(owner.uid)) for (const p of this.pods.controlledBy(sibling.metadata.uid)) if (isPodActive(p)) out.push(p);
    return out;
  }

}
