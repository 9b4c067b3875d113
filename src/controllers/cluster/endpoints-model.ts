/**
 * @module controllers/cluster/endpoints-model
 * Pure functions that turn a Service and its selected pods into what the endpoints and
 * endpointslice controllers write: which pods count (running, with an IP, not terminal),
 * whether they are ready, which port each service port reaches on each pod (number,
 * or a named container port), and the repacked Endpoints subsets.
 */
import type { KObj } from "../../client/client.ts";

export type Family = "IPv4" | "IPv6";

export function isPodReady(pod: KObj): boolean {
  return ((pod.status?.conditions ?? []) as KObj[]).some((c) => c.type === "Ready" && c.status === "True");
}

export function isTerminal(pod: KObj): boolean {
  const p = pod.status?.phase;
  return p === "Succeeded" || p === "Failed";
}

/** upstream endpointutil.ShouldPodBeInEndpoints. */
export function shouldPodBeInEndpoints(pod: KObj, includeTerminating: boolean): boolean {
  if (isTerminal(pod)) return false;
  if (!pod.status?.podIP && !(pod.status?.podIPs ?? []).length) return false;
  if (!includeTerminating && pod.metadata?.deletionTimestamp) return false;
  return true;
}

export function familyOf(ip: string): Family {
  return ip.includes(":") ? "IPv6" : "IPv4";
}

/** The pod's IP of one family (status.podIPs, else status.podIP). */
export function podIPOf(pod: KObj, family: Family): string | undefined {
  const ips: string[] = ((pod.status?.podIPs ?? []) as KObj[]).map((p) => p.ip).filter(Boolean);
  if (!ips.length && pod.status?.podIP) ips.push(pod.status.podIP);
  return ips.find((ip) => familyOf(ip) === family);
}

/** The families the service serves (spec.ipFamilies, else from clusterIP, else IPv4). */
export function serviceFamilies(svc: KObj): Family[] {
  const f = (svc.spec?.ipFamilies ?? []) as Family[];
  if (f.length) return f;
  const ip = svc.spec?.clusterIP;
  if (ip && ip !== "None") return [familyOf(ip)];
  return ["IPv4"];
}

/**
 * The port number a service port reaches on a pod (upstream podutil.FindPort): an integer
 * targetPort as is, a named one looked up among the containers' ports with the same
 * protocol; null when the pod has no such named port.
 */
export function findPort(pod: KObj, svcPort: KObj): number | null {
  const target = svcPort.targetPort ?? svcPort.port;
  if (typeof target === "number") return target;
  if (typeof target === "string" && /^\d+$/.test(target)) return Number(target);
  const protocol = svcPort.protocol ?? "TCP";
  for (const c of [...((pod.spec?.containers ?? []) as KObj[]), ...((pod.spec?.initContainers ?? []) as KObj[]).filter((c) => c.restartPolicy === "Always")]) {
    for (const p of (c.ports ?? []) as KObj[]) {
      if (p.name === target && (p.protocol ?? "TCP") === protocol) return p.containerPort;
    }
  }
  return null;
}

export interface EndpointPort {
  name?: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}

/** The endpoint ports of a pod for a service: one per service port the pod resolves. */
export function podEndpointPorts(pod: KObj, svc: KObj): EndpointPort[] {
  const out: EndpointPort[] = [];
  for (const sp of (svc.spec?.ports ?? []) as KObj[]) {
    const port = findPort(pod, sp);
    if (port === null) continue;
    const ep: EndpointPort = { port, protocol: sp.protocol ?? "TCP" };
    if (sp.name) ep.name = sp.name;
    if (sp.appProtocol) ep.appProtocol = sp.appProtocol;
    out.push(ep);
  }
  return out;
}

export function portsKey(ports: EndpointPort[]): string {
  return JSON.stringify(sortPorts(ports).map((p) => [p.name ?? "", p.port, p.protocol, p.appProtocol ?? ""]));
}

export function sortPorts(ports: EndpointPort[]): EndpointPort[] {
  return [...ports].sort((a, b) => (a.name ?? "").localeCompare(b.name ?? "") || a.port - b.port || a.protocol.localeCompare(b.protocol));
}

export function targetRef(pod: KObj): KObj {
  return { kind: "Pod", namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid };
}

/** The hostname a pod gets in the service's DNS (spec.hostname when spec.subdomain is the service). */
export function endpointHostname(pod: KObj, svc: KObj): string | undefined {
  const h = pod.spec?.hostname;
  if (h && pod.spec?.subdomain === svc.metadata.name && pod.metadata.namespace === svc.metadata.namespace) return h;
  return undefined;
}

export function isHeadless(svc: KObj): boolean {
  return svc.spec?.clusterIP === "None";
}

