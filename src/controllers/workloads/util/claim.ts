/**
 * @module controllers/workloads/util/claim
 * Adoption and orphaning by selector, like upstream's ControllerRefManager: an owner
 * claims the objects it controls that its selector still matches, releases (removes its
 * ownerReference from) those it controls that no longer match, and adopts orphans that
 * match — but only after re-reading itself from the API to be sure it is not being
 * deleted (a deleting owner must not adopt). Writes are merge patches carrying the
 * object's uid and resourceVersion as preconditions, so a racing change fails with a
 * conflict and the sync is retried.
 */
import { isNotFound, type KObj, type KubeClient } from "../../../client/client.ts";
import type { GVR } from "../../../client/resources.ts";
import { controllerOf, type OwnerRef } from "./owner-index.ts";

export interface ClaimContext {
  client: KubeClient;
  /** The owner (e.g. a ReplicaSet) and how to re-read it. */
  owner: KObj;
  ownerGvr: GVR;
  /** The ownerReference to write on adopted objects. */
  ref: OwnerRef;
  /** Kind of the claimed objects. */
  gvr: GVR;
  matches(o: KObj): boolean;
}


/**
 * Claim `candidates` (objects controlled by the owner plus orphans in its namespace).
 * Returns the objects the owner now controls (adopted ones as returned by the API).
 */
export async function claimObjects(ctx: ClaimContext, candidates: KObj[]): Promise<KObj[]> {
  const out: KObj[] = [];
  const uid = ctx.owner.metadata.uid;
  const ownerDeleting = Boolean(ctx.owner.metadata.deletionTimestamp);
  let recheck: Promise<boolean> | undefined;
  const canAdopt = () => (recheck ??= recheckOwner(ctx));
  const errors: unknown[] = [];
  for (const o of candidates) {
    const ref = controllerOf(o);
    if (ref) {
      if (ref.uid !== uid) continue;
      if (ctx.matches(o)) {
        out.push(o);
        continue;
      }
      if (ownerDeleting) continue;
      try {
        await release(ctx, o);
      } catch (e) {
        if (!isNotFound(e)) errors.push(e);
      }
      continue;
    }
    if (ownerDeleting || !ctx.matches(o) || o.metadata?.deletionTimestamp) continue;
    if (o.metadata?.namespace !== ctx.owner.metadata.namespace) continue;
    if (!(await canAdopt())) continue;
    try {
      out.push(await adopt(ctx, o));
    } catch (e) {
      if (!isNotFound(e)) errors.push(e);
    }
  }
  if (errors.length) throw errors[0];
  return out;
}

async function recheckOwner(ctx: ClaimContext): Promise<boolean> {
  const fresh = await ctx.client.getOrNull(ctx.ownerGvr, ctx.owner.metadata.namespace, ctx.owner.metadata.name);
  if (!fresh || fresh.metadata.uid !== ctx.owner.metadata.uid) return false;
  return !fresh.metadata.deletionTimestamp;
}

function adopt(ctx: ClaimContext, o: KObj): Promise<KObj> {
  const refs = (o.metadata.ownerReferences ?? []).filter((r: OwnerRef) => r.uid !== ctx.ref.uid);
  refs.push(ctx.ref);
  return ctx.client.patch(ctx.gvr, o.metadata.namespace, o.metadata.name, { metadata: { ownerReferences: refs, uid: o.metadata.uid, resourceVersion: o.metadata.resourceVersion } });
}

function release(ctx: ClaimContext, o: KObj): Promise<KObj> {
  const refs = (o.metadata.ownerReferences ?? []).filter((r: OwnerRef) => r.uid !== ctx.ref.uid);
  return ctx.client.patch(ctx.gvr, o.metadata.namespace, o.metadata.name, { metadata: { ownerReferences: refs.length ? refs : null, uid: o.metadata.uid, resourceVersion: o.metadata.resourceVersion } });
}
