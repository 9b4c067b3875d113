/**
 * @module api/discovery
 * API discovery documents built from the catalog: aggregated (apidiscovery.k8s.io v2 and
 * v2beta1, chosen by Accept) and the legacy APIVersions / APIGroupList / APIResourceList
 * forms (kubectl-wire.md §1).
 */
import type { Catalog, CatalogEntry } from "./registry/catalog.ts";
import type { Obj } from "./registry/types.ts";

export const ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

export function verbsOf(e: CatalogEntry): string[] {
  if (e.def.verbs) return e.def.verbs;
  if (e.def.virtual) return ["create"];
  return ALL_VERBS;
}

interface Sub {
  name: string;
  kind: { group: string; version: string; kind: string };
  verbs: string[];
}

function subresourcesOf(e: CatalogEntry): Sub[] {
  const d = e.def;
  const out: Sub[] = [];
  if (d.statusSubresource) out.push({ name: "status", kind: { group: d.group, version: d.version, kind: d.kind }, verbs: ["get", "patch", "update"] });
  if (d.scale) out.push({ name: "scale", kind: { group: "autoscaling", version: "v1", kind: "Scale" }, verbs: ["get", "patch", "update"] });
  for (const [name, h] of Object.entries(d.subresources ?? {})) {
    out.push({ name, kind: h.responseKind ?? { group: d.group, version: d.version, kind: d.kind }, verbs: h.verbs });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

function aggregatedResource(e: CatalogEntry): Obj {
  const d = e.def;
  const r: Obj = {
    resource: d.plural,
    responseKind: { group: d.group, version: d.version, kind: d.kind },
    scope: d.namespaced ? "Namespaced" : "Cluster",
    singularResource: d.singular,
    verbs: verbsOf(e),
  };
  if (d.shortNames?.length) r.shortNames = d.shortNames;
  if (d.categories?.length) r.categories = d.categories;
  const subs = subresourcesOf(e);
  if (subs.length) r.subresources = subs.map((s) => ({ subresource: s.name, responseKind: s.kind, verbs: s.verbs }));
  return r;
}

export type DiscoveryVersion = "v2" | "v2beta1";

export const AGGREGATED_CT = (v: DiscoveryVersion) => `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList`;

/** Which aggregated form (if any) the Accept header asks for, honouring its order. */
export function negotiateDiscovery(accept: string | null): DiscoveryVersion | null {
  if (!accept) return null;
  for (const part of accept.split(",")) {
    const p = part.replace(/\s+/g, "");
    if (!p.includes("as=APIGroupDiscoveryList") || !p.includes("g=apidiscovery.k8s.io")) {
      if (p.startsWith("application/json") || p.startsWith("*/*")) return null;
      continue;
    }
    if (p.includes("v=v2beta1")) return "v2beta1";
    if (p.includes("v=v2")) return "v2";
  }
  return null;
}

export function aggregatedDiscovery(catalog: Catalog, core: boolean, version: DiscoveryVersion): Obj {
  const items = catalog
    .groups()
    .filter((g) => (core ? g.group === "" : g.group !== ""))
    .map((g) => ({
      metadata: core ? { creationTimestamp: null } : { name: g.group, creationTimestamp: null },
      versions: g.versions.map((v) => ({ version: v.version, resources: v.entries.map(aggregatedResource), freshness: "Current" })),
    }));
  return { kind: "APIGroupDiscoveryList", apiVersion: `apidiscovery.k8s.io/${version}`, metadata: {}, items };
}

export function legacyApiVersions(serverAddress: string): Obj {
  return { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }] };
}

function groupObj(g: { group: string; versions: { version: string }[] }): Obj {
  const versions = g.versions.map((v) => ({ groupVersion: `${g.group}/${v.version}`, version: v.version }));
  return { name: g.group, versions, preferredVersion: versions[0] };
}

export function legacyApiGroupList(catalog: Catalog): Obj {
  return { kind: "APIGroupList", apiVersion: "v1", groups: catalog.groups().filter((g) => g.group !== "").map(groupObj) };
}

export function legacyApiGroup(catalog: Catalog, group: string): Obj | null {
  const g = catalog.groups().find((x) => x.group === group);
  if (!g) return null;
  return { kind: "APIGroup", apiVersion: "v1", ...groupObj(g) };
}

export function apiResourceList(catalog: Catalog, group: string, version: string): Obj | null {
  const g = catalog.groups().find((x) => x.group === group);
  const v = g?.versions.find((x) => x.version === version);
  if (!v) return null;
  const resources: Obj[] = [];
  for (const e of v.entries) {
    const d = e.def;
    const r: Obj = { name: d.plural, singularName: d.singular, namespaced: d.namespaced, kind: d.kind, verbs: verbsOf(e) };
    if (d.shortNames?.length) r.shortNames = d.shortNames;
    if (d.categories?.length) r.categories = d.categories;
    resources.push(r);
    for (const s of subresourcesOf(e)) {
      const sr: Obj = { name: `${d.plural}/${s.name}`, singularName: "", namespaced: d.namespaced, kind: s.kind.kind, verbs: s.verbs };
      if (s.kind.group !== d.group || s.kind.version !== d.version) {
        sr.group = s.kind.group;
        sr.version = s.kind.version;
      }
      resources.push(sr);
    }
  }
  return { kind: "APIResourceList", apiVersion: "v1", groupVersion: group ? `${group}/${version}` : version, resources };
}
