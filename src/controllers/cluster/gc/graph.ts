/**
 * @module controllers/cluster/gc/graph
 * The garbage collector's view of ownership: every object of every monitored kind, by
 * UID, with its ownerReferences, deletion state and finalizers, and an index from an
 * owner's UID to its dependents' UIDs. The index keeps the dependents of owners that are
 * not (or no longer) present, which is exactly what the collector must look at.
 */
import type { KObj } from "../../../client/client.ts";
import type { GVR } from "../../../client/resources.ts";

export const FOREGROUND_FINALIZER = "foregroundDeletion";
export const ORPHAN_FINALIZER = "orphan";

export interface OwnerRef {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface GraphNode {
  uid: string;
  resource: GVR;
  namespace?: string;
  name: string;
  owners: OwnerRef[];
  deleting: boolean;
  finalizers: string[];
  resourceVersion: string;
}

export function nodeOf(resource: GVR, o: KObj): GraphNode {
  const m = o.metadata ?? {};
  return {
    uid: m.uid,
    resource,
    namespace: m.namespace || undefined,
    name: m.name,
    owners: (m.ownerReferences ?? []) as OwnerRef[],
    deleting: Boolean(m.deletionTimestamp),
    finalizers: (m.finalizers ?? []) as string[],
    resourceVersion: m.resourceVersion ?? "",
  };
}

/** Being deleted with propagationPolicy=Foreground: dependents go first. */
export function deletingDependents(n: GraphNode | undefined): boolean {
  return Boolean(n?.deleting && n.finalizers.includes(FOREGROUND_FINALIZER));
}

/** Being deleted with propagationPolicy=Orphan: dependents lose their reference first. */
export function orphaning(n: GraphNode | undefined): boolean {
  return Boolean(n?.deleting && n.finalizers.includes(ORPHAN_FINALIZER));
}

export class OwnerGraph {
  private nodes = new Map<string, GraphNode>();
  private deps = new Map<string, Set<string>>();

  get size() {
    return this.nodes.size;
  }

  get(uid: string): GraphNode | undefined {
    return this.nodes.get(uid);
  }

  has(uid: string): boolean {
    return this.nodes.has(uid);
  }

  all(): IterableIterator<GraphNode> {
    return this.nodes.values();
  }

  /** Insert or replace a node; returns the previous version. */
  upsert(n: GraphNode): GraphNode | undefined {
    const prev = this.nodes.get(n.uid);
    if (prev) this.unindex(prev);
    this.nodes.set(n.uid, n);
    for (const r of n.owners) {
      let s = this.deps.get(r.uid);
      if (!s) this.deps.set(r.uid, (s = new Set()));
      s.add(n.uid);
    }
    return prev;
  }

  /** Remove a node; its own dependents stay indexed under its UID. */
  remove(uid: string): GraphNode | undefined {
    const prev = this.nodes.get(uid);
    if (!prev) return undefined;
    this.nodes.delete(uid);
    this.unindex(prev);
    return prev;
  }

  private unindex(n: GraphNode) {
    for (const r of n.owners) {
      const s = this.deps.get(r.uid);
      if (!s) continue;
      s.delete(n.uid);
      if (!s.size) this.deps.delete(r.uid);
    }
  }

  /** The present objects that name `uid` as an owner. */
  dependentsOf(uid: string): GraphNode[] {
    const s = this.deps.get(uid);
    if (!s) return [];
    const out: GraphNode[] = [];
    for (const d of s) {
      const n = this.nodes.get(d);
      if (n) out.push(n);
    }
    return out;
  }

  /** Dependents whose reference to `uid` has blockOwnerDeletion=true. */
  blockingDependentsOf(uid: string): GraphNode[] {
    return this.dependentsOf(uid).filter((d) => d.owners.some((r) => r.uid === uid && r.blockOwnerDeletion === true));
  }
}
