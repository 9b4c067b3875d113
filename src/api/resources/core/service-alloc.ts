/**
 * @module api/resources/core/service-alloc
 * ClusterIP and NodePort allocation for Services from the service CIDR and the NodePort
 * range, choosing at random (preferring the upper band like upstream's allocators, so
 * the low "static" band stays free for hand-picked IPs and ports) while avoiding values
 * already used by stored Services. Errors carry upstream's wording.
 */
import { errors, field, type StatusCause } from "../../errors.ts";
import type { Obj, RegistryAccess } from "../../registry/types.ts";
import { asArray, isIPv4, isObj } from "../common/causes.ts";

export const DEFAULT_SERVICE_CIDR = "10.43.0.0/16";
export const NODE_PORT_MIN = 30000;
export const NODE_PORT_MAX = 32767;

export interface Cidr {
  text: string;
  base: number;
  size: number;
}

export function parseCidr(text: string): Cidr {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(text);
  if (!m || !isIPv4(m[1]!) || Number(m[2]) > 30 || Number(m[2]) < 8) throw new Error(`invalid IPv4 service CIDR ${JSON.stringify(text)} (want a.b.c.d/8../30)`);
  const bits = Number(m[2]);
  const size = 2 ** (32 - bits);
  const base = Math.floor(ipToInt(m[1]!) / size) * size;
  return { text: `${intToIp(base)}/${bits}`, base, size };
}

export function ipToInt(ip: string): number {
  return ip.split(".").reduce((a, p) => a * 256 + Number(p), 0);
}
export function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}
export function cidrContains(c: Cidr, ip: string): boolean {
  if (!isIPv4(ip)) return false;
  const n = ipToInt(ip);
  return n > c.base && n < c.base + c.size - 1;
}

/** The n-th address of the range (the apiserver's own service is the first, 10.43.0.1). */
export function nthIP(c: Cidr, n: number): string {
  return intToIp(c.base + n);
}

/** Pick a free value in [lo, hi] at random, preferring [bandStart, hi]; undefined when full. */
function pick(lo: number, hi: number, bandStart: number, used: (v: number) => boolean, random: () => number): number | undefined {
  for (const [a, b] of [[bandStart, hi], [lo, bandStart - 1]] as const) {
    if (b < a) continue;
    const span = b - a + 1;
    const start = Math.floor(random() * span);
    for (let i = 0; i < span; i++) {
      const v = a + ((start + i) % span);
      if (!used(v)) return v;
    }
  }
  return undefined;
}

export function usedServiceValues(services: Obj[], exclude?: { namespace?: string; name?: string }) {
  const ips = new Set<string>();
  const ports = new Set<number>();
  for (const s of services) {
    if (exclude && s.metadata?.namespace === exclude.namespace && s.metadata?.name === exclude.name) continue;
    const spec = isObj(s.spec) ? s.spec : {};
    for (const ip of [spec.clusterIP, ...asArray<string>(spec.clusterIPs)]) if (typeof ip === "string" && ip && ip !== "None") ips.add(ip);
    for (const p of asArray(spec.ports)) if (typeof p?.nodePort === "number" && p.nodePort > 0) ports.add(p.nodePort);
    if (typeof spec.healthCheckNodePort === "number" && spec.healthCheckNodePort > 0) ports.add(spec.healthCheckNodePort);
  }
  return { ips, ports };
}

export function needsClusterIP(spec: Obj): boolean {
  return spec.type !== "ExternalName";
}
export function needsNodePorts(spec: Obj): boolean {
  return spec.type === "NodePort" || (spec.type === "LoadBalancer" && spec.allocateLoadBalancerNodePorts !== false);
}
export function needsHealthCheckNodePort(spec: Obj): boolean {
  return spec.type === "LoadBalancer" && spec.externalTrafficPolicy === "Local";
}

export interface Allocator {
  cidr: Cidr;
  random?: () => number;
}

/**
 * Fill clusterIP(s), ipFamilies, ipFamilyPolicy and node ports of a Service about to be
 * written. `old` is the stored Service on update (its values are kept, not re-checked).
 * Throws 422 Invalid with upstream's messages for taken or out-of-range values.
 */
