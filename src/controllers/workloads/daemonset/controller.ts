/**
 * @module controllers/workloads/daemonset/controller
 * The DaemonSet controller: one daemon pod on every eligible node (placement.ts), pods
 * pinned to their node by node affinity for the scheduler (like upstream, not by
 * spec.nodeName), failed daemon pods replaced with back-off, extra pods on a node
 * removed, RollingUpdate (update.ts) or OnDelete updates, ControllerRevision history
 * (history.ts) and status. Watches DaemonSets, pods, nodes and ControllerRevisions.
 */
import type { KObj } from "../../../client/client.ts";
import { objectKey, type Informer } from "../../../client/informer.ts";
import { R } from "../../../client/resources.ts";
import type { ControllerContext } from "../../types.ts";
import { QueueController, splitKey } from "../util/base.ts";
import { claimObjects } from "../util/claim.ts";
import { Expectations } from "../util/expectations.ts";
import { CONTROLLER_REVISION_HASH } from "../util/history.ts";
import { controllerOf, ownerIndex, type OwnerIndex } from "../util/owner-index.ts";
import { PodControl, isNamespaceTerminating } from "../util/pod-control.ts";
import { controllerRefFor, isPodAvailable, isPodReady, msUntilAvailable, podFromTemplate } from "../util/pods.ts";
import { selectorOf, selectsEverything } from "../util/selectors.ts";
import { slowStartBatch } from "../util/slow-start.ts";
import { sameStatus, writeStatus } from "../util/status.ts";
import { cleanupHistory, constructHistory } from "./history.ts";
import { addDaemonTolerations, nodeShouldRunDaemonPod, pinToNode, targetNodeName } from "./placement.ts";
import { byScheduledThenAge, calculateDaemonSetStatus, isPodUpdated, templateGeneration } from "./status.ts";
import { allowsSurge, planRollingUpdate } from "./update.ts";

const BURST = 250;
const BACKOFF_INITIAL_MS = 1000;
const BACKOFF_MAX_MS = 15 * 60_000;

export class DaemonSetController extends QueueController {
  readonly name = "daemonset";
  protected readonly component = "daemonset-controller";
  readonly expectations = new Expectations();
  private dsInformer!: Informer;
  private nodeInformer!: Informer;
  private crInformer!: Informer;
  private pods!: OwnerIndex;
  private revisions!: OwnerIndex;
  private podControl!: PodControl;
  /** Failed-pod back-off per DaemonSet UID and node. */
  private backoff = new Map<string, { delay: number; until: number }>();

  protected setup(ctx: ControllerContext): Informer[] {
    this.dsInformer = ctx.informers.for(R.daemonsets);
    this.nodeInformer = ctx.informers.for(R.nodes);
    this.crInformer = ctx.informers.for(R.controllerrevisions);
    const podInformer = ctx.informers.for(R.pods);
    this.pods = ownerIndex(podInformer);
    this.revisions = ownerIndex(this.crInformer);
    this.podControl = new PodControl(ctx.client, this.recorder);
    this.dsInformer.addHandlers({
      add: (ds) => this.enqueue(ds),
      update: (_o, ds) => this.enqueue(ds),
      delete: (ds) => {
        this.expectations.forget(objectKey(ds));
        for (const k of [...this.backoff.keys()]) if (k.startsWith(`${ds.metadata.uid}/`)) this.backoff.delete(k);
      },
    });
    podInformer.addHandlers({
      add: (p) => this.podAdded(p),
      update: (o, p) => this.podUpdated(o, p),
      delete: (p) => this.podDeleted(p),
    });
    this.nodeInformer.addHandlers({
      add: () => this.enqueueAll(),
      update: (o, n) => {
        if (nodeChanged(o, n)) this.enqueueAll();
      },
      delete: () => this.enqueueAll(),
    });
    const crChanged = (cr: KObj) => {
      const ds = this.resolve(cr.metadata.namespace, controllerOf(cr));
      if (ds) this.enqueue(ds);
    };
    this.crInformer.addHandlers({ add: crChanged, update: (_o, cr) => crChanged(cr), delete: crChanged });
    return [this.dsInformer, this.nodeInformer, this.crInformer, podInformer];
  }

  private enqueueAll() {
    for (const ds of this.dsInformer.list()) this.enqueue(ds);
  }

  private resolve(namespace: string, ref: { kind: string; name: string; uid: string } | undefined): KObj | undefined {
    if (!ref || ref.kind !== "DaemonSet") return undefined;
    const ds = this.dsInformer.get(namespace, ref.name);
    return ds && ds.metadata.uid === ref.uid ? ds : undefined;
  }

  private matching(pod: KObj): KObj[] {
    const labels = pod.metadata.labels;
    if (!labels) return [];
    return this.dsInformer.list((ds) => ds.metadata.namespace === pod.metadata.namespace && selectorOf(ds).matches(labels));
  }

