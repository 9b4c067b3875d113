/**
 * @module api/resources/core/services
 * The Service kind: SetDefaults_Service, ClusterIP/NodePort allocation on create
 * (service-alloc.ts), keeping allocated values across updates, validation of type,
 * ports, selector and IPs (clusterIP immutable), and the `kubectl get svc` table.
 */
import { field } from "../../errors.ts";
import type { Obj, OpContext, RegistryAccess, ResourceDef } from "../../registry/types.ts";
import { isDNS1123Label, isDNS1123Subdomain, validateLabels } from "../../validation/meta.ts";
import { asArray, enumValue, idx, isIP, isObj, IP_MESSAGE, portNumErrors, validatePortNumOrName, type Causes } from "../common/causes.ts";
import { ageCell, col, nameCol, CREATED_DESC } from "../common/columns.ts";
import { formatLabels } from "../common/label-selector.ts";
import { allocateService, keepAllocatedValues, needsClusterIP, parseCidr, DEFAULT_SERVICE_CIDR } from "./service-alloc.ts";

function unset(v: unknown) {
  return v === undefined || v === null || v === "";
}

function externallyAccessible(spec: Obj): boolean {
  return spec.type === "LoadBalancer" || spec.type === "NodePort" || (spec.type === "ClusterIP" && asArray(spec.externalIPs).length > 0);
}

export function defaultService(svc: Obj) {
  const spec = isObj(svc.spec) ? svc.spec : (svc.spec = {});
  if (unset(spec.sessionAffinity)) spec.sessionAffinity = "None";
  if (spec.sessionAffinity === "None") delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === "ClientIP") {
    const cfg = isObj(spec.sessionAffinityConfig) ? spec.sessionAffinityConfig : (spec.sessionAffinityConfig = {});
    const cip = isObj(cfg.clientIP) ? cfg.clientIP : (cfg.clientIP = {});
    if (unset(cip.timeoutSeconds)) cip.timeoutSeconds = 10800;
  }
  if (unset(spec.type)) spec.type = "ClusterIP";
  for (const p of asArray(spec.ports)) {
    if (!isObj(p)) continue;
    if (unset(p.protocol)) p.protocol = "TCP";
    if (p.targetPort === undefined || p.targetPort === null || p.targetPort === 0 || p.targetPort === "") p.targetPort = p.port;
  }
  if (externallyAccessible(spec) && unset(spec.externalTrafficPolicy)) spec.externalTrafficPolicy = "Cluster";
  if (unset(spec.internalTrafficPolicy) && ["NodePort", "LoadBalancer", "ClusterIP"].includes(spec.type)) spec.internalTrafficPolicy = "Cluster";
  if (spec.type === "LoadBalancer" && (spec.allocateLoadBalancerNodePorts === undefined || spec.allocateLoadBalancerNodePorts === null)) spec.allocateLoadBalancerNodePorts = true;
}

