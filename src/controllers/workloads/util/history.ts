/**
 * @module controllers/workloads/util/history
 * ControllerRevisions, the rollout history of DaemonSets and StatefulSets (what `kubectl
 * rollout history|undo` read and apply): the revision data is a strategic merge patch
 * `{"spec":{"template":{..., "$patch":"replace"}}}` that restores the template, names are
 * `<owner>-<hash>`, pods carry the hash in the `controller-revision-hash` label.
 */
import type { KObj } from "../../../client/client.ts";
import { canonicalJson, computeHash, normalize } from "./hash.ts";
import { controllerRefFor } from "./pods.ts";
import { deepEqual } from "../../../api/registry/objects.ts";

export const CONTROLLER_REVISION_HASH = "controller-revision-hash";

/** The patch that restores `owner`'s template (upstream getPatch / kubectl's rollback data). */
export function templatePatch(owner: KObj): KObj {
  return { spec: { template: { ...structuredClone(owner.spec?.template ?? {}), $patch: "replace" } } };
}

/** True when a revision's data restores exactly the owner's current template. */
export function revisionMatches(owner: KObj, cr: KObj): boolean {
  const t = structuredClone(cr.data?.spec?.template ?? {});
  delete t.$patch;
  return deepEqual(normalize(t), normalize(owner.spec?.template ?? {}));
}

/** ControllerRevisionName: the prefix is cut to 223 characters so the name stays valid. */
export function revisionName(prefix: string, hash: string): string {
  return `${prefix.length > 223 ? prefix.slice(0, 223) : prefix}-${hash}`;
}

/** Hash of a revision's data (HashControllerRevision). */
export function hashRevisionData(data: KObj, collisionCount?: number | null): string {
  return computeHash(JSON.parse(canonicalJson(data)), collisionCount);
}

export function byRevisionNumber(a: KObj, b: KObj): number {
  return (a.revision ?? 0) - (b.revision ?? 0) || String(a.metadata.name).localeCompare(String(b.metadata.name));
}

export function maxRevisionNumber(crs: KObj[]): number {
  let m = 0;
  for (const cr of crs) m = Math.max(m, cr.revision ?? 0);
  return m;
}

/** A new ControllerRevision object for `owner` (labels from its template plus the hash). */
export function newRevision(owner: KObj, ownerKind: string, name: string, hash: string, revision: number, opts: { annotations?: boolean } = {}): KObj {
  const labels = { ...(owner.spec?.template?.metadata?.labels ?? {}), [CONTROLLER_REVISION_HASH]: hash };
  const metadata: KObj = { name, namespace: owner.metadata.namespace, labels, ownerReferences: [controllerRefFor(owner, "apps/v1", ownerKind)] };
  if (opts.annotations && owner.metadata.annotations) metadata.annotations = { ...owner.metadata.annotations };
  return { apiVersion: "apps/v1", kind: "ControllerRevision", metadata, data: templatePatch(owner), revision };
}