  private podAdded(pod: KObj) {
    if (pod.metadata.deletionTimestamp) return this.podDeleted(pod);
    const ref = controllerOf(pod);
    if (ref) {
      const ds = this.resolve(pod.metadata.namespace, ref);
      if (!ds) return;
      this.expectations.creationObserved(objectKey(ds));
      this.enqueue(ds);
      return;
    }
    for (const ds of this.matching(pod)) this.enqueue(ds);
  }

  private podUpdated(old: KObj, pod: KObj) {
    if (old.metadata.resourceVersion === pod.metadata.resourceVersion) return;
    if (pod.metadata.deletionTimestamp) return this.podDeleted(pod);
    const ref = controllerOf(pod);
    const oldRef = controllerOf(old);
    if (oldRef && oldRef.uid !== ref?.uid) {
      const ds = this.resolve(old.metadata.namespace, oldRef);
      if (ds) this.enqueue(ds);
    }
    if (ref) {
      const ds = this.resolve(pod.metadata.namespace, ref);
      if (!ds) return;
      this.enqueue(ds);
      const minReady = ds.spec?.minReadySeconds ?? 0;
      if (minReady > 0 && !isPodReady(old) && isPodReady(pod)) this.enqueueAfter(ds, minReady * 1000 + 1000);
      return;
    }
    if (JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(pod.metadata.labels ?? {}) || oldRef) for (const ds of this.matching(pod)) this.enqueue(ds);
  }

  private podDeleted(pod: KObj) {
    const ds = this.resolve(pod.metadata.namespace, controllerOf(pod));
    if (!ds) return;
    this.expectations.deletionObserved(objectKey(ds), objectKey(pod));
    this.enqueue(ds);
  }

  /** Claimed daemon pods by the node they are for. */
  private async podsByNode(ds: KObj): Promise<{ byNode: Map<string, KObj[]>; pods: KObj[] }> {
    const selector = selectorOf(ds);
    const pods = await claimObjects(
      { client: this.ctx.client, owner: ds, ownerGvr: R.daemonsets, ref: controllerRefFor(ds, "apps/v1", "DaemonSet"), gvr: R.pods, matches: (p) => selector.matches(p.metadata.labels) },
      [...this.pods.controlledBy(ds.metadata.uid), ...this.pods.orphansIn(ds.metadata.namespace)],
    );
    const byNode = new Map<string, KObj[]>();
    for (const p of pods) {
      const node = targetNodeName(p);
      if (!node) continue;
      let l = byNode.get(node);
      if (!l) byNode.set(node, (l = []));
      l.push(p);
    }
    return { byNode, pods };
  }

  protected async sync(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const cached = this.dsInformer.get(ns, name);
    if (!cached) {
      this.expectations.forget(key);
      return;
    }
    const ds = structuredClone(cached);
    if (selectsEverything(ds)) {
      this.recorder.event(ds, "Warning", "SelectingAll", "This daemon set is selecting all pods. A non-empty selector is required.");
      return;
    }
    if (ds.metadata.deletionTimestamp) return;
    const nodes = this.nodeInformer.list();
    const revisions = await claimObjects(
      { client: this.ctx.client, owner: ds, ownerGvr: R.daemonsets, ref: controllerRefFor(ds, "apps/v1", "DaemonSet"), gvr: R.controllerrevisions, matches: (cr) => selectorOf(cached).matches(cr.metadata.labels) },
      [...this.revisions.controlledBy(ds.metadata.uid), ...this.revisions.orphansIn(ns)],
    );
    const { old, hash } = await constructHistory(this.ctx.client, ds, revisions);
    if (!this.expectations.satisfied(key)) return this.writeStatus(ds, nodes, hash, false);

    let { byNode, pods } = await this.podsByNode(ds);
    await this.manage(key, ds, nodes, byNode, hash);
    if (this.expectations.satisfied(key) && ds.spec?.updateStrategy?.type === "RollingUpdate") {
      const plan = planRollingUpdate(ds, nodes, byNode, hash, Date.now());
      if (plan.deletePods.length || plan.createOnNodes.length) await this.syncNodes(key, ds, plan.deletePods, plan.createOnNodes, hash);
    }
    ({ pods } = await this.podsByNode(ds));
    await cleanupHistory(this.ctx.client, ds, old, pods);
    await this.writeStatus(ds, nodes, hash, true);
  }

