/**
 * @module controllers/workloads/util/owner-index
 * An index over an informer's cache: objects by the UID of their controlling owner, and
 * objects without a controller ("orphans") by namespace. Workload controllers look up
 * "the pods of this ReplicaSet" in O(its pods) instead of scanning every pod, which keeps
 * syncs of large Deployments linear. One index per informer, shared by every controller.
 */
import type { KObj } from "../../../client/client.ts";
import { objectKey, type Informer } from "../../../client/informer.ts";

export interface OwnerRef {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** The ownerReference with controller: true, if any. */
export function controllerOf(o: KObj): OwnerRef | undefined {
  const refs = o.metadata?.ownerReferences;
  if (!Array.isArray(refs)) return undefined;
  return refs.find((r: OwnerRef) => r?.controller === true);
}

function addTo(m: Map<string, Map<string, KObj>>, group: string, key: string, o: KObj) {
  let g = m.get(group);
  if (!g) m.set(group, (g = new Map()));
  g.set(key, o);
}

function removeFrom(m: Map<string, Map<string, KObj>>, group: string, key: string) {
  const g = m.get(group);
  if (!g) return;
  g.delete(key);
  if (g.size === 0) m.delete(group);
}

export class OwnerIndex {
  private byController = new Map<string, Map<string, KObj>>();
  private orphans = new Map<string, Map<string, KObj>>();

  constructor(readonly informer: Informer) {
    informer.addHandlers({
      add: (o) => this.put(o),
      update: (old, o) => {
        this.remove(old);
        this.put(o);
      },
      delete: (o) => this.remove(o),
    });
  }

  /** Objects whose controller is the owner with this UID. */
  controlledBy(uid: string): KObj[] {
    const g = this.byController.get(uid);
    return g ? [...g.values()] : [];
  }

  countControlledBy(uid: string): number {
    return this.byController.get(uid)?.size ?? 0;
  }

  /** Objects in a namespace without a controller. */
  orphansIn(namespace: string): KObj[] {
    const g = this.orphans.get(namespace);
    return g ? [...g.values()] : [];
  }

  private put(o: KObj) {
    const key = objectKey(o);
    const ref = controllerOf(o);
    if (ref?.uid) addTo(this.byController, ref.uid, key, o);
    else addTo(this.orphans, o.metadata?.namespace ?? "", key, o);
  }

  private remove(o: KObj) {
    const key = objectKey(o);
    const ref = controllerOf(o);
    if (ref?.uid) removeFrom(this.byController, ref.uid, key);
    else removeFrom(this.orphans, o.metadata?.namespace ?? "", key);
  }
}

const indexes = new WeakMap<Informer, OwnerIndex>();

/** The shared index of an informer (created, and its handlers registered, on first use). */
export function ownerIndex(informer: Informer): OwnerIndex {
  let ix = indexes.get(informer);
  if (!ix) indexes.set(informer, (ix = new OwnerIndex(informer)));
  return ix;
}
