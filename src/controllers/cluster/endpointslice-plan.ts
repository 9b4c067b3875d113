/**
 * @module controllers/cluster/endpointslice-plan
 * Plans the writes that bring a Service's EndpointSlices to the desired state: slices of
 * at most 100 endpoints per (address type, port set), existing slices reused where their
 * type and ports match (so a pod going unready is one update, not a delete and create),
 * and slices of an older Service with the same name, or left over, deleted.
 */
import type { KObj } from "../../client/client.ts";
import { HEADLESS_LABEL } from "./endpoints.ts";
import { isHeadless, portsKey, type EndpointPort, type SliceGroup } from "./endpoints-model.ts";

export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";
export const MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by";
export const CONTROLLER_NAME = "endpointslice-controller.k8s.io";
export const MAX_ENDPOINTS_PER_SLICE = 100;

export interface SlicePlan {
  create: KObj[];
  update: KObj[];
  delete: KObj[];
}

export function sliceLabels(svc: KObj, managedBy = CONTROLLER_NAME): Record<string, string> {
  const labels: Record<string, string> = { ...(svc.metadata?.labels ?? {}) };
  labels[SERVICE_NAME_LABEL] = svc.metadata.name;
  labels[MANAGED_BY_LABEL] = managedBy;
  if (isHeadless(svc)) labels[HEADLESS_LABEL] = "";
  else delete labels[HEADLESS_LABEL];
  return labels;
}

/** Who the slices belong to: the Service (endpointslice controller) or the Endpoints (mirroring). */
export interface SliceOwner {
  /** The object whose slices these are: its name is the service name. */
  obj: KObj;
  apiVersion: string;
  kind: string;
  labels: Record<string, string>;
}

export function serviceOwner(svc: KObj): SliceOwner {
  return { obj: svc, apiVersion: "v1", kind: "Service", labels: sliceLabels(svc) };
}

export function slicePorts(ports: EndpointPort[]): KObj[] {
  return ports.map((p) => ({ name: p.name ?? "", port: p.port, protocol: p.protocol, ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}) }));
}

function ownerRef(o: SliceOwner): KObj {
  return { apiVersion: o.apiVersion, kind: o.kind, name: o.obj.metadata.name, uid: o.obj.metadata.uid, controller: true, blockOwnerDeletion: true };
}

function ownedBy(slice: KObj, o: SliceOwner): boolean {
  return ((slice.metadata?.ownerReferences ?? []) as KObj[]).some((r) => r.uid === o.obj.metadata.uid && r.controller === true);
}

function sliceKey(addressType: string, ports: KObj[]): string {
  return `${addressType}|${portsKey(ports.map((p) => ({ name: p.name || undefined, port: p.port, protocol: p.protocol ?? "TCP", appProtocol: p.appProtocol })))}`;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** The writes for one service. `existing` are the slices labelled for it and managed by the caller. */
export function planSlices(svc: KObj, groups: SliceGroup[], existing: KObj[], owner: SliceOwner = serviceOwner(svc)): SlicePlan {
  const plan: SlicePlan = { create: [], update: [], delete: [] };
  const labels = owner.labels;
  const pool = new Map<string, KObj[]>();
  for (const s of existing) {
    if (!ownedBy(s, owner)) {
      plan.delete.push(s);
      continue;
    }
    const k = sliceKey(s.addressType, s.ports ?? []);
    (pool.get(k) ?? pool.set(k, []).get(k)!).push(s);
  }
  for (const g of groups) {
    const ports = slicePorts(g.ports);
    const k = sliceKey(g.family, ports);
    const chunks: KObj[][] = [];
    for (let i = 0; i < g.endpoints.length; i += MAX_ENDPOINTS_PER_SLICE) chunks.push(g.endpoints.slice(i, i + MAX_ENDPOINTS_PER_SLICE));
    if (!chunks.length) chunks.push([]);
    const candidates = pool.get(k) ?? [];
    for (const endpoints of chunks) {
      // Prefer a slice that already holds exactly this content, else any with the same shape.
      let idx = candidates.findIndex((s) => same(s.endpoints ?? [], endpoints) && same(s.metadata.labels, labels));
      if (idx < 0) idx = 0;
      const cur = candidates.splice(idx, 1)[0];
      if (cur) {
        if (same(cur.endpoints ?? [], endpoints) && same(cur.metadata.labels, labels) && same(cur.ports ?? [], ports)) continue;
        plan.update.push({ ...cur, metadata: { ...cur.metadata, labels }, endpoints, ports });
      } else {
        plan.create.push({
          apiVersion: "discovery.k8s.io/v1",
          kind: "EndpointSlice",
          metadata: { generateName: `${svc.metadata.name}-`, namespace: svc.metadata.namespace, labels, ownerReferences: [ownerRef(owner)] },
          addressType: g.family,
          endpoints,
          ports,
        });
      }
    }
  }
  for (const left of pool.values()) plan.delete.push(...left);
  return plan;
}