/** Services whose endpoints these controllers manage: a non-empty selector, not ExternalName. */
export function managesEndpoints(svc: KObj): boolean {
  if (svc.spec?.type === "ExternalName") return false;
  const sel = svc.spec?.selector;
  if (!sel || Object.keys(sel).length === 0) return false;
  if (svc.metadata?.namespace === "default" && svc.metadata?.name === "kubernetes") return false;
  return true;
}

function ipCompare(a: string, b: string): number {
  if (familyOf(a) === "IPv4" && familyOf(b) === "IPv4") {
    const pa = a.split(".").map(Number);
    const pb = b.split(".").map(Number);
    for (let i = 0; i < 4; i++) if (pa[i] !== pb[i]) return pa[i]! - pb[i]!;
    return 0;
  }
  return a.localeCompare(b);
}

/**
 * The Endpoints subsets for a service (upstream endpoints controller + RepackSubsets):
 * pods are grouped by the set of ports they resolve; ready pods (or all with
 * publishNotReadyAddresses) go to addresses, others to notReadyAddresses.
 */
export function endpointsSubsets(svc: KObj, pods: KObj[]): KObj[] {
  const family = serviceFamilies(svc)[0]!;
  const publishNotReady = svc.spec?.publishNotReadyAddresses === true;
  const groups = new Map<string, { ports: EndpointPort[]; ready: KObj[]; notReady: KObj[] }>();
  const headlessNoPorts = isHeadless(svc) && !((svc.spec?.ports ?? []) as KObj[]).length;
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, false)) continue;
    const ip = podIPOf(pod, family);
    if (!ip) continue;
    const ports = podEndpointPorts(pod, svc);
    if (!ports.length && !headlessNoPorts) continue;
    const addr: KObj = { ip };
    const hn = endpointHostname(pod, svc);
    if (hn) addr.hostname = hn;
    if (pod.spec?.nodeName) addr.nodeName = pod.spec.nodeName;
    addr.targetRef = targetRef(pod);
    const key = portsKey(ports);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports: sortPorts(ports), ready: [], notReady: [] }));
    if (publishNotReady || isPodReady(pod)) g.ready.push(addr);
    else g.notReady.push(addr);
  }
  const subsets: KObj[] = [];
  for (const key of [...groups.keys()].sort()) {
    const g = groups.get(key)!;
    const ss: KObj = {};
    if (g.ready.length) ss.addresses = g.ready.sort((a, b) => ipCompare(a.ip, b.ip));
    if (g.notReady.length) ss.notReadyAddresses = g.notReady.sort((a, b) => ipCompare(a.ip, b.ip));
    if (g.ports.length) ss.ports = g.ports.map((p) => ({ ...p }));
    subsets.push(ss);
  }
  return subsets;
}

/** One EndpointSlice endpoint (discovery.k8s.io/v1) for a pod, or null if it has no IP of the family. */
export function sliceEndpoint(pod: KObj, svc: KObj, family: Family): KObj | null {
  const ip = podIPOf(pod, family);
  if (!ip) return null;
  const terminating = Boolean(pod.metadata?.deletionTimestamp);
  const serving = svc.spec?.publishNotReadyAddresses === true || isPodReady(pod);
  const ep: KObj = {
    addresses: [ip],
    conditions: { ready: serving && !terminating, serving, terminating },
  };
  const hn = endpointHostname(pod, svc);
  if (hn) ep.hostname = hn;
  if (pod.spec?.nodeName) ep.nodeName = pod.spec.nodeName;
  ep.targetRef = targetRef(pod);
  return ep;
}

export interface SliceGroup {
  family: Family;
  ports: EndpointPort[];
  endpoints: KObj[];
}

/**
 * The desired content of a service's EndpointSlices: per address family and set of
 * resolved ports, the endpoints sorted by address (terminating pods included, with their
 * conditions). A family without endpoints yields one empty group (upstream's placeholder).
 */
export function sliceGroups(svc: KObj, pods: KObj[]): SliceGroup[] {
  const out: SliceGroup[] = [];
  const headlessNoPorts = isHeadless(svc) && !((svc.spec?.ports ?? []) as KObj[]).length;
  for (const family of serviceFamilies(svc)) {
    const groups = new Map<string, SliceGroup>();
    for (const pod of pods) {
      if (!shouldPodBeInEndpoints(pod, true)) continue;
      const ep = sliceEndpoint(pod, svc, family);
      if (!ep) continue;
      const ports = podEndpointPorts(pod, svc);
      if (!ports.length && !headlessNoPorts) continue;
      const key = portsKey(ports);
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { family, ports: sortPorts(ports), endpoints: [] }));
      g.endpoints.push(ep);
    }
    if (!groups.size) out.push({ family, ports: [], endpoints: [] });
    for (const key of [...groups.keys()].sort()) {
      const g = groups.get(key)!;
      g.endpoints.sort((a, b) => ipCompare(a.addresses[0], b.addresses[0]));
      out.push(g);
    }
  }
  return out;
}
