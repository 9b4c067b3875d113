/**
 * @module api/resources/groups/networking
 * networking.k8s.io/v1 Ingresses, IngressClasses and NetworkPolicies: validation of
 * rules, paths and backends with upstream's messages, NetworkPolicy policyTypes and
 * port defaults, and their tables (HOSTS, ADDRESS, PORTS "80, 443"...).
 */
import { field } from "../../errors.ts";
import type { Obj, ResourceDef } from "../../registry/types.ts";
import { isDNS1035Label, isDNS1123Subdomain } from "../../validation/meta.ts";
import { asArray, enumValue, idx, isIP, isObj, portNumErrors, validatePortNumOrName, type Causes } from "../common/causes.ts";
import { ageCell, ageCol, col, nameCol } from "../common/columns.ts";
import { formatLabelSelector, validateLabelSelector } from "../common/label-selector.ts";

function validateBackend(b: unknown, path: string): Causes {
  if (!isObj(b)) return [field.required(path, "one of `service` or `resource` must be specified")];
  const out: Causes = [];
  const hasSvc = isObj(b.service);
  const hasRes = isObj(b.resource);
  if (hasSvc && hasRes) return [field.invalid(path, "", "cannot set both resource and service backends")];
  if (!hasSvc && !hasRes) return [field.required(path, "one of `service` or `resource` must be specified")];
  if (hasSvc) {
    const s = b.service;
    if (!s.name) out.push(field.required(`${path}.service.name`, ""));
    else for (const m of isDNS1035Label(String(s.name))) out.push(field.invalid(`${path}.service.name`, s.name, m));
    const port = isObj(s.port) ? s.port : {};
    const hasName = Boolean(port.name);
    const hasNum = port.number !== undefined && port.number !== null && port.number !== 0;
    if (hasName && hasNum) out.push(field.invalid(`${path}.service.port`, port, "cannot set both port name & port number"));
    else if (hasName) out.push(...validatePortNumOrName(port.name, `${path}.service.port.name`));
    else if (hasNum) for (const m of portNumErrors(port.number)) out.push(field.invalid(`${path}.service.port.number`, port.number, m));
    else out.push(field.required(`${path}.service.port`, "port name or number is required"));
  } else {
    const r = b.resource;
    if (!r.kind) out.push(field.required(`${path}.resource.kind`, ""));
    if (!r.name) out.push(field.required(`${path}.resource.name`, ""));
  }
  return out;
}

function validateHost(host: string, path: string, wildcardOk: boolean): Causes {
  if (isIP(host)) return [field.invalid(path, host, "must be a DNS name, not an IP address")];
  const h = wildcardOk && host.startsWith("*.") ? host.slice(2) : host;
  return isDNS1123Subdomain(h).map((m) => field.invalid(path, host, m));
}

export function validateIngress(ing: Obj): Causes {
  const spec = isObj(ing.spec) ? ing.spec : {};
  const out: Causes = [];
  const rules = asArray(spec.rules);
  if (rules.length === 0 && !isObj(spec.defaultBackend)) out.push(field.invalid("spec", spec.rules ?? null, "either `defaultBackend` or `rules` must be specified"));
  if (isObj(spec.defaultBackend)) out.push(...validateBackend(spec.defaultBackend, "spec.defaultBackend"));
  rules.forEach((r, i) => {
    const p = idx("spec.rules", i);
    if (r?.host) out.push(...validateHost(String(r.host), `${p}.host`, true));
    if (!isObj(r?.http)) return;
    const paths = asArray(r.http.paths);
    if (paths.length === 0) out.push(field.required(`${p}.http.paths`, ""));
    paths.forEach((hp, j) => {
      const pp = idx(`${p}.http.paths`, j);
      if (!hp?.pathType) out.push(field.required(`${pp}.pathType`, "pathType must be specified"));
      else out.push(...enumValue(hp.pathType, `${pp}.pathType`, ["Exact", "ImplementationSpecific", "Prefix"]));
      if ((hp?.pathType === "Exact" || hp?.pathType === "Prefix") && !String(hp?.path ?? "").startsWith("/")) out.push(field.invalid(`${pp}.path`, hp?.path ?? "", "must be an absolute path"));
      if (hp?.pathType === "ImplementationSpecific" && hp?.path && !String(hp.path).startsWith("/")) out.push(field.invalid(`${pp}.path`, hp.path, "must be an absolute path"));
      out.push(...validateBackend(hp?.backend, `${pp}.backend`));
    });
  });
  asArray(spec.tls).forEach((t, i) => {
    asArray<string>(t?.hosts).forEach((h, j) => out.push(...validateHost(h, idx(`${idx("spec.tls", i)}.hosts`, j), true)));
  });
  if (spec.ingressClassName) for (const m of isDNS1123Subdomain(String(spec.ingressClassName))) out.push(field.invalid("spec.ingressClassName", spec.ingressClassName, m));
  return out;
}

function formatHosts(rules: unknown): string {
  const list: string[] = [];
  const rs = asArray(rules);
  let more = false;
  for (const r of rs) {
    if (list.length === 3) more = true;
    if (!more && r?.host) list.push(r.host);
  }
  if (list.length === 0) return "*";
  return more ? `${list.join(",")} + ${rs.length - 3} more...` : list.join(",");
}

