/**
 * @module server/bootstrap
 * Objects every cluster has from the start: the default namespaces and the `kubernetes`
 * Service with its Endpoints pointing at the API server (kube-apiserver's bootstrap
 * controller does the same).
 */
import type { Catalog } from "../api/registry/catalog.ts";
import type { Obj, OpContext } from "../api/registry/types.ts";
import { ApiError } from "../api/errors.ts";

export const SYSTEM_USER = { username: "system:apiserver", groups: ["system:masters"] };

export function systemContext(): OpContext {
  return { user: SYSTEM_USER, now: new Date(), dryRun: false, fieldValidation: "Ignore", warnings: [], fieldManager: "kite" };
}

async function ensure(catalog: Catalog, group: string, plural: string, obj: Obj) {
  const e = catalog.lookupResource(group, plural);
  if (!e) throw new Error(`resource ${plural} is not served`);
  if (await catalog.get(group, plural, obj.metadata.namespace, obj.metadata.name)) return;
  try {
    await e.registry.create(obj.metadata.namespace, obj, systemContext());
  } catch (err) {
    if (err instanceof ApiError && err.code === 409) return;
    throw err;
  }
}

export async function bootstrapCluster(catalog: Catalog, opts: { advertiseAddress: string; port: number; serviceIP: string }) {
  for (const ns of ["default", "kube-system", "kube-public", "kube-node-lease"]) {
    await ensure(catalog, "", "namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: ns, labels: { "kubernetes.io/metadata.name": ns } } });
  }
  await ensure(catalog, "", "services", {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "kubernetes", namespace: "default", labels: { component: "apiserver", provider: "kubernetes" } },
    spec: { type: "ClusterIP", clusterIP: opts.serviceIP, ports: [{ name: "https", port: 443, protocol: "TCP", targetPort: opts.port }], sessionAffinity: "None" },
  });
  await reconcileEndpoints(catalog, opts);
}

/** The `kubernetes` Endpoints list this server (HA: each server adds itself; removal drops it, see removeEndpointAddress). */
export async function reconcileEndpoints(catalog: Catalog, opts: { advertiseAddress: string; port: number }) {
  const e = catalog.lookupResource("", "endpoints")!;
  const ctx = systemContext();
  for (let i = 0; i < 5; i++) {
    let cur: Obj | null = null;
    try {
      cur = await e.registry.get("default", "kubernetes");
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 404)) throw err;
    }
    const addrs: Obj[] = cur?.subsets?.[0]?.addresses ?? [];
    if (addrs.some((a) => a.ip === opts.advertiseAddress) && cur?.subsets?.[0]?.ports?.[0]?.port === opts.port) {
      await reconcileEndpointSlice(catalog, addrs.map((a) => a.ip as string), opts.port);
      return;
    }
    const next: Obj = {
      apiVersion: "v1",
      kind: "Endpoints",
      // The endpointslice mirroring controller must leave the apiserver's own Endpoints alone.
      metadata: { name: "kubernetes", namespace: "default", labels: { "endpointslice.kubernetes.io/skip-mirror": "true" }, ...(cur ? { resourceVersion: cur.metadata.resourceVersion } : {}) },
      subsets: [{ addresses: [...addrs.filter((a) => a.ip !== opts.advertiseAddress), { ip: opts.advertiseAddress }], ports: [{ name: "https", port: opts.port, protocol: "TCP" }] }],
    };
    try {
      if (cur) await e.registry.update("default", "kubernetes", next, ctx);
      else await e.registry.create("default", next, ctx);
      await reconcileEndpointSlice(catalog, next.subsets[0].addresses.map((a: Obj) => a.ip as string), opts.port);
      return;
    } catch (err) {
      if (err instanceof ApiError && err.code === 409) continue;
      throw err;
    }
  }
}

/** The `kubernetes` EndpointSlice, kept equal to the Endpoints (as kube-apiserver's reconciler does). */
export async function reconcileEndpointSlice(catalog: Catalog, ips: string[], port: number) {
  const e = catalog.lookupResource("discovery.k8s.io", "endpointslices");
  if (!e) return;
  const ctx = systemContext();
  const desired = (rv?: string): Obj => ({
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name: "kubernetes", namespace: "default", labels: { "kubernetes.io/service-name": "kubernetes", "endpointslice.kubernetes.io/managed-by": "kite-apiserver" }, ...(rv ? { resourceVersion: rv } : {}) },
    addressType: "IPv4",
    endpoints: [...ips].sort().map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
    ports: [{ name: "https", port, protocol: "TCP" }],
  });
  for (let i = 0; i < 5; i++) {
    const cur = await catalog.get("discovery.k8s.io", "endpointslices", "default", "kubernetes");
    try {
      if (!cur) await e.registry.create("default", desired(), ctx);
      else await e.registry.update("default", "kubernetes", desired(cur.metadata.resourceVersion), ctx);
      return;
    } catch (err) {
      if (err instanceof ApiError && err.code === 409) continue;
      throw err;
    }
  }
}

/** Drops a removed server's address from the `kubernetes` Endpoints (unless `keep` says another server still uses it). */
export async function removeEndpointAddress(catalog: Catalog, ip: string) {
  const e = catalog.lookupResource("", "endpoints")!;
  const ctx = systemContext();
  for (let i = 0; i < 5; i++) {
    let cur: Obj;
    try {
      cur = await e.registry.get("default", "kubernetes");
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) return;
      throw err;
    }
    const addrs: Obj[] = cur.subsets?.[0]?.addresses ?? [];
    if (!addrs.some((a) => a.ip === ip)) return;
    const next: Obj = { ...cur, subsets: [{ ...cur.subsets[0], addresses: addrs.filter((a) => a.ip !== ip) }] };
    try {
      await e.registry.update("default", "kubernetes", next, ctx);
      return;
    } catch (err) {
      if (err instanceof ApiError && err.code === 409) continue;
      throw err;
    }
  }
}
