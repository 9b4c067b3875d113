/**
 * @module controllers/cluster/taint-eviction
 * The taint eviction controller (upstream's NoExecute taint manager): a pod on a node with
 * NoExecute taints is deleted at once if some taint has no matching toleration, or when
 * the shortest tolerationSeconds of the tolerations it uses runs out (counted from when
 * the taint was added, or the pod bound if later); tolerations without tolerationSeconds
 * let it stay. The pod first gets a DisruptionTarget condition saying why. Its
 * controller then makes a replacement elsewhere.
 */
import { isConflict, isNotFound, type KObj, type KubeClient } from "../../client/client.ts";
import type { EventRecorder } from "../../client/events.ts";
import { objectKey, type Informer } from "../../client/informer.ts";
import { R } from "../../client/resources.ts";
import { rfc3339 } from "../../api/registry/objects.ts";
import { logger } from "../../util/log.ts";
import type { Controller, ControllerContext } from "../types.ts";
import { PodsByNode } from "./pods-by-node.ts";
import { matchingTolerations, minTolerationSeconds, noExecuteTaints, type Taint, type Toleration } from "./tolerations.ts";
import { Worker } from "./worker.ts";

const log = logger("taint-eviction-controller");

/** When the pod started being exposed to a taint (ms): the taint's timeAdded, or the pod's binding if later. */
export function exposureStart(pod: KObj, taint: Taint, firstSeenMs: number): number {
  const added = taint.timeAdded ? Date.parse(taint.timeAdded) : firstSeenMs;
  const scheduled = ((pod.status?.conditions ?? []) as KObj[]).find((c) => c.type === "PodScheduled" && c.status === "True")?.lastTransitionTime ?? pod.metadata?.creationTimestamp;
  const boundAt = scheduled ? Date.parse(scheduled) : 0;
  return Math.max(Number.isNaN(added) ? firstSeenMs : added, Number.isNaN(boundAt) ? 0 : boundAt);
}

/**
 * ms until the pod must go (0 = now), or null if its tolerations let it stay. Each
 * NoExecute taint is timed from its own timeAdded with the toleration the pod uses for
 * it (so an old, tolerated taint does not shorten a new one's toleration); the first to
 * run out decides.
 */
export function evictionDelay(pod: KObj, node: KObj, nowMs: number, firstSeenMs: (t: Taint) => number = () => nowMs): number | null {
  const taints = noExecuteTaints(node);
  if (!taints.length) return null;
  const tolerations = (pod.spec?.tolerations ?? []) as Toleration[];
  const { ok } = matchingTolerations(taints, tolerations);
  if (!ok) return 0;
  let due: number | null = null;
  for (const taint of taints) {
    const secs = minTolerationSeconds(matchingTolerations([taint], tolerations).used);
    if (secs < 0) continue;
    const at = exposureStart(pod, taint, firstSeenMs(taint)) + secs * 1000;
    if (due === null || at < due) due = at;
  }
  return due === null ? null : Math.max(0, due - nowMs);
}

export class TaintEvictionController implements Controller {
  readonly name = "taint-eviction";
  private worker?: Worker;
  private client!: KubeClient;
  private recorder!: EventRecorder;
  private nodes!: Informer;
  private pods!: PodsByNode;
  /** Local first sight of a NoExecute taint without timeAdded, per node/key. */
  private firstSeen = new Map<string, number>();

  start(ctx: ControllerContext) {
    this.client = ctx.client;
    this.recorder = ctx.recorder("taint-eviction-controller");
    this.nodes = ctx.informers.for(R.nodes);
    this.pods = PodsByNode.for(ctx.informers);
    const w = (this.worker = new Worker({ informers: [this.nodes, this.pods.informer], handler: (k) => this.sync(k), log, workers: 2 }));
    const nodeChanged = (n: KObj) => {
      for (const p of this.pods.on(n.metadata.name)) w.queue.add(objectKey(p));
    };
    this.nodes.addHandlers({
      add: (n) => noExecuteTaints(n).length && nodeChanged(n),
      update: (a, b) => JSON.stringify(noExecuteTaints(a)) !== JSON.stringify(noExecuteTaints(b)) && nodeChanged(b),
    });
    this.pods.informer.addHandlers({
      add: (p) => p.spec?.nodeName && w.queue.add(objectKey(p)),
      update: (a, b) => b.spec?.nodeName && (a.spec?.nodeName !== b.spec.nodeName || JSON.stringify(a.spec?.tolerations) !== JSON.stringify(b.spec?.tolerations)) && w.queue.add(objectKey(b)),
    });
    w.start();
  }

  async stop() {
    await this.worker?.stop();
  }

  /** Local first sight of a taint that carries no timeAdded. */
  private firstSeenOf(node: KObj, t: Taint): number {
    const k = `${node.metadata.name}/${t.key}/${t.value ?? ""}`;
    let at = this.firstSeen.get(k);
    if (at === undefined) {
      if (this.firstSeen.size > 10_000) this.firstSeen.clear();
      this.firstSeen.set(k, (at = Date.now()));
    }
    return at;
  }

  private async sync(key: string) {
    const pod = this.pods.informer.store.get(key);
    if (!pod || pod.metadata.deletionTimestamp || !pod.spec?.nodeName) return;
    const node = this.nodes.get(undefined, pod.spec.nodeName);
    if (!node) return;
    const delay = evictionDelay(pod, node, Date.now(), (t) => this.firstSeenOf(node, t));
    if (delay === null) return;
    if (delay > 0) {
      this.worker!.queue.addAfter(key, delay + 20);
      return;
    }
    await this.evict(pod, node);
  }

  private async evict(pod: KObj, node: KObj) {
    const ns = pod.metadata.namespace;
    const name = pod.metadata.name;
    const taints = noExecuteTaints(node).map((t) => `${t.key}${t.value ? "=" + t.value : ""}:${t.effect}`).join(", ");
    const conditions = ((pod.status?.conditions ?? []) as KObj[]).filter((c) => c.type !== "DisruptionTarget");
    conditions.push({ type: "DisruptionTarget", status: "True", lastProbeTime: null, lastTransitionTime: rfc3339(new Date()), reason: "DeletionByTaintManager", message: "Taint manager: deleting due to NoExecute taint" });
    try {
      await this.client.updateStatus(R.pods, ns, { ...pod, status: { ...pod.status, conditions } });
    } catch (e) {
      if (isNotFound(e)) return;
      if (!isConflict(e)) throw e;
      // Changed meanwhile: evict anyway, the condition is informative.
    }
    this.recorder.event(pod, "Normal", "TaintManagerEviction", `Marking for deletion Pod ${ns}/${name}`);
    log.info("evicting pod from tainted node", { pod: `${ns}/${name}`, node: node.metadata.name, taints });
    try {
      await this.client.delete(R.pods, ns, name, { preconditions: { uid: pod.metadata.uid } });
    } catch (e) {
      if (isNotFound(e) || isConflict(e)) return;
      throw e;
    }
  }
}
