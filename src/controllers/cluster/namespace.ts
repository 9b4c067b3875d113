/**
 * @module controllers/cluster/namespace
 * The namespace controller: a deleted namespace (Terminating, its spec.finalizers holding
 * "kubernetes") is emptied of every namespaced object, its status conditions tell what is
 * still left, and once nothing is, the "kubernetes" finalizer is removed through
 * PUT /api/v1/namespaces/<ns>/finalize so the API deletes it.
 */
import { isNotFound, type KObj, type KubeClient } from "../../client/client.ts";
import { resourcePath, R } from "../../client/resources.ts";
import type { EventRecorder } from "../../client/events.ts";
import { rfc3339 } from "../../api/registry/objects.ts";
import { logger } from "../../util/log.ts";
import type { Controller, ControllerContext } from "../types.ts";
import { contentGone, deleteNamespaceContent, deletionConditions } from "./namespace-content.ts";
import { Worker } from "./worker.ts";

const log = logger("namespace-controller");
export const NAMESPACE_FINALIZER = "kubernetes";

export interface NamespaceControllerOptions {
  /** Re-check delay while content remains without a known grace period (ms, default 1 s). */
  recheckMs?: number;
}

export class NamespaceController implements Controller {
  readonly name = "namespace";
  private worker?: Worker;
  private client!: KubeClient;
  private recorder!: EventRecorder;
  /** Per terminating namespace, the resources that still had objects after the last pass. */
  private leftovers = new Map<string, Set<string>>();

  constructor(private readonly opts: NamespaceControllerOptions = {}) {}

  start(ctx: ControllerContext) {
    this.client = ctx.client;
    this.recorder = ctx.recorder("namespace-controller");
    const namespaces = ctx.informers.for(R.namespaces);
    const w = (this.worker = new Worker({ informers: [namespaces], handler: (k) => this.sync(k), log, workers: 2 }));
    const check = (ns: KObj) => ns.metadata.deletionTimestamp && w.queue.add(ns.metadata.name);
    namespaces.addHandlers({ add: check, update: (_a, b) => check(b) });
    w.start();
  }

  async stop() {
    await this.worker?.stop();
  }

  private async sync(name: string) {
    const ns = await this.client.getOrNull(R.namespaces, undefined, name);
    const finalizers = (ns?.spec?.finalizers ?? []) as string[];
    if (!ns?.metadata.deletionTimestamp || !finalizers.includes(NAMESPACE_FINALIZER)) {
      this.leftovers.delete(name);
      return;
    }
    // While objects remain, re-check only their kinds (a couple of requests); a full pass
    // over every served kind runs first and again before finalizing.
    const only = this.leftovers.get(name);
    let result = await deleteNamespaceContent(this.client, name, { only });
    if (only && contentGone(result)) result = await deleteNamespaceContent(this.client, name);
    const latest = await this.updateConditions(ns, deletionConditions(result));
    if (!contentGone(result)) {
      if (!result.discoveryError && !result.failures.length) this.leftovers.set(name, new Set(result.remaining.keys()));
      else this.leftovers.delete(name);
      const wait = result.graceMs !== undefined ? Math.min(result.graceMs + 500, 15_000) : (this.opts.recheckMs ?? 1000);
      log.debug("namespace content remains", { namespace: name, remaining: [...result.remaining.keys()].join(","), failures: result.failures.length });
      this.worker!.queue.addAfter(name, Math.max(wait, 200));
      return;
    }
    this.leftovers.delete(name);
    const body = { ...latest, spec: { ...latest.spec, finalizers: finalizers.filter((f) => f !== NAMESPACE_FINALIZER) } };
    try {
      await this.client.json("PUT", resourcePath(R.namespaces, undefined, name, "finalize"), body);
      log.info("namespace emptied and finalized", { namespace: name });
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
  }

  /** Write the deletion conditions if they changed; returns the namespace as now stored. */
  private async updateConditions(ns: KObj, conds: KObj[]): Promise<KObj> {
    const old = (ns.status?.conditions ?? []) as KObj[];
    const strip = (c: KObj) => JSON.stringify([c.type, c.status, c.reason, c.message]);
    const now = rfc3339(new Date());
    const next: KObj[] = conds.map((c) => {
      const prev = old.find((o) => o.type === c.type);
      return { ...c, lastTransitionTime: prev && prev.status === c.status ? prev.lastTransitionTime : now };
    });
    const others = old.filter((o) => !conds.some((c) => c.type === o.type));
    if (old.length === next.length + others.length && next.every((c) => old.some((o) => strip(o) === strip(c)))) return ns;
    const failure = next.find((c) => c.type === "NamespaceDeletionContentFailure" && c.status === "True");
    if (failure) this.recorder.event(ns, "Warning", "NamespaceDeletionContentFailure", failure.message);
    try {
      return await this.client.updateStatus(R.namespaces, undefined, { ...ns, status: { ...ns.status, conditions: [...others, ...next] } });
    } catch (e) {
      // Conditions are informative; a conflict is settled on the next pass.
      log.debug("namespace conditions not updated", { namespace: ns.metadata.name, error: e as Error });
      return ns;
    }
  }
}
