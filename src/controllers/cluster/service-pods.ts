/**
 * @module controllers/cluster/service-pods
 * Which pods a Service selects and which Services select a pod, over the shared informer
 * caches (with the parsed selectors cached per service revision). Used by the endpoints
 * and endpointslice controllers.
 */
import type { KObj } from "../../client/client.ts";
import type { Informer } from "../../client/informer.ts";
import { objectKey } from "../../client/informer.ts";
import { selectorFromSet, type LabelSelector } from "../../api/selectors/labels.ts";

export class ServicePods {
  private selectors = new Map<string, { rv: string; sel: LabelSelector }>();

  constructor(
    readonly services: Informer,
    readonly pods: Informer,
  ) {}

  selectorOf(svc: KObj): LabelSelector {
    const key = objectKey(svc);
    const rv = svc.metadata?.resourceVersion ?? "";
    const c = this.selectors.get(key);
    if (c && c.rv === rv) return c.sel;
    const sel = selectorFromSet(svc.spec?.selector);
    this.selectors.set(key, { rv, sel });
    return sel;
  }

  podsFor(svc: KObj): KObj[] {
    const ns = svc.metadata.namespace;
    const sel = this.selectorOf(svc);
    return this.pods.list((p) => p.metadata.namespace === ns && sel.matches(p.metadata.labels));
  }

  /** Keys of the services (with a selector) in the pod's namespace that select any of these label sets. */
  servicesFor(namespace: string, ...labelSets: (Record<string, string> | undefined)[]): string[] {
    const out: string[] = [];
    for (const svc of this.services.list((s) => s.metadata.namespace === namespace)) {
      if (!svc.spec?.selector || !Object.keys(svc.spec.selector).length) continue;
      const sel = this.selectorOf(svc);
      if (labelSets.some((l) => sel.matches(l))) out.push(objectKey(svc));
    }
    return out;
  }

  forget(key: string) {
    this.selectors.delete(key);
  }
}

/** Whether a pod change can matter to endpoints (labels, IPs, readiness, phase, deletion, ports, hostname). */
export function podEndpointRelevantChange(a: KObj, b: KObj): boolean {
  const pick = (p: KObj) =>
    JSON.stringify([
      p.metadata?.labels,
      p.metadata?.deletionTimestamp,
      p.status?.podIP,
      p.status?.podIPs,
      p.status?.phase,
      ((p.status?.conditions ?? []) as KObj[]).find((c) => c.type === "Ready")?.status,
      p.spec?.nodeName,
      p.spec?.hostname,
      p.spec?.subdomain,
      ((p.spec?.containers ?? []) as KObj[]).map((c) => c.ports),
    ]);
  return pick(a) !== pick(b);
}