export function validateService(svc: Obj): Causes {
  const spec = isObj(svc.spec) ? svc.spec : {};
  const out: Causes = [];
  out.push(...enumValue(spec.type, "spec.type", ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]));
  const headless = spec.clusterIP === "None";
  const ports = asArray(spec.ports);
  if (ports.length === 0 && !headless && spec.type !== "ExternalName") out.push(field.required("spec.ports", ""));
  const names = new Set<string>();
  const keys = new Set<string>();
  const nodePorts = new Set<string>();
  ports.forEach((p, i) => {
    const pp = idx("spec.ports", i);
    if (!isObj(p)) return out.push(field.invalid(pp, p, "must be an object"));
    if (ports.length > 1 && !p.name) out.push(field.required(`${pp}.name`, ""));
    else if (p.name) {
      for (const m of isDNS1123Label(String(p.name))) out.push(field.invalid(`${pp}.name`, p.name, m));
      if (names.has(p.name)) out.push(field.duplicate(`${pp}.name`, p.name));
      names.add(p.name);
    }
    for (const m of portNumErrors(p.port)) out.push(field.invalid(`${pp}.port`, p.port, m));
    out.push(...enumValue(p.protocol, `${pp}.protocol`, ["SCTP", "TCP", "UDP"]));
    out.push(...validatePortNumOrName(p.targetPort, `${pp}.targetPort`));
    const k = `${p.port}/${p.protocol}`;
    if (keys.has(k)) out.push(field.duplicate(pp, { port: p.port, protocol: p.protocol }));
    keys.add(k);
    if (p.nodePort !== undefined && p.nodePort !== null && p.nodePort !== 0) {
      if (spec.type === "ClusterIP") out.push(field.forbidden(`${pp}.nodePort`, "may not be used when `type` is 'ClusterIP'"));
      else if (spec.type === "ExternalName") out.push(field.forbidden(`${pp}.nodePort`, "may not be used when `type` is 'ExternalName'"));
      else {
        for (const m of portNumErrors(p.nodePort)) out.push(field.invalid(`${pp}.nodePort`, p.nodePort, m));
        const nk = `${p.nodePort}/${p.protocol}`;
        if (nodePorts.has(nk)) out.push(field.duplicate(`${pp}.nodePort`, p.nodePort));
        nodePorts.add(nk);
      }
    }
  });
  out.push(...validateLabels(spec.selector, "spec.selector"));
  out.push(...enumValue(spec.sessionAffinity, "spec.sessionAffinity", ["ClientIP", "None"]));
  const timeout = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
  if (spec.sessionAffinity === "ClientIP" && !(Number.isInteger(timeout) && timeout > 0 && timeout <= 86400)) {
    out.push(field.invalid("spec.sessionAffinityConfig.clientIP.timeoutSeconds", timeout, "must be greater than 0 and less than 86400"));
  }
  if (spec.type === "ExternalName") {
    if (!spec.externalName) out.push(field.required("spec.externalName", ""));
    else for (const m of isDNS1123Subdomain(String(spec.externalName).replace(/\.$/, ""))) out.push(field.invalid("spec.externalName", spec.externalName, m));
    if (spec.clusterIP && spec.clusterIP !== "None") out.push(field.forbidden("spec.clusterIPs", "may not be set for ExternalName services"));
  }
  if (spec.clusterIP && spec.clusterIP !== "None" && !isIP(spec.clusterIP)) out.push(field.invalid("spec.clusterIPs[0]", spec.clusterIP, IP_MESSAGE));
  const cips = asArray<string>(spec.clusterIPs);
  if (cips.length && spec.clusterIP && cips[0] !== spec.clusterIP) out.push(field.invalid("spec.clusterIPs", cips, "first value must match `clusterIP`"));
  asArray<string>(spec.externalIPs).forEach((ip, i) => {
    if (!isIP(ip)) out.push(field.invalid(idx("spec.externalIPs", i), ip, IP_MESSAGE));
  });
  if (spec.externalTrafficPolicy !== undefined && spec.externalTrafficPolicy !== null && spec.externalTrafficPolicy !== "") {
    if (!externallyAccessible(spec)) out.push(field.invalid("spec.externalTrafficPolicy", spec.externalTrafficPolicy, "may only be set for externally-accessible services"));
    else out.push(...enumValue(spec.externalTrafficPolicy, "spec.externalTrafficPolicy", ["Cluster", "Local"]));
  }
  out.push(...enumValue(spec.internalTrafficPolicy, "spec.internalTrafficPolicy", ["Cluster", "Local"], false));
  out.push(...enumValue(spec.ipFamilyPolicy, "spec.ipFamilyPolicy", ["PreferDualStack", "RequireDualStack", "SingleStack"], false));
  asArray<string>(spec.ipFamilies).forEach((f, i) => out.push(...enumValue(f, idx("spec.ipFamilies", i), ["IPv4", "IPv6"])));
  if (asArray(spec.loadBalancerSourceRanges).length && spec.type !== "LoadBalancer") {
    out.push(field.forbidden("spec.loadBalancerSourceRanges", "may only be used when `type` is 'LoadBalancer'"));
  }
  return out;
}

