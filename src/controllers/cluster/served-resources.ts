/**
 * @module controllers/cluster/served-resources
 * Which resources the API serves right now (built-in kinds and CRDs), read from discovery
 * like client-go's discovery client: the aggregated documents of /api and /apis, or the
 * legacy /api/v1 and /apis/<group>/<version> lists when a server does not aggregate. One
 * entry per group and resource, at the group's preferred version. The namespace controller
 * and the garbage collector use this to find every kind they must touch.
 */
import type { KObj, KubeClient } from "../../client/client.ts";
import type { GVR } from "../../client/resources.ts";

export interface ServedResource extends GVR {
  verbs: string[];
}

export class DiscoveryError extends Error {
  override name = "DiscoveryError";
}

const AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";

/** Resources served, preferred version of each group first (one entry per group/resource). */
export async function discoverResources(client: KubeClient): Promise<ServedResource[]> {
  const out: ServedResource[] = [];
  for (const root of ["/api", "/apis"]) {
    let doc: KObj;
    try {
      doc = await client.json("GET", root, undefined, { Accept: AGGREGATED });
    } catch (e) {
      throw new DiscoveryError(`discovery of ${root} failed: ${(e as Error).message}`);
    }
    if (doc.kind === "APIGroupDiscoveryList") out.push(...fromAggregated(doc, root === "/api"));
    else out.push(...(await fromLegacy(client, root, doc)));
  }
  return dedupe(out);
}

/** Parse an apidiscovery.k8s.io APIGroupDiscoveryList (first version listed = preferred). */
export function fromAggregated(doc: KObj, core: boolean): ServedResource[] {
  const out: ServedResource[] = [];
  for (const g of (doc.items ?? []) as KObj[]) {
    const group = core ? "" : (g.metadata?.name ?? "");
    const v = (g.versions ?? [])[0];
    if (!v) continue;
    for (const r of (v.resources ?? []) as KObj[]) {
      out.push({
        group,
        version: v.version,
        resource: r.resource,
        kind: r.responseKind?.kind ?? "",
        namespaced: r.scope === "Namespaced",
        verbs: r.verbs ?? [],
      });
    }
  }
  return out;
}

async function fromLegacy(client: KubeClient, root: string, doc: KObj): Promise<ServedResource[]> {
  const lists: { group: string; version: string; path: string }[] = [];
  if (root === "/api") {
    for (const v of (doc.versions ?? []) as string[]) lists.push({ group: "", version: v, path: `/api/${v}` });
    lists.splice(1);
  } else {
    for (const g of (doc.groups ?? []) as KObj[]) {
      const pv = g.preferredVersion ?? g.versions?.[0];
      if (pv) lists.push({ group: g.name, version: pv.version, path: `/apis/${pv.groupVersion}` });
    }
  }
  const out: ServedResource[] = [];
  for (const l of lists) {
    let rl: KObj;
    try {
      rl = await client.json("GET", l.path);
    } catch (e) {
      throw new DiscoveryError(`discovery of ${l.path} failed: ${(e as Error).message}`);
    }
    out.push(...fromResourceList(rl, l.group, l.version));
  }
  return out;
}

/** Parse a legacy APIResourceList (subresources, named "x/y", are skipped). */
export function fromResourceList(rl: KObj, group: string, version: string): ServedResource[] {
  return ((rl.resources ?? []) as KObj[])
    .filter((r) => typeof r.name === "string" && !r.name.includes("/"))
    .map((r) => ({ group, version, resource: r.name, kind: r.kind, namespaced: r.namespaced === true, verbs: r.verbs ?? [] }));
}

function dedupe(list: ServedResource[]): ServedResource[] {
  const seen = new Set<string>();
  return list.filter((r) => {
    const k = `${r.group}/${r.resource}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export function hasVerbs(r: ServedResource, ...verbs: string[]): boolean {
  return verbs.every((v) => r.verbs.includes(v));
}

/** The group of an ownerReference's apiVersion ("apps/v1" → "apps", "v1" → ""). */
export function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf("/");
  return i < 0 ? "" : apiVersion.slice(0, i);
}

/** Kind → resource lookups over one discovery snapshot. */
export class ResourceIndex {
  private byKind = new Map<string, ServedResource>();
  constructor(readonly resources: ServedResource[]) {
    for (const r of resources) {
      const k = `${r.group}/${r.kind}`;
      if (!this.byKind.has(k)) this.byKind.set(k, r);
    }
  }
  /** The served resource for an ownerReference-style apiVersion + kind (any version of the group). */
  forKind(apiVersion: string, kind: string): ServedResource | undefined {
    return this.byKind.get(`${groupOf(apiVersion)}/${kind}`);
  }
}
