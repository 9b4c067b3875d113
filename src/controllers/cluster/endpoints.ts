/**
 * @module controllers/cluster/endpoints
 * The endpoints controller: keeps a core/v1 Endpoints object per Service with a selector,
 * listing the selected pods' IPs (ready ones in addresses, others in notReadyAddresses)
 * and the ports each pod resolves. Services without a selector keep whatever Endpoints
 * their owner writes; the `kubernetes` service is the API server's own.
 */
import { isAlreadyExists, isNotFound, type KObj, type KubeClient } from "../../client/client.ts";
import { objectKey } from "../../client/informer.ts";
import type { Informer } from "../../client/informer.ts";
import { R } from "../../client/resources.ts";
import type { EventRecorder } from "../../client/events.ts";
import { logger } from "../../util/log.ts";
import type { Controller, ControllerContext } from "../types.ts";
import { endpointsSubsets, isHeadless, managesEndpoints } from "./endpoints-model.ts";
import { podEndpointRelevantChange, ServicePods } from "./service-pods.ts";
import { Worker } from "./worker.ts";
import { isNamespaceTerminating } from "./api-errors.ts";

const log = logger("endpoints-controller");
export const HEADLESS_LABEL = "service.kubernetes.io/headless";

export function endpointsLabels(svc: KObj): Record<string, string> {
  const labels: Record<string, string> = { ...(svc.metadata?.labels ?? {}) };
  if (isHeadless(svc)) labels[HEADLESS_LABEL] = "";
  else delete labels[HEADLESS_LABEL];
  return labels;
}

export class EndpointsController implements Controller {
  readonly name = "endpoints";
  private worker?: Worker;
  private client!: KubeClient;
  private recorder!: EventRecorder;
  private sp!: ServicePods;
  private endpoints!: Informer;

  start(ctx: ControllerContext) {
    this.client = ctx.client;
    this.recorder = ctx.recorder("endpoint-controller");
    const services = ctx.informers.for(R.services);
    const pods = ctx.informers.for(R.pods);
    this.endpoints = ctx.informers.for(R.endpoints);
    this.sp = new ServicePods(services, pods);
    const w = (this.worker = new Worker({ informers: [services, pods, this.endpoints], handler: (k) => this.sync(k), log, workers: 2 }));
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
    // Someone deleting or editing a managed Endpoints object gets it put back.
    this.endpoints.addHandlers({ update: (_a, b) => services.get(b.metadata.namespace, b.metadata.name) && enqueue(b), delete: enqueue });
    w.start();
  }

  async stop() {
    await this.worker?.stop();
  }

  private async sync(key: string) {
    const [ns, name] = key.split("/") as [string, string];
    if (ns === "default" && name === "kubernetes") return;
    const svc = this.sp.services.store.get(key);
    if (!svc) {
      // The service is gone: so are its endpoints (as upstream).
      await this.client.deleteIgnoreNotFound(R.endpoints, ns, name);
      return;
    }
    if (!managesEndpoints(svc)) return;
    const subsets = endpointsSubsets(svc, this.sp.podsFor(svc));
    const labels = endpointsLabels(svc);
    const cur = this.endpoints.get(ns, name);
    if (cur && JSON.stringify(cur.subsets ?? []) === JSON.stringify(subsets) && JSON.stringify(cur.metadata.labels ?? {}) === JSON.stringify(labels)) return;
    const next: KObj = {
      apiVersion: "v1",
      kind: "Endpoints",
      metadata: { name, namespace: ns, labels, ...(cur?.metadata.annotations ? { annotations: cur.metadata.annotations } : {}) },
      subsets,
    };
    try {
      if (cur) {
        next.metadata.resourceVersion = cur.metadata.resourceVersion;
        await this.client.update(R.endpoints, ns, next, { fieldManager: "endpoint-controller" });
      } else {
        await this.client.create(R.endpoints, ns, next, { fieldManager: "endpoint-controller" });
      }
    } catch (e) {
      if (isNamespaceTerminating(e)) return;
      if (isAlreadyExists(e) || isNotFound(e)) throw e; // cache behind: retry after it catches up
      this.recorder.event(svc, "Warning", "FailedToUpdateEndpoint", `Failed to update endpoint ${ns}/${name}: ${(e as Error).message}`);
      throw e;
    }
  }
}
