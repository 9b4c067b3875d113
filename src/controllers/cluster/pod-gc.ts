/**
 * @module controllers/cluster/pod-gc
 * The pod garbage collector for pods whose node cannot finish them:
 * - orphaned: bound to a node that no longer exists (confirmed by a live read after a
 *   quarantine, as a node may be re-registering) → deleted at once (grace 0);
 * - terminating on an unreachable node (Ready=Unknown): no agent can confirm the
 *   containers stopped, so once the pod's grace period has passed it is deleted with
 *   grace 0, letting its controller's replacement take over.
 * Each deletion first records a DisruptionTarget condition (reason DeletionByPodGC).
 */
import { isConflict, isNotFound, type KObj, type KubeClient } from "../../client/client.ts";
import type { EventRecorder } from "../../client/events.ts";
import type { Informer } from "../../client/informer.ts";
import { objectKey } from "../../client/informer.ts";
import { R } from "../../client/resources.ts";
import { rfc3339 } from "../../api/registry/objects.ts";
import { logger } from "../../util/log.ts";
import type { Controller, ControllerContext } from "../types.ts";
import { condition } from "./node-health.ts";
import { PodsByNode } from "./pods-by-node.ts";
import { Worker } from "./worker.ts";

const log = logger("pod-gc");

export interface PodGCOptions {
  /** Period of the pass (ms). Default: grace/4, between 1 and 20 s. */
  periodMs?: number;
  /** How long a node must be missing before its pods go (ms). Default: the node grace period. */
  quarantineMs?: number;
}

export class PodGCController implements Controller {
  readonly name = "pod-garbage-collector";
  private worker?: Worker;
  private client!: KubeClient;
  private recorder!: EventRecorder;
  private nodes!: Informer;
  private pods!: PodsByNode;
  private missingSince = new Map<string, number>();
  private quarantineMs = 40_000;

  constructor(private readonly opts: PodGCOptions = {}) {}

  start(ctx: ControllerContext) {
    this.client = ctx.client;
    this.recorder = ctx.recorder("pod-garbage-collector");
    const graceMs = ctx.options.nodeMonitorGracePeriodSeconds * 1000;
    this.quarantineMs = this.opts.quarantineMs ?? graceMs;
    this.nodes = ctx.informers.for(R.nodes);
    this.pods = PodsByNode.for(ctx.informers);
    this.worker = new Worker({
      informers: [this.nodes, this.pods.informer],
      handler: async () => {},
      log,
      tick: () => this.pass(),
      tickMs: this.opts.periodMs ?? Math.min(20_000, Math.max(1000, graceMs / 4)),
    });
    this.worker.start();
  }

  async stop() {
    await this.worker?.stop();
  }

  private async pass() {
    const now = Date.now();
    const missingNow = new Set<string>();
    for (const nodeName of this.pods.nodes()) {
      const node = this.nodes.get(undefined, nodeName);
      if (!node) {
        missingNow.add(nodeName);
        const since = this.missingSince.get(nodeName) ?? now;
        this.missingSince.set(nodeName, since);
        if (now - since < this.quarantineMs) continue;
        // The cache may be behind: only a live 404 counts.
        if (await this.client.getOrNull(R.nodes, undefined, nodeName)) continue;
        for (const pod of this.pods.on(nodeName)) await this.forceDelete(pod, `node ${nodeName} no longer exists`);
        continue;
      }
      if (condition(node, "Ready")?.status !== "Unknown") continue;
      for (const pod of this.pods.on(nodeName)) {
        const dt = pod.metadata.deletionTimestamp;
        if (!dt || Date.parse(dt) > now) continue;
        await this.forceDelete(pod, `node ${nodeName} is unreachable and the pod's grace period has passed`);
      }
    }
    for (const n of [...this.missingSince.keys()]) if (!missingNow.has(n)) this.missingSince.delete(n);
  }

  private async forceDelete(pod: KObj, why: string) {
    const ns = pod.metadata.namespace;
    const name = pod.metadata.name;
    if (!pod.metadata.deletionTimestamp) {
      const conditions = ((pod.status?.conditions ?? []) as KObj[]).filter((c) => c.type !== "DisruptionTarget");
      conditions.push({ type: "DisruptionTarget", status: "True", lastProbeTime: null, lastTransitionTime: rfc3339(new Date()), reason: "DeletionByPodGC", message: "PodGC: node no longer exists" });
      try {
        await this.client.updateStatus(R.pods, ns, { ...pod, status: { ...pod.status, conditions } });
      } catch (e) {
        if (isNotFound(e)) return;
        if (!isConflict(e)) log.debug("condition not recorded", { pod: objectKey(pod), error: e as Error });
      }
    }
    log.info("force-deleting pod", { pod: `${ns}/${name}`, reason: why });
    this.recorder.event(pod, "Normal", "PodGarbageCollected", `Deleting pod with grace period 0: ${why}`);
    try {
      await this.client.delete(R.pods, ns, name, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } });
    } catch (e) {
      if (isNotFound(e) || isConflict(e)) return;
      log.warn("force delete failed", { pod: `${ns}/${name}`, error: e as Error });
    }
  }
}