export async function allocateService(svc: Obj, old: Obj | undefined, registry: RegistryAccess, alloc: Allocator): Promise<void> {
  const spec = svc.spec as Obj;
  const random = alloc.random ?? Math.random;
  const name = svc.metadata?.name ?? "";
  const causes: StatusCause[] = [];
  const all = await registry.list("", "services");
  const used = usedServiceValues(all, { namespace: svc.metadata?.namespace, name: old ? name : undefined });
  const oldSpec = isObj(old?.spec) ? old.spec : {};

  if (needsClusterIP(spec)) {
    if (!spec.clusterIP && asArray(spec.clusterIPs).length) spec.clusterIP = spec.clusterIPs[0];
    if (!spec.clusterIP) {
      const base = alloc.cidr.base;
      const size = alloc.cidr.size;
      const band = Math.min(Math.max(16, Math.floor(size / 16)), 256);
      const n = pick(1, size - 2, Math.min(band, size - 2), (v) => used.ips.has(intToIp(base + v)), random);
      if (n === undefined) throw errors.invalid("Service", "", name, [field.invalid("spec.clusterIPs", [], `failed to allocate a serviceIP: range is full`)]);
      spec.clusterIP = intToIp(base + n);
    } else if (spec.clusterIP !== "None" && spec.clusterIP !== oldSpec.clusterIP) {
      const ip: string = spec.clusterIP;
      if (!cidrContains(alloc.cidr, ip)) {
        causes.push(field.invalid("spec.clusterIPs", [ip], `failed to allocate IP ${ip}: the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${alloc.cidr.text}`));
      } else if (used.ips.has(ip)) {
        causes.push(field.invalid("spec.clusterIPs", [ip], `failed to allocate IP ${ip}: provided IP is already allocated`));
      }
    }
    spec.clusterIPs = [spec.clusterIP];
    if (!asArray(spec.ipFamilies).length) spec.ipFamilies = ["IPv4"];
    if (!spec.ipFamilyPolicy) spec.ipFamilyPolicy = "SingleStack";
  } else {
    delete spec.clusterIPs;
    if (!spec.clusterIP) delete spec.clusterIP;
  }

  const taken = new Set(used.ports);
  const oldPorts = new Set<number>(asArray(oldSpec.ports).map((p) => p?.nodePort).filter((v): v is number => typeof v === "number"));
  if (typeof oldSpec.healthCheckNodePort === "number") oldPorts.add(oldSpec.healthCheckNodePort);
  const claim = (port: number, path: string) => {
    if (oldPorts.has(port)) {
      taken.add(port);
      return;
    }
    if (port < NODE_PORT_MIN || port > NODE_PORT_MAX) {
      causes.push(field.invalid(path, port, `provided port is not in the valid range. The range of valid ports is ${NODE_PORT_MIN}-${NODE_PORT_MAX}`));
    } else if (taken.has(port)) causes.push(field.invalid(path, port, "provided port is already allocated"));
    taken.add(port);
  };
  const fresh = (path: string): number | undefined => {
    const band = NODE_PORT_MIN + Math.min(Math.max(16, Math.floor((NODE_PORT_MAX - NODE_PORT_MIN + 1) / 16)), 128);
    const p = pick(NODE_PORT_MIN, NODE_PORT_MAX, band, (v) => taken.has(v), random);
    if (p === undefined) causes.push(field.invalid(path, 0, "failed to allocate a nodePort: range is full"));
    else taken.add(p);
    return p;
  };
  if (needsNodePorts(spec)) {
    // Same port number on TCP and UDP shares one node port, as upstream does.
    const byNumber = new Map<number, number>();
    asArray(spec.ports).forEach((p, i) => {
      if (typeof p?.nodePort === "number" && p.nodePort > 0) claim(p.nodePort, `spec.ports[${i}].nodePort`);
    });
    asArray(spec.ports).forEach((p, i) => {
      if (!isObj(p) || (typeof p.nodePort === "number" && p.nodePort > 0)) return;
      const shared = byNumber.get(p.port);
      const v = shared ?? fresh(`spec.ports[${i}].nodePort`);
      if (v !== undefined) {
        p.nodePort = v;
        byNumber.set(p.port, v);
      }
    });
  }
  if (needsHealthCheckNodePort(spec)) {
    if (typeof spec.healthCheckNodePort === "number" && spec.healthCheckNodePort > 0) claim(spec.healthCheckNodePort, "spec.healthCheckNodePort");
    else {
      const v = fresh("spec.healthCheckNodePort");
      if (v !== undefined) spec.healthCheckNodePort = v;
    }
  }
  if (causes.length) throw errors.invalid("Service", "", name, causes);
}

/** patchAllocatedValues: an update that omits allocated values keeps the old ones. */
export function keepAllocatedValues(spec: Obj, oldSpec: Obj) {
  if (needsClusterIP(oldSpec) && needsClusterIP(spec)) {
    if (!spec.clusterIP && oldSpec.clusterIP) spec.clusterIP = oldSpec.clusterIP;
    if (!asArray(spec.clusterIPs).length && asArray(oldSpec.clusterIPs).length) spec.clusterIPs = [...oldSpec.clusterIPs];
    if (!asArray(spec.ipFamilies).length && asArray(oldSpec.ipFamilies).length) spec.ipFamilies = [...oldSpec.ipFamilies];
    if (!spec.ipFamilyPolicy && oldSpec.ipFamilyPolicy) spec.ipFamilyPolicy = oldSpec.ipFamilyPolicy;
  }
  if (needsNodePorts(oldSpec) && needsNodePorts(spec)) {
    const newUsed = new Set(asArray(spec.ports).map((p) => p?.nodePort).filter(Boolean));
    const byName = new Map<string, number>();
    for (const p of asArray(oldSpec.ports)) byName.set(p?.name ?? "", p?.nodePort);
    for (const p of asArray(spec.ports)) {
      if (!isObj(p) || (p.nodePort ?? 0) !== 0) continue;
      const v = byName.get(p.name ?? "");
      if (v && !newUsed.has(v)) {
        p.nodePort = v;
        newUsed.add(v);
      }
    }
  }
  if (needsHealthCheckNodePort(oldSpec) && needsHealthCheckNodePort(spec) && !spec.healthCheckNodePort && oldSpec.healthCheckNodePort) {
    spec.healthCheckNodePort = oldSpec.healthCheckNodePort;
  }
}
