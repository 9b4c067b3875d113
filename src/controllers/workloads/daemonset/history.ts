/**
 * @module controllers/workloads/daemonset/history
 * A DaemonSet's ControllerRevisions (upstream constructHistory / snapshot /
 * cleanupHistory): find the revision matching the current template (creating
 * `<ds>-<hash>` with the next revision number when missing, bumping a reused one's
 * number on rollback), and delete old revisions beyond revisionHistoryLimit that no live
 * pod still runs.
 */
import { isAlreadyExists, type KObj, type KubeClient } from "../../../client/client.ts";
import { R } from "../../../client/resources.ts";
import { computeHash } from "../util/hash.ts";
import { byRevisionNumber, CONTROLLER_REVISION_HASH, maxRevisionNumber, newRevision, revisionMatches } from "../util/history.ts";

export interface History {
  cur: KObj;
  old: KObj[];
  hash: string;
}

export class StaleCollisionCountError extends Error {
  override name = "StaleCollisionCountError";
}

export async function constructHistory(client: KubeClient, ds: KObj, revisions: KObj[]): Promise<History> {
  const current: KObj[] = [];
  const old: KObj[] = [];
  for (let cr of revisions) {
    if (!cr.metadata.labels?.[CONTROLLER_REVISION_HASH]) {
      cr = structuredClone(cr);
      cr.metadata.labels = { ...(cr.metadata.labels ?? {}), [CONTROLLER_REVISION_HASH]: cr.metadata.name };
      cr = await client.update(R.controllerrevisions, cr.metadata.namespace, cr);
    }
    (revisionMatches(ds, cr) ? current : old).push(cr);
  }
  const next = maxRevisionNumber(old) + 1;
  let cur: KObj;
  if (current.length === 0) cur = await snapshot(client, ds, next);
  else {
    cur = await dedupe(client, current);
    if ((cur.revision ?? 0) < next) cur = await client.update(R.controllerrevisions, cur.metadata.namespace, { ...structuredClone(cur), revision: next });
  }
  return { cur, old, hash: cur.metadata.labels[CONTROLLER_REVISION_HASH] };
}

/** Keep the highest revision of several equal ones and delete the rest. */
async function dedupe(client: KubeClient, current: KObj[]): Promise<KObj> {
  const sorted = [...current].sort(byRevisionNumber);
  const keep = sorted[sorted.length - 1]!;
  for (const cr of sorted.slice(0, -1)) await client.deleteIgnoreNotFound(R.controllerrevisions, cr.metadata.namespace, cr.metadata.name);
  return keep;
}

async function snapshot(client: KubeClient, ds: KObj, revision: number): Promise<KObj> {
  const hash = computeHash(ds.spec.template, ds.status?.collisionCount);
  const cr = newRevision(ds, "DaemonSet", `${ds.metadata.name}-${hash}`, hash, revision, { annotations: true });
  try {
    return await client.create(R.controllerrevisions, ds.metadata.namespace, cr);
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
    const existing = await client.get(R.controllerrevisions, ds.metadata.namespace, cr.metadata.name);
    if (revisionMatches(ds, existing)) return existing;
    // A different template hashed to the same name: bump collisionCount (unless ours was stale) and retry.
    const fresh = await client.get(R.daemonsets, ds.metadata.namespace, ds.metadata.name);
    if ((fresh.status?.collisionCount ?? null) !== (ds.status?.collisionCount ?? null)) {
      throw new StaleCollisionCountError(`found a stale collision count of DaemonSet "${ds.metadata.name}" while processing; will retry until it is updated`);
    }
    fresh.status = { ...(fresh.status ?? {}), collisionCount: (fresh.status?.collisionCount ?? 0) + 1 };
    await client.updateStatus(R.daemonsets, ds.metadata.namespace, fresh);
    throw e;
  }
}

/** Delete the oldest revisions beyond revisionHistoryLimit whose hash no live pod carries. */
export async function cleanupHistory(client: KubeClient, ds: KObj, old: KObj[], pods: KObj[]) {
  const limit = ds.spec?.revisionHistoryLimit ?? 10;
  let toKill = old.length - limit;
  if (toKill <= 0) return;
  const live = new Set<string>();
  for (const p of pods) {
    const h = p.metadata.labels?.[CONTROLLER_REVISION_HASH];
    if (h) live.add(h);
  }
  for (const cr of [...old].sort(byRevisionNumber)) {
    if (toKill <= 0) break;
    if (live.has(cr.metadata.labels?.[CONTROLLER_REVISION_HASH])) continue;
    await client.deleteIgnoreNotFound(R.controllerrevisions, cr.metadata.namespace, cr.metadata.name);
    toKill--;
  }
}
