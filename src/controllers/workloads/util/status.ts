/**
 * @module controllers/workloads/util/status
 * Status bookkeeping shared by the workload controllers: counters omitted at zero (Go's
 * omitempty), order-insensitive comparison so unchanged status is never rewritten, and a
 * status write that retries once against the latest version on a conflict.
 */
import { isConflict, type KObj, type KubeClient } from "../../../client/client.ts";
import type { GVR } from "../../../client/resources.ts";
import { canonicalJson } from "./hash.ts";

export function setCount(status: KObj, field: string, n: number) {
  if (n) status[field] = n;
  else delete status[field];
}

/** Equal status objects, ignoring key order and empty values. */
export function sameStatus(a: KObj | undefined, b: KObj | undefined): boolean {
  return canonicalJson(a ?? {}) === canonicalJson(b ?? {});
}

/**
 * PUT `status` on `obj` (a cached version); on a conflict, re-read and write once more
 * unless the object was replaced. observedGeneration never exceeds the generation acted on.
 */
export async function writeStatus(client: KubeClient, gvr: GVR, obj: KObj, status: KObj): Promise<KObj | undefined> {
  const ns = obj.metadata.namespace;
  try {
    return await client.updateStatus(gvr, ns, { apiVersion: obj.apiVersion, kind: obj.kind, metadata: obj.metadata, spec: obj.spec, status });
  } catch (e) {
    if (!isConflict(e)) throw e;
    const fresh = await client.getOrNull(gvr, ns, obj.metadata.name);
    if (!fresh || fresh.metadata.uid !== obj.metadata.uid) return undefined;
    fresh.status = status;
    return client.updateStatus(gvr, ns, fresh);
  }
}