function lbAddresses(ing: Obj): string {
  const set = new Set<string>();
  for (const i of asArray(ing.status?.loadBalancer?.ingress)) {
    if (i?.ip) set.add(i.ip);
    else if (i?.hostname) set.add(i.hostname);
  }
  return [...set].sort().join(",");
}

export function ingressDef(): ResourceDef {
  return {
    group: "networking.k8s.io",
    version: "v1",
    kind: "Ingress",
    plural: "ingresses",
    singular: "ingress",
    shortNames: ["ing"],
    namespaced: true,
    statusSubresource: true,
    generation: true,
    prepareForCreate(ing: Obj) {
      ing.status = { loadBalancer: {} };
    },
    validate: validateIngress,
    columns: [
      nameCol,
      col("Class", "string", "The name of the IngressClass resource that should be used for additional configuration"),
      col("Hosts", "string", "Hosts that incoming requests are matched against before the ingress rule"),
      col("Address", "string", "Address is a list containing ingress points for the load-balancer"),
      col("Ports", "string", "Ports of TLS configurations that open"),
      ageCol,
    ],
    cells: (ing: Obj, now: number) => [ing.metadata?.name, ing.spec?.ingressClassName ?? "<none>", formatHosts(ing.spec?.rules), lbAddresses(ing), asArray(ing.spec?.tls).length ? "80, 443" : "80", ageCell(ing, now)],
  };
}

export function ingressClassDef(): ResourceDef {
  return {
    group: "networking.k8s.io",
    version: "v1",
    kind: "IngressClass",
    plural: "ingressclasses",
    singular: "ingressclass",
    namespaced: false,
    validate(ic: Obj) {
      const out: Causes = [];
      const controller = ic.spec?.controller;
      if (!controller) out.push(field.required("spec.controller", ""));
      else if (String(controller).length > 250) out.push(field.invalid("spec.controller", controller, "must be no more than 250 characters"));
      return out;
    },
    validateUpdate: (ic: Obj, old: Obj) => (ic.spec?.controller === old.spec?.controller ? [] : [field.invalid("spec.controller", ic.spec?.controller, "field is immutable")]),
    columns: [nameCol, col("Controller", "string", "Controller that is responsible for handling this class"), col("Parameters", "string", "A reference to a resource with additional parameters"), ageCol],
    cells(ic: Obj, now: number) {
      const p = ic.spec?.parameters;
      const params = isObj(p) ? `${p.kind}${p.apiGroup ? `.${p.apiGroup}` : ""}/${p.name}` : "<none>";
      return [ic.metadata?.name, ic.spec?.controller ?? "", params, ageCell(ic, now)];
    },
  };
}

export function networkPolicyDef(): ResourceDef {
  return {
    group: "networking.k8s.io",
    version: "v1",
    kind: "NetworkPolicy",
    plural: "networkpolicies",
    singular: "networkpolicy",
    shortNames: ["netpol"],
    namespaced: true,
    generation: true,
    defaults(np: Obj) {
      const spec = isObj(np.spec) ? np.spec : (np.spec = {});
      for (const dir of ["ingress", "egress"]) for (const rule of asArray(spec[dir])) for (const port of asArray(rule?.ports)) if (isObj(port) && !port.protocol) port.protocol = "TCP";
      if (!asArray(spec.policyTypes).length) spec.policyTypes = asArray(spec.egress).length ? ["Ingress", "Egress"] : ["Ingress"];
    },
    validate(np: Obj) {
      const spec = isObj(np.spec) ? np.spec : {};
      const out: Causes = [...validateLabelSelector(spec.podSelector, "spec.podSelector")];
      asArray<string>(spec.policyTypes).forEach((t, i) => out.push(...enumValue(t, idx("spec.policyTypes", i), ["Egress", "Ingress"])));
      for (const dir of ["ingress", "egress"]) {
        asArray(spec[dir]).forEach((rule, i) => {
          const rp = idx(`spec.${dir}`, i);
          asArray(rule?.ports).forEach((port, j) => {
            const pp = idx(`${rp}.ports`, j);
            out.push(...enumValue(port?.protocol, `${pp}.protocol`, ["SCTP", "TCP", "UDP"], false));
            if (port?.port !== undefined && port?.port !== null) out.push(...validatePortNumOrName(port.port, `${pp}.port`));
          });
          const peers = asArray(rule?.[dir === "ingress" ? "from" : "to"]);
          peers.forEach((peer, j) => {
            const peerPath = idx(`${rp}.${dir === "ingress" ? "from" : "to"}`, j);
            const n = ["podSelector", "namespaceSelector", "ipBlock"].filter((k) => peer?.[k] !== undefined && peer?.[k] !== null).length;
            if (n === 0) out.push(field.required(peerPath, "must specify a peer"));
            if (isObj(peer?.ipBlock) && (peer.podSelector || peer.namespaceSelector)) out.push(field.forbidden(peerPath, "may not specify both ipBlock and another peer"));
            out.push(...validateLabelSelector(peer?.podSelector, `${peerPath}.podSelector`), ...validateLabelSelector(peer?.namespaceSelector, `${peerPath}.namespaceSelector`));
          });
        });
      }
      return out;
    },
    columns: [nameCol, col("Pod-Selector", "string", "podSelector selects the pods to which this NetworkPolicy object applies."), ageCol],
    cells: (np: Obj, now: number) => [np.metadata?.name, formatLabelSelector(np.spec?.podSelector), ageCell(np, now)],
  };
}
