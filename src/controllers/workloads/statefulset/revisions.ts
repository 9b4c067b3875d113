/**
 * @module controllers/workloads/statefulset/revisions
 * A StatefulSet's ControllerRevisions (upstream getStatefulSetRevisions / truncateHistory):
 * the update revision is the one whose data equals the current template (the latest one
 * when it already is; an older equal one is re-numbered, which is how a rollback reuses
 * history; otherwise a new `<set>-<hash>` is created, bumping the collision count on a
 * name clash); the current revision is status.currentRevision. Old revisions no pod
 * runs are deleted beyond revisionHistoryLimit.
 */
import { isAlreadyExists, type KObj, type KubeClient } from "../../../client/client.ts";
import { R } from "../../../client/resources.ts";
import { byRevisionNumber, hashRevisionData, newRevision, revisionName, templatePatch } from "../util/history.ts";
import { canonicalJson } from "../util/hash.ts";
import { podRevision } from "./identity.ts";

export interface SetRevisions {
  current: KObj;
  update: KObj;
  collisionCount: number;
}

function sameData(a: KObj, b: KObj): boolean {
  return canonicalJson(a.data) === canonicalJson(b.data);
}

export async function getStatefulSetRevisions(client: KubeClient, set: KObj, revisions: KObj[]): Promise<SetRevisions> {
  const sorted = [...revisions].sort(byRevisionNumber);
  let collisionCount: number = set.status?.collisionCount ?? 0;
  const next = (sorted.at(-1)?.revision ?? 0) + 1;
  const wanted = { data: templatePatch(set) };
  const equal = sorted.filter((r) => sameData(r, wanted));
  let update: KObj;
  if (equal.length > 0 && sorted.at(-1)!.metadata.name === equal.at(-1)!.metadata.name) {
    update = sorted.at(-1)!;
  } else if (equal.length > 0) {
    update = await client.update(R.controllerrevisions, set.metadata.namespace, { ...structuredClone(equal.at(-1)!), revision: next });
  } else {
    for (;;) {
      const hash = hashRevisionData(wanted.data, collisionCount);
      const cr = newRevision(set, "StatefulSet", revisionName(set.metadata.name, hash), hash, next, { annotations: true });
      try {
        update = await client.create(R.controllerrevisions, set.metadata.namespace, cr);
        break;
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
        const exists = await client.get(R.controllerrevisions, set.metadata.namespace, cr.metadata.name);
        if (sameData(exists, cr)) {
          update = exists;
          break;
        }
        collisionCount++;
      }
    }
  }
  const current = sorted.find((r) => r.metadata.name === set.status?.currentRevision) ?? update;
  return { current, update, collisionCount };
}

/** The set as it was at `revision` (ApplyRevision: the revision's template replaces the current one). */
export function applyRevision(set: KObj, revision: KObj): KObj {
  const clone = structuredClone(set);
  const t = structuredClone(revision.data?.spec?.template ?? clone.spec.template);
  delete t.$patch;
  clone.spec.template = t;
  return clone;
}

/** Delete revisions no pod runs (and that are neither current nor update) beyond revisionHistoryLimit, oldest first. */
export async function truncateHistory(client: KubeClient, set: KObj, pods: KObj[], revisions: KObj[], current: KObj, update: KObj) {
  const live = new Set<string>([current.metadata.name, update.metadata.name]);
  for (const p of pods) {
    const r = podRevision(p);
    if (r) live.add(r);
  }
  const history = [...revisions].sort(byRevisionNumber).filter((r) => !live.has(r.metadata.name));
  const limit = set.spec?.revisionHistoryLimit ?? 10;
  for (const r of history.slice(0, Math.max(0, history.length - limit))) await client.deleteIgnoreNotFound(R.controllerrevisions, r.metadata.namespace, r.metadata.name);
}

