/**
 * @module controllers/cluster/node-lifecycle
 * The node lifecycle controller: watches heartbeats (the node's Lease in kube-node-lease
 * and its Ready condition), marks a node silent for the grace period
 * (ctx.options.nodeMonitorGracePeriodSeconds) Unknown, sets the Ready condition of its
 * pods to False, and keeps the condition taints (unreachable, not-ready, pressure,
 * unschedulable) in line with the node's conditions. Evicting pods from tainted nodes is
 * the taint-eviction controller's job.
 */
import { isConflict, isNotFound, type KObj, type KubeClient } from "../../client/client.ts";
import type { EventRecorder } from "../../client/events.ts";
import type { Informer } from "../../client/informer.ts";
import { R } from "../../client/resources.ts";
import { rfc3339 } from "../../api/registry/objects.ts";
import { logger } from "../../util/log.ts";
import type { Controller, ControllerContext } from "../types.ts";
import { condition, observe, reconcileTaints, silentConditions, type HealthRecord } from "./node-health.ts";
import { PodsByNode } from "./pods-by-node.ts";
import { Worker } from "./worker.ts";

const log = logger("node-lifecycle-controller");
export const NODE_LEASE_NAMESPACE = "kube-node-lease";
/** How often kite agents renew their Lease and post node status (agent/heartbeat.ts, node.ts). */
export const AGENT_HEARTBEAT_SECONDS = 10;

export interface NodeLifecycleOptions {
  /** How often heartbeats are checked (ms). Default: grace/8, between 500 ms and 5 s. */
  monitorPeriodMs?: number;
}

export class NodeLifecycleController implements Controller {
  readonly name = "node-lifecycle";
  private worker?: Worker;
  private client!: KubeClient;
  private recorder!: EventRecorder;
  private nodes!: Informer;
  private leases!: Informer;
  private pods!: PodsByNode;
  private health = new Map<string, HealthRecord>();
  private graceMs = 40_000;

  constructor(private readonly opts: NodeLifecycleOptions = {}) {}

  start(ctx: ControllerContext) {
    this.client = ctx.client;
    this.recorder = ctx.recorder("node-controller");
    this.graceMs = ctx.options.nodeMonitorGracePeriodSeconds * 1000;
    // Upstream requires the grace period to be several heartbeats long; shorter, live
    // nodes go Unknown between heartbeats (and their pods may be evicted).
    if (ctx.options.nodeMonitorGracePeriodSeconds < 2 * AGENT_HEARTBEAT_SECONDS) {
      log.warn("node-monitor-grace-period is shorter than two agent heartbeats: live nodes will be marked Unknown between heartbeats", { gracePeriodSeconds: ctx.options.nodeMonitorGracePeriodSeconds, heartbeatSeconds: AGENT_HEARTBEAT_SECONDS });
    }
    this.nodes = ctx.informers.for(R.nodes);
    this.leases = ctx.informers.for(R.leases, { namespace: NODE_LEASE_NAMESPACE });
    this.pods = PodsByNode.for(ctx.informers);
    const period = this.opts.monitorPeriodMs ?? Math.min(5000, Math.max(500, this.graceMs / 8));
    const w = (this.worker = new Worker({
      informers: [this.nodes, this.leases, this.pods.informer],
      handler: (name) => this.syncTaints(name),
      log,
      tick: () => this.monitor(),
      tickMs: period,
    }));
    this.nodes.addHandlers({
      add: (n) => {
        w.queue.add(n.metadata.name);
        this.recorder.event(n, "Normal", "RegisteredNode", `Node ${n.metadata.name} event: Registered Node ${n.metadata.name} in Controller`);
      },
      update: (_a, n) => w.queue.add(n.metadata.name),
      delete: (n) => this.health.delete(n.metadata.name),
    });
    w.start();
  }

  async stop() {
    await this.worker?.stop();
  }

  /** One pass over all nodes: heartbeats, Unknown conditions, pods of unreachable nodes. */
  private async monitor() {
    const now = Date.now();
    for (const node of this.nodes.list()) {
      const name = node.metadata.name;
      const rec = observe(this.health.get(name), node, this.leases.get(NODE_LEASE_NAMESPACE, name), now);
      this.health.set(name, rec);
      // A node that never reported gets more time to come up (upstream: 60 s startup grace vs 40 s).
      const grace = condition(node, "Ready") ? this.graceMs : this.graceMs * 1.5;
      let current = node;
      if (now - rec.probeMs > grace) current = (await this.markSilent(node)) ?? node;
      if (condition(current, "Ready")?.status === "Unknown") await this.markPodsNotReady(current);
    }
  }

  private async markSilent(node: KObj): Promise<KObj | undefined> {
    const conds = silentConditions(node, rfc3339(new Date()));
    if (!conds) return undefined;
    const wasReady = condition(node, "Ready")?.status === "True";
    try {
      const updated = await this.client.updateStatus(R.nodes, undefined, { ...node, status: { ...node.status, conditions: conds } });
      log.info("node stopped posting status: conditions set to Unknown", { node: node.metadata.name });
      if (wasReady) this.recorder.event(node, "Normal", "NodeNotReady", `Node ${node.metadata.name} status is now: NodeNotReady`);
      this.worker?.queue.add(node.metadata.name);
      return updated;
    } catch (e) {
      if (isConflict(e) || isNotFound(e)) return undefined; // it changed meanwhile: the next pass looks again
      throw e;
    }
  }

  /** MarkPodsNotReady: the pods of an unreachable node are not ready, whatever they said last. */
  private async markPodsNotReady(node: KObj) {
    const now = rfc3339(new Date());
    for (const pod of this.pods.on(node.metadata.name)) {
      const ready = ((pod.status?.conditions ?? []) as KObj[]).find((c) => c.type === "Ready");
      if (ready?.status === "False" || pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed") continue;
      const conditions = ((pod.status?.conditions ?? []) as KObj[]).filter((c) => c.type !== "Ready");
      conditions.push({ type: "Ready", status: "False", lastProbeTime: null, lastTransitionTime: now, reason: "NodeNotReady", message: "Node is not ready" });
      try {
        await this.client.updateStatus(R.pods, pod.metadata.namespace, { ...pod, status: { ...pod.status, conditions } });
        this.recorder.event(pod, "Warning", "NodeNotReady", "Node is not ready");
      } catch (e) {
        if (!isConflict(e) && !isNotFound(e)) log.warn("could not mark pod not ready", { pod: `${pod.metadata.namespace}/${pod.metadata.name}`, error: e as Error });
      }
    }
  }

  private async syncTaints(name: string) {
    const node = this.nodes.get(undefined, name);
    if (!node || node.metadata.deletionTimestamp) return;
    const taints = reconcileTaints(node, rfc3339(new Date()));
    if (!taints) return;
    const next = { ...node, spec: { ...node.spec, taints } };
    if (!taints.length) delete next.spec.taints;
    try {
      await this.client.update(R.nodes, undefined, next);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e; // conflict: retried with the newer node from the cache
    }
    const before = new Set(((node.spec?.taints ?? []) as KObj[]).map((t) => `${t.key}:${t.effect}`));
    const after = new Set(taints.map((t) => `${t.key}:${t.effect}`));
    log.info("node taints updated", { node: name, added: [...after].filter((t) => !before.has(t)).join(","), removed: [...before].filter((t) => !after.has(t)).join(",") });
  }
}
