/**
 * @module controllers/cluster/endpointslice-mirroring
 * The endpointslice mirroring controller: Services without a selector get their
 * endpoints from whoever writes their Endpoints object; this mirrors such Endpoints into
 * EndpointSlices (managed-by endpointslicemirroring-controller.k8s.io, owned by the
 * Endpoints) so consumers of slices see them too. Endpoints labelled
 * endpointslice.kubernetes.io/skip-mirror=true, and the API server's own `kubernetes`
 * service, are left alone.
 */
import { isNotFound, type KObj, type KubeClient } from "../../client/client.ts";
import { objectKey, type Informer } from "../../client/informer.ts";
import { R } from "../../client/resources.ts";
import { logger } from "../../util/log.ts";
import type { Controller, ControllerContext } from "../types.ts";
import { isNamespaceTerminating } from "./api-errors.ts";
import { familyOf, portsKey, sortPorts, type EndpointPort, type SliceGroup } from "./endpoints-model.ts";
import { MANAGED_BY_LABEL, planSlices, SERVICE_NAME_LABEL, type SliceOwner } from "./endpointslice-plan.ts";
import { WriteTracker } from "./endpointslices.ts";
import { Worker } from "./worker.ts";

const log = logger("endpointslice-mirroring-controller");
export const MIRRORING_CONTROLLER_NAME = "endpointslicemirroring-controller.k8s.io";
export const SKIP_MIRROR_LABEL = "endpointslice.kubernetes.io/skip-mirror";
const LEADER_ANNOTATION = "control-plane.alpha.kubernetes.io/leader";

/** Whether the Endpoints of this service are mirrored. */
export function shouldMirror(svc: KObj | undefined, ep: KObj | undefined): boolean {
  if (!svc || !ep) return false;
  if (svc.metadata.namespace === "default" && svc.metadata.name === "kubernetes") return false;
  if (svc.spec?.type === "ExternalName") return false;
  if (svc.spec?.selector && Object.keys(svc.spec.selector).length) return false;
  if (ep.metadata.labels?.[SKIP_MIRROR_LABEL] === "true") return false;
  if (ep.metadata.annotations?.[LEADER_ANNOTATION]) return false;
  return true;
}

/** Slice groups from Endpoints subsets: per address family and port set; ready from addresses vs notReadyAddresses. */
export function mirrorGroups(ep: KObj): SliceGroup[] {
  const groups = new Map<string, SliceGroup>();
  for (const ss of (ep.subsets ?? []) as KObj[]) {
    const ports: EndpointPort[] = ((ss.ports ?? []) as KObj[]).map((p) => ({ ...(p.name ? { name: p.name } : {}), port: p.port, protocol: p.protocol ?? "TCP", ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}) }));
    const lists: [KObj[], boolean][] = [[(ss.addresses ?? []) as KObj[], true], [(ss.notReadyAddresses ?? []) as KObj[], false]];
    for (const [addrs, ready] of lists) {
      for (const a of addrs) {
        if (!a?.ip) continue;
        const family = familyOf(a.ip);
        const key = `${family}|${portsKey(ports)}`;
        let g = groups.get(key);
        if (!g) groups.set(key, (g = { family, ports: sortPorts(ports), endpoints: [] }));
        const e: KObj = { addresses: [a.ip], conditions: { ready } };
        if (a.hostname) e.hostname = a.hostname;
        if (a.nodeName) e.nodeName = a.nodeName;
        if (a.targetRef) e.targetRef = a.targetRef;
        g.endpoints.push(e);
      }
    }
  }
  const out = [...groups.keys()].sort().map((k) => groups.get(k)!);
  for (const g of out) g.endpoints.sort((a, b) => String(a.addresses[0]).localeCompare(String(b.addresses[0])));
  return out;
}

function mirrorOwner(svc: KObj, ep: KObj): SliceOwner {
  const labels: Record<string, string> = { ...(ep.metadata.labels ?? {}) };
  labels[SERVICE_NAME_LABEL] = svc.metadata.name;
  labels[MANAGED_BY_LABEL] = MIRRORING_CONTROLLER_NAME;
  return { obj: ep, apiVersion: "v1", kind: "Endpoints", labels };
}

export class EndpointSliceMirroringController implements Controller {
  readonly name = "endpointslice-mirroring";
  private worker?: Worker;
  private client!: KubeClient;
  private services!: Informer;
  private endpoints!: Informer;
  private slices!: Informer;
  private tracker = new WriteTracker();

  start(ctx: ControllerContext) {
    this.client = ctx.client;
    this.services = ctx.informers.for(R.services);
    this.endpoints = ctx.informers.for(R.endpoints);
    this.slices = ctx.informers.for(R.endpointslices, { labelSelector: `${MANAGED_BY_LABEL}=${MIRRORING_CONTROLLER_NAME}` });
    const w = (this.worker = new Worker({ informers: [this.services, this.endpoints, this.slices], handler: (k) => this.sync(k), log }));
    const enqueue = (o: KObj) => w.queue.add(objectKey(o));
    this.services.addHandlers({ add: enqueue, update: (_a, b) => enqueue(b), delete: enqueue });
    this.endpoints.addHandlers({ add: enqueue, update: (_a, b) => enqueue(b), delete: enqueue });
    const slice = (s: KObj) => {
      const svc = s.metadata?.labels?.[SERVICE_NAME_LABEL];
      if (svc) w.queue.add(`${s.metadata.namespace}/${svc}`);
    };
    this.slices.addHandlers({ add: slice, update: (_a, b) => slice(b), delete: slice });
    w.start();
  }

  async stop() {
    await this.worker?.stop();
  }

  private async sync(key: string) {
    const [ns, name] = key.split("/") as [string, string];
    if (ns === "default" && name === "kubernetes") return; // the API server's own
    if (!this.tracker.caughtUp(key, this.slices, ns)) {
      this.worker!.queue.addAfter(key, 100);
      return;
    }
    const svc = this.services.store.get(key);
    const ep = this.endpoints.store.get(key);
    const existing = this.slices.list((s) => s.metadata.namespace === ns && s.metadata.labels?.[SERVICE_NAME_LABEL] === name);
    const plan = shouldMirror(svc, ep) ? planSlices(svc!, mirrorGroups(ep!), existing, mirrorOwner(svc!, ep!)) : { create: [], update: [], delete: existing };
    try {
      for (const s of plan.delete) {
        try {
          await this.client.delete(R.endpointslices, ns, s.metadata.name, { preconditions: { uid: s.metadata.uid } });
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
        this.tracker.record(key, s.metadata.name, "");
      }
      for (const s of plan.update) {
        const res = await this.client.update(R.endpointslices, ns, s, { fieldManager: "endpointslicemirroring-controller" });
        this.tracker.record(key, res.metadata.name, res.metadata.resourceVersion);
      }
      for (const s of plan.create) {
        const res = await this.client.create(R.endpointslices, ns, s, { fieldManager: "endpointslicemirroring-controller" });
        this.tracker.record(key, res.metadata.name, res.metadata.resourceVersion);
      }
    } catch (e) {
      if (isNamespaceTerminating(e)) return;
      throw e;
    }
    if (!svc && !ep) this.tracker.forget(key);
  }
}
