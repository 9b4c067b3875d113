/**
 * @module controllers/workloads/deployment/controller
 * The Deployment controller: owns ReplicaSets (claimed by selector and
 * ownerReferences), and per sync either reports status only (being deleted), scales
 * proportionally (paused, or a replica count change), or rolls out with the Deployment's
 * strategy. Watches Deployments, ReplicaSets, and pod deletions (for Recreate).
 */
import type { KObj } from "../../../client/client.ts";
import type { Informer } from "../../../client/informer.ts";
import { R } from "../../../client/resources.ts";
import type { ControllerContext } from "../../types.ts";
import { QueueController, splitKey } from "../util/base.ts";
import { claimObjects } from "../util/claim.ts";
import { controllerOf, ownerIndex, type OwnerIndex } from "../util/owner-index.ts";
import { controllerRefFor } from "../util/pods.ts";
import { selectorOf, selectsEverything } from "../util/selectors.ts";
import { updateDeploymentStatus, type DeploymentEnv } from "./env.ts";
import { rolloutRecreate } from "./recreate.ts";
import { rolloutRolling } from "./rolling.ts";
import { checkPausedConditions, getAllReplicaSetsAndSyncRevision, isScalingEvent, syncScaling, syncStatusOnly } from "./sync.ts";

export class DeploymentController extends QueueController {
  readonly name = "deployment";
  protected readonly component = "deployment-controller";
  protected override readonly workers = 4;
  private dInformer!: Informer;
  private rsInformer!: Informer;
  private replicaSets!: OwnerIndex;
  private pods!: OwnerIndex;
  /** Clock (tests move it forward to reach progress deadlines). */
  now: () => number = Date.now;

  protected setup(ctx: ControllerContext): Informer[] {
    this.dInformer = ctx.informers.for(R.deployments);
    this.rsInformer = ctx.informers.for(R.replicasets);
    const podInformer = ctx.informers.for(R.pods);
    this.replicaSets = ownerIndex(this.rsInformer);
    this.pods = ownerIndex(podInformer);
    this.dInformer.addHandlers({
      add: (d) => this.enqueue(d),
      update: (_o, d) => this.enqueue(d),
      delete: (d) => this.enqueue(d),
    });
    this.rsInformer.addHandlers({
      add: (rs) => this.rsChanged(undefined, rs),
      update: (old, rs) => this.rsChanged(old, rs),
      delete: (rs) => {
        const d = this.resolve(rs.metadata.namespace, controllerOf(rs));
        if (d) this.enqueue(d);
      },
    });
    podInformer.addHandlers({
      delete: (pod) => {
        // Recreate waits for old pods to be gone.
        const rs = this.resolveRS(pod.metadata.namespace, controllerOf(pod));
        const d = rs && this.resolve(rs.metadata.namespace, controllerOf(rs));
        if (d && d.spec?.strategy?.type === "Recreate") this.enqueue(d);
      },
    });
    return [this.dInformer, this.rsInformer, podInformer];
  }

  private resolve(namespace: string, ref: { kind: string; name: string; uid: string } | undefined): KObj | undefined {
    if (!ref || ref.kind !== "Deployment") return undefined;
    const d = this.dInformer.get(namespace, ref.name);
    return d && d.metadata.uid === ref.uid ? d : undefined;
  }

  private resolveRS(namespace: string, ref: { kind: string; name: string; uid: string } | undefined): KObj | undefined {
    if (!ref || ref.kind !== "ReplicaSet") return undefined;
    const rs = this.rsInformer.get(namespace, ref.name);
    return rs && rs.metadata.uid === ref.uid ? rs : undefined;
  }

  private matching(rs: KObj): KObj[] {
    const labels = rs.metadata.labels;
    if (!labels) return [];
    return this.dInformer.list((d) => d.metadata.namespace === rs.metadata.namespace && selectorOf(d).matches(labels));
  }

  private rsChanged(old: KObj | undefined, rs: KObj) {
    if (old && old.metadata.resourceVersion === rs.metadata.resourceVersion) return;
    const ref = controllerOf(rs);
    const oldRef = old ? controllerOf(old) : undefined;
    if (old && oldRef && oldRef.uid !== ref?.uid) {
      const d = this.resolve(old.metadata.namespace, oldRef);
      if (d) this.enqueue(d);
    }
    if (ref) {
      const d = this.resolve(rs.metadata.namespace, ref);
      if (d) this.enqueue(d);
      return;
    }
    const labelsChanged = !old || JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(rs.metadata.labels ?? {});
    if (rs.metadata.deletionTimestamp) return;
    if (labelsChanged || oldRef) for (const d of this.matching(rs)) this.enqueue(d);
  }

  private env(): DeploymentEnv {
    return {
      client: this.ctx.client,
      recorder: this.recorder,
      now: () => this.now(),
      cachedReplicaSet: (ns, name) => this.rsInformer.get(ns, name),
      requeueAfter: (d, ms) => this.enqueueAfter(d, ms),
      requeueRateLimited: (d) => this.queue.addRateLimited(`${d.metadata.namespace}/${d.metadata.name}`),
    };
  }

  protected async sync(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const cached = this.dInformer.get(ns, name);
    if (!cached) return;
    const d = structuredClone(cached);
    const env = this.env();
    if (selectsEverything(d)) {
      this.recorder.event(d, "Warning", "SelectingAll", "This deployment is selecting all pods. A non-empty selector is required.");
      if ((d.status?.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) {
        d.status = { ...(d.status ?? {}), observedGeneration: d.metadata.generation };
        await updateDeploymentStatus(env, d);
      }
      return;
    }
    const selector = selectorOf(cached);
    const rsList = await claimObjects(
      {
        client: this.ctx.client,
        owner: d,
        ownerGvr: R.deployments,
        ref: controllerRefFor(d, "apps/v1", "Deployment"),
        gvr: R.replicasets,
        matches: (rs) => selector.matches(rs.metadata.labels),
      },
      [...this.replicaSets.controlledBy(d.metadata.uid), ...this.replicaSets.orphansIn(ns)],
    );
    if (d.metadata.deletionTimestamp) return syncStatusOnly(env, d, rsList);
    await checkPausedConditions(env, d);
    if (d.spec.paused) return syncScaling(env, d, rsList);
    if (isScalingEvent(d, await getAllReplicaSetsAndSyncRevision(env, d, rsList, false))) return syncScaling(env, d, rsList);
    if (d.spec.strategy?.type === "Recreate") return rolloutRecreate(env, d, rsList, (rs) => this.pods.controlledBy(rs.metadata.uid));
    return rolloutRolling(env, d, rsList);
  }
}