export function validateServiceUpdate(svc: Obj, old: Obj): Causes {
  const spec = isObj(svc.spec) ? svc.spec : {};
  const oldSpec = isObj(old.spec) ? old.spec : {};
  const out: Causes = [];
  if (needsClusterIP(spec) && needsClusterIP(oldSpec)) {
    const a = asArray<string>(oldSpec.clusterIPs)[0] ?? oldSpec.clusterIP;
    const b = asArray<string>(spec.clusterIPs)[0] ?? spec.clusterIP;
    if (a && b && a !== b) out.push(field.invalid("spec.clusterIPs[0]", asArray(spec.clusterIPs).length ? spec.clusterIPs : [b], "may not change once set"));
    const fa = asArray<string>(oldSpec.ipFamilies)[0];
    const fb = asArray<string>(spec.ipFamilies)[0];
    if (fa && fb && fa !== fb) out.push(field.invalid("spec.ipFamilies[0]", fb, "may not change once set"));
  }
  return out;
}

// ---- table ------------------------------------------------------------------------------

function lbIngress(svc: Obj): string {
  const set = new Set<string>();
  for (const i of asArray(svc.status?.loadBalancer?.ingress)) {
    if (i?.ip) set.add(i.ip);
    else if (i?.hostname) set.add(i.hostname);
  }
  return [...set].sort().join(",");
}

export function serviceExternalIP(svc: Obj): string {
  const spec = isObj(svc.spec) ? svc.spec : {};
  const ext = asArray<string>(spec.externalIPs);
  switch (spec.type) {
    case "ClusterIP":
    case "NodePort":
      return ext.length ? ext.join(",") : "<none>";
    case "LoadBalancer": {
      const lb = lbIngress(svc);
      if (ext.length) return [...(lb ? lb.split(",") : []), ...ext].join(",");
      return lb || "<pending>";
    }
    case "ExternalName":
      return spec.externalName ?? "";
  }
  return "<unknown>";
}

/** makePortString: "80/TCP,443:30443/TCP". */
export function servicePorts(ports: unknown): string {
  return asArray(ports)
    .map((p) => (p?.nodePort > 0 ? `${p.port}:${p.nodePort}/${p.protocol}` : `${p?.port}/${p?.protocol}`))
    .join(",");
}

export const serviceColumns = [
  nameCol,
  col("Type", "string", "type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer."),
  col("Cluster-IP", "string", "clusterIP is the IP address of the service and is usually assigned randomly."),
  col("External-IP", "string", "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service."),
  col("Port(s)", "string", "The list of ports that are exposed by this service."),
  col("Age", "string", CREATED_DESC),
  col("Selector", "string", "Route service traffic to pods with label keys and values matching this selector.", 1),
];

export function serviceCells(svc: Obj, now: number): unknown[] {
  const spec = isObj(svc.spec) ? svc.spec : {};
  const ip = asArray<string>(spec.clusterIPs)[0] ?? "<none>";
  return [svc.metadata?.name, spec.type ?? "", ip, serviceExternalIP(svc), servicePorts(spec.ports) || "<none>", ageCell(svc, now), formatLabels(spec.selector)];
}

export function serviceDef(opts: { serviceCidr?: string; random?: () => number } = {}): ResourceDef {
  const cidr = parseCidr(opts.serviceCidr ?? DEFAULT_SERVICE_CIDR);
  return {
    group: "",
    version: "v1",
    kind: "Service",
    plural: "services",
    singular: "service",
    shortNames: ["svc"],
    categories: ["all"],
    namespaced: true,
    statusSubresource: true,
    generation: false,
    defaults: defaultService,
    async prepareForCreate(svc: Obj, _ctx: OpContext, registry: RegistryAccess) {
      svc.status = { loadBalancer: {} };
      await allocateService(svc, undefined, registry, { cidr, random: opts.random });
    },
    async prepareForUpdate(svc: Obj, old: Obj, _ctx: OpContext, registry?: RegistryAccess) {
      if (isObj(svc.spec) && isObj(old.spec)) keepAllocatedValues(svc.spec, old.spec);
      // Switching to NodePort/LoadBalancer or adding ports allocates what is missing.
      if (registry) await allocateService(svc, old, registry, { cidr, random: opts.random });
    },
    validate: validateService,
    validateUpdate: validateServiceUpdate,
    columns: serviceColumns,
    cells: serviceCells,
    selectableFields: (svc: Obj) => ({ "spec.clusterIP": svc.spec?.clusterIP ?? "", "spec.type": svc.spec?.type ?? "" }),
  };
}