  private async manage(key: string, ds: KObj, nodes: KObj[], byNode: Map<string, KObj[]>, hash: string) {
    const create: string[] = [];
    const remove: KObj[] = [];
    const now = Date.now();
    const surge = allowsSurge(ds);
    for (const node of nodes) {
      const nodeName: string = node.metadata.name;
      const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(node, ds);
      const daemonPods = byNode.get(nodeName);
      if (shouldRun && !daemonPods) {
        create.push(nodeName);
        continue;
      }
      if (!daemonPods) continue;
      if (!shouldContinueRunning) {
        for (const p of daemonPods) if (!p.metadata.deletionTimestamp) remove.push(p);
        continue;
      }
      const running: KObj[] = [];
      for (const p of daemonPods) {
        if (p.metadata.deletionTimestamp) continue;
        const phase = p.status?.phase;
        if (phase === "Failed") {
          const bkey = `${ds.metadata.uid}/${nodeName}`;
          const b = this.backoff.get(bkey);
          if (b && now < b.until) {
            this.enqueueAfter(ds, b.until - now);
            continue;
          }
          const delay = b ? Math.min(b.delay * 2, BACKOFF_MAX_MS) : BACKOFF_INITIAL_MS;
          this.backoff.set(bkey, { delay, until: now + delay });
          this.recorder.event(ds, "Warning", "FailedDaemonPod", `Found failed daemon pod ${p.metadata.namespace}/${p.metadata.name} on node ${nodeName}, will try to kill it`);
          remove.push(p);
        } else if (phase === "Succeeded") remove.push(p);
        else running.push(p);
      }
      if (running.length <= 1) continue;
      running.sort(byScheduledThenAge);
      if (!surge) {
        remove.push(...running.slice(1));
        continue;
      }
      // With surge, keep the oldest updated pod and, while it is not yet available, the oldest old one.
      let newest: KObj | undefined;
      let oldest: KObj | undefined;
      const gen = templateGeneration(ds);
      for (const p of running) {
        if (isPodUpdated(p, hash, gen)) {
          if (!newest) {
            newest = p;
            continue;
          }
        } else if (!oldest) {
          oldest = p;
          continue;
        }
        remove.push(p);
      }
      if (newest && oldest && (!isPodReady(oldest) || isPodAvailable(newest, ds.spec?.minReadySeconds ?? 0, now))) remove.push(oldest);
    }
    // Unscheduled pods for nodes that no longer exist.
    const existing = new Set(nodes.map((n) => n.metadata.name));
    for (const [nodeName, list] of byNode) if (!existing.has(nodeName)) for (const p of list) if (!p.spec?.nodeName && !p.metadata.deletionTimestamp) remove.push(p);
    if (create.length || remove.length) await this.syncNodes(key, ds, remove, create, hash);
  }

  private async syncNodes(key: string, ds: KObj, remove: KObj[], create: string[], hash: string) {
    const toCreate = create.slice(0, BURST);
    const toDelete = remove.slice(0, BURST);
    this.expectations.expect(
      key,
      toCreate.length,
      toDelete.map((p) => objectKey(p)),
    );
    const template = structuredClone(ds.spec.template);
    template.metadata ??= {};
    template.metadata.labels = { ...(template.metadata.labels ?? {}), [CONTROLLER_REVISION_HASH]: hash };
    const gen = templateGeneration(ds);
    if (gen !== undefined) template.metadata.labels["pod-template-generation"] = gen;
    template.spec ??= {};
    addDaemonTolerations(template.spec);
    const ref = controllerRefFor(ds, "apps/v1", "DaemonSet");
    const errors: unknown[] = [];
    const { successes, error } = await slowStartBatch(toCreate.length, 1, async (i) => {
      const pod = podFromTemplate(template, ds.metadata.namespace, ref, { generateName: `${ds.metadata.name}-` });
      pinToNode(pod.spec, toCreate[i]!);
      try {
        await this.podControl.create(ds, pod);
      } catch (e) {
        if (!isNamespaceTerminating(e)) throw e;
      }
    });
    for (let i = successes; i < toCreate.length; i++) this.expectations.creationFailed(key);
    if (error) errors.push(error);
    await Promise.all(
      toDelete.map(async (p) => {
        try {
          if (!(await this.podControl.delete(ds, p))) this.expectations.deletionObserved(key, objectKey(p));
        } catch (e) {
          this.expectations.deletionObserved(key, objectKey(p));
          errors.push(e);
        }
      }),
    );
    if (errors.length) throw errors[0];
  }

  private async writeStatus(ds: KObj, nodes: KObj[], hash: string, observe: boolean) {
    const { byNode, pods } = await this.podsByNode(ds);
    const now = Date.now();
    const status = calculateDaemonSetStatus(ds, nodes, byNode, hash, now);
    if (observe) status.observedGeneration = ds.metadata.generation ?? 1;
    const minReady = ds.spec?.minReadySeconds ?? 0;
    if (minReady > 0) {
      let next: number | undefined;
      for (const p of pods) {
        const ms = msUntilAvailable(p, minReady, now);
        if (ms !== undefined && (next === undefined || ms < next)) next = ms;
      }
      if (next !== undefined) this.enqueueAfter(ds, next);
    }
    if (!sameStatus(ds.status, status)) await writeStatus(this.ctx.client, R.daemonsets, ds, status);
  }
}

/** A node change that can change placement: labels, taints, unschedulable, or condition statuses. */
function nodeChanged(a: KObj, b: KObj): boolean {
  const conds = (n: KObj) => JSON.stringify((n.status?.conditions ?? []).map((c: KObj) => [c.type, c.status]));
  return JSON.stringify(a.metadata.labels ?? {}) !== JSON.stringify(b.metadata.labels ?? {}) || JSON.stringify(a.spec?.taints ?? []) !== JSON.stringify(b.spec?.taints ?? []) || Boolean(a.spec?.unschedulable) !== Boolean(b.spec?.unschedulable) || conds(a) !== conds(b);
}
