/**
 * @module controllers/cluster/pods-by-node
 * An index of the pod cache by spec.nodeName, shared (one per informer factory) by the
 * controllers that act on a node's pods: node lifecycle, taint eviction, pod GC.
 */
import type { KObj } from "../../client/client.ts";
import { objectKey, type Informer, type InformerFactory } from "../../client/informer.ts";
import { R } from "../../client/resources.ts";

const shared = new WeakMap<InformerFactory, PodsByNode>();

export class PodsByNode {
  private byNode = new Map<string, Set<string>>();

  static for(informers: InformerFactory): PodsByNode {
    let p = shared.get(informers);
    if (!p) shared.set(informers, (p = new PodsByNode(informers.for(R.pods))));
    return p;
  }

  constructor(readonly informer: Informer) {
    informer.addHandlers({
      add: (p) => this.index(p),
      update: (a, b) => {
        if (a.spec?.nodeName !== b.spec?.nodeName) this.unindex(a);
        this.index(b);
      },
      delete: (p) => this.unindex(p),
    });
  }

  private index(p: KObj) {
    const n = p.spec?.nodeName;
    if (!n) return;
    let s = this.byNode.get(n);
    if (!s) this.byNode.set(n, (s = new Set()));
    s.add(objectKey(p));
  }

  private unindex(p: KObj) {
    const n = p.spec?.nodeName;
    const s = n ? this.byNode.get(n) : undefined;
    if (!s) return;
    s.delete(objectKey(p));
    if (!s.size) this.byNode.delete(n);
  }

  /** The cached pods bound to `node`. */
  on(node: string): KObj[] {
    const out: KObj[] = [];
    for (const k of this.byNode.get(node) ?? []) {
      const p = this.informer.store.get(k);
      if (p) out.push(p);
    }
    return out;
  }

  /** Names of nodes that have pods bound. */
  nodes(): string[] {
    return [...this.byNode.keys()];
  }
}
