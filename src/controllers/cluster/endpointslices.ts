/**
 * @module controllers/cluster/endpointslices
 * The endpointslice controller: discovery.k8s.io/v1 EndpointSlices for every Service with
 * a selector, labelled kubernetes.io/service-name and managed-by
 * endpointslice-controller.k8s.io, owned by the Service. Endpoints carry ready / serving /
 * terminating conditions. Writes are tracked until the informer cache shows them, so a
 * sync on a stale cache never creates a second slice for the same endpoints.
 */
import { isNotFound, type KObj, type KubeClient } from "../../client/client.ts";
import { objectKey, type Informer } from "../../client/informer.ts";
import { R } from "../../client/resources.ts";
import type { EventRecorder } from "../../client/events.ts";
import { logger } from "../../util/log.ts";
import type { Controller, ControllerContext } from "../types.ts";
import { managesEndpoints, sliceGroups } from "./endpoints-model.ts";
import { CONTROLLER_NAME, MANAGED_BY_LABEL, planSlices, SERVICE_NAME_LABEL } from "./endpointslice-plan.ts";
import { podEndpointRelevantChange, ServicePods } from "./service-pods.ts";
import { Worker } from "./worker.ts";
import { isNamespaceTerminating } from "./api-errors.ts";

const log = logger("endpointslice-controller");

/** Writes not yet seen in the cache, per service key: slice name → resourceVersion written ("" = deleted). */
export class WriteTracker {
  private pending = new Map<string, Map<string, string>>();
  record(svcKey: string, name: string, rv: string) {
    (this.pending.get(svcKey) ?? this.pending.set(svcKey, new Map()).get(svcKey)!).set(name, rv);
  }
  /** True when the cache reflects every write for this service (forgetting those it does). */
  caughtUp(svcKey: string, cache: Informer, ns: string): boolean {
    const m = this.pending.get(svcKey);
    if (!m) return true;
    for (const [name, rv] of m) {
      const cur = cache.get(ns, name);
      const seen = rv === "" ? !cur : Boolean(cur) && Number(cur!.metadata.resourceVersion) >= Number(rv);
      if (seen) m.delete(name);
    }
    if (!m.size) this.pending.delete(svcKey);
    return m.size === 0;
  }
  forget(svcKey: string) {
    this.pending.delete(svcKey);
  }
}

export class EndpointSliceController implements Controller {
  readonly name = "endpointslice";
  private worker?: Worker;
  private client!: KubeClient;
  private recorder!: EventRecorder;
  private sp!: ServicePods;
  private slices!: Informer;
  private tracker = new WriteTracker();

  start(ctx: ControllerContext) {
    this.client = ctx.client;
    this.recorder = ctx.recorder("endpointslice-controller");
    const services = ctx.informers.for(R.services);
    const pods = ctx.informers.for(R.pods);
    this.slices = ctx.informers.for(R.endpointslices, { labelSelector: `${MANAGED_BY_LABEL}=${CONTROLLER_NAME}` });
    this.sp = new ServicePods(services, pods);
    const w = (this.worker = new Worker({ informers: [services, pods, this.slices], handler: (k) => this.sync(k), log, workers: 2 }));
    const enqueue = (o: KObj) => w.queue.add(objectKey(o));
    services.addHandlers({ add: enqueue, update: (_a, b) => enqueue(b), delete: (o) => (this.sp.forget(objectKey(o)), enqueue(o)) });
    const podChanged = (labels: (Record<string, string> | undefined)[], ns: string) => {
      for (const k of this.sp.servicesFor(ns, ...labels)) w.queue.add(k);
    };
    pods.addHandlers({
      add: (p) => podChanged([p.metadata.labels], p.metadata.namespace),
      update: (a, b) => podEndpointRelevantChange(a, b) && podChanged([a.metadata.labels, b.metadata.labels], b.metadata.namespace),
      delete: (p) => podChanged([p.metadata.labels], p.metadata.namespace),
    });
    const sliceChanged = (s: KObj) => {
      const svc = s.metadata?.labels?.[SERVICE_NAME_LABEL];
      if (svc) w.queue.add(`${s.metadata.namespace}/${svc}`);
    };
    this.slices.addHandlers({ add: sliceChanged, update: (_a, b) => sliceChanged(b), delete: sliceChanged });
    w.start();
  }

  async stop() {
    await this.worker?.stop();
  }

  private async sync(key: string) {
    const [ns, name] = key.split("/") as [string, string];
    // The API server keeps the `kubernetes` service's endpoints itself, slices included.
    if (ns === "default" && name === "kubernetes") return;
    if (!this.tracker.caughtUp(key, this.slices, ns)) {
      this.worker!.queue.addAfter(key, 100);
      return;
    }
    const existing = this.slices.list((s) => s.metadata.namespace === ns && s.metadata.labels?.[SERVICE_NAME_LABEL] === name);
    const svc = this.sp.services.store.get(key);
    if (!svc || !managesEndpoints(svc)) {
      for (const s of existing) await this.remove(key, s);
      if (!svc) this.tracker.forget(key);
      return;
    }
    const plan = planSlices(svc, sliceGroups(svc, this.sp.podsFor(svc)), existing);
    try {
      // Deletes first frees the way (and capacity) for the rest; updates before creates
      // keep the total number of slices lowest while changing.
      for (const s of plan.delete) await this.remove(key, s);
      for (const s of plan.update) {
        const res = await this.client.update(R.endpointslices, ns, s, { fieldManager: "endpointslice-controller" });
        this.tracker.record(key, res.metadata.name, res.metadata.resourceVersion);
      }
      for (const s of plan.create) {
        const res = await this.client.create(R.endpointslices, ns, s, { fieldManager: "endpointslice-controller" });
        this.tracker.record(key, res.metadata.name, res.metadata.resourceVersion);
      }
    } catch (e) {
      if (isNamespaceTerminating(e)) return;
      this.recorder.event(svc, "Warning", "FailedToUpdateEndpointSlices", `Error updating Endpoint Slices for Service ${key}: ${(e as Error).message}`);
      throw e;
    }
  }

  private async remove(key: string, s: KObj) {
    try {
      await this.client.delete(R.endpointslices, s.metadata.namespace, s.metadata.name, { preconditions: { uid: s.metadata.uid } });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    this.tracker.record(key, s.metadata.name, "");
  }
}
