/**
 * @module controllers/cluster/namespace-content
 * Deletes everything in a namespace (upstream's NamespacedResourcesDeleter): every
 * namespaced resource the API serves, CRDs included, found through discovery; a
 * deletecollection per resource (or a delete per object where that verb is missing),
 * then a count of what remains and of the finalizers holding it, which becomes the
 * namespace's deletion conditions.
 */
import { KubeApiError, type KObj, type KubeClient } from "../../client/client.ts";
import { resourcePath } from "../../client/resources.ts";
import { discoverResources, hasVerbs, type ServedResource } from "./served-resources.ts";

export interface ContentResult {
  /** Instances left per resource ("pods" → 2). */
  remaining: Map<string, number>;
  /** Instances holding each finalizer. */
  finalizers: Map<string, number>;
  /** Failed deletions/lists ("pods: message"). */
  failures: string[];
  discoveryError?: string;
  /** Milliseconds until the first graceful deletion should be over (pods), if any. */
  graceMs?: number;
}

const BACKGROUND = { kind: "DeleteOptions", apiVersion: "v1", propagationPolicy: "Background" };

function label(r: ServedResource) {
  return r.group ? `${r.resource}.${r.group}` : r.resource;
}

async function deleteAll(client: KubeClient, r: ServedResource, ns: string): Promise<void> {
  if (hasVerbs(r, "deletecollection")) {
    try {
      await client.json("DELETE", resourcePath(r, ns), BACKGROUND);
      return;
    } catch (e) {
      if (!(e instanceof KubeApiError) || (e.code !== 405 && e.code !== 404)) throw e;
    }
  }
  const list = await client.list(r, ns);
  for (const item of (list.items ?? []) as KObj[]) {
    if (item.metadata?.deletionTimestamp) continue;
    try {
      await client.json("DELETE", resourcePath(r, ns, item.metadata.name), BACKGROUND);
    } catch (e) {
      if (!(e instanceof KubeApiError && e.code === 404)) throw e;
    }
  }
}

/**
 * One pass: delete what is left, then report what still exists. `only` limits the pass
 * to these resources (labels as in `remaining`), for cheap re-checks of what was left.
 */
export async function deleteNamespaceContent(client: KubeClient, ns: string, opts: { only?: Set<string>; now?: number } = {}): Promise<ContentResult> {
  const now = opts.now ?? Date.now();
  const res: ContentResult = { remaining: new Map(), finalizers: new Map(), failures: [] };
  let resources: ServedResource[];
  try {
    resources = await discoverResources(client);
  } catch (e) {
    res.discoveryError = (e as Error).message;
    return res;
  }
  for (const r of resources) {
    if (!r.namespaced || !hasVerbs(r, "list", "delete")) continue;
    if (opts.only && !opts.only.has(label(r))) continue;
    try {
      await deleteAll(client, r, ns);
    } catch (e) {
      res.failures.push(`${label(r)}: ${(e as Error).message}`);
    }
    let items: KObj[];
    try {
      items = ((await client.list(r, ns)).items ?? []) as KObj[];
    } catch (e) {
      if (e instanceof KubeApiError && e.code === 404) continue; // a CRD removed meanwhile
      res.failures.push(`${label(r)}: ${(e as Error).message}`);
      continue;
    }
    if (!items.length) continue;
    res.remaining.set(label(r), items.length);
    for (const it of items) {
      for (const f of (it.metadata?.finalizers ?? []) as string[]) res.finalizers.set(f, (res.finalizers.get(f) ?? 0) + 1);
      const dt = it.metadata?.deletionTimestamp;
      if (dt) {
        const ms = Date.parse(dt) - now;
        if (ms > 0 && (res.graceMs === undefined || ms < res.graceMs)) res.graceMs = ms;
      }
    }
  }
  return res;
}

function cond(type: string, on: boolean, reasonOn: string, msgOn: string, reasonOff: string, msgOff: string): KObj {
  return on ? { type, status: "True", reason: reasonOn, message: msgOn } : { type, status: "False", reason: reasonOff, message: msgOff };
}

/** The namespace deletion conditions upstream's namespace controller reports. */
export function deletionConditions(r: ContentResult): KObj[] {
  const remaining = [...r.remaining].sort(([a], [b]) => a.localeCompare(b));
  const fins = [...r.finalizers].sort(([a], [b]) => a.localeCompare(b));
  return [
    cond("NamespaceDeletionDiscoveryFailure", Boolean(r.discoveryError), "DiscoveryFailed", `Discovery failed for some groups: ${r.discoveryError}`, "ResourcesDiscovered", "All resources successfully discovered"),
    cond("NamespaceDeletionGroupVersionParsingFailure", false, "", "", "ParsedGroupVersions", "All legacy kube types successfully parsed"),
    cond("NamespaceDeletionContentFailure", r.failures.length > 0, "ContentDeletionFailed", `Failed to delete all resource types, ${r.failures.length} remaining: ${r.failures.join(", ")}`, "ContentDeleted", "All content successfully deleted, may be waiting on finalization"),
    cond("NamespaceContentRemaining", remaining.length > 0, "SomeResourcesRemain", `Some resources are remaining: ${remaining.map(([k, n]) => `${k} has ${n} resource instances`).join(", ")}`, "ContentRemoved", "All content successfully removed"),
    cond("NamespaceFinalizersRemaining", fins.length > 0, "SomeFinalizersRemain", `Some content in the namespace has finalizers remaining: ${fins.map(([f, n]) => `${f} in ${n} resource instances`).join(", ")}`, "ContentHasNoFinalizers", "All content-preserving finalizers finished"),
  ];
}

/** Whether the namespace is empty and may be finalized. */
export function contentGone(r: ContentResult): boolean {
  return !r.discoveryError && r.failures.length === 0 && r.remaining.size === 0;
}
