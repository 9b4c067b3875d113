/**
 * @module api/resources/groups/endpointslices
 * discovery.k8s.io/v1 EndpointSlices: addressType required (and immutable), endpoint
 * addresses checked per address type, ports, and the ADDRESSTYPE/PORTS/ENDPOINTS table.
 */
import { field } from "../../errors.ts";
import type { Obj, ResourceDef } from "../../registry/types.ts";
import { isDNS1123Label, isDNS1123Subdomain } from "../../validation/meta.ts";
import { asArray, cause, enumValue, idx, isIPv4, isIPv6, isObj, portNumErrors, type Causes } from "../common/causes.ts";
import { ageCell, ageCol, col, nameCol } from "../common/columns.ts";

const ADDRESS_TYPES = ["FQDN", "IPv4", "IPv6"];

function listWithMore(list: string[], more: boolean, count: number, max: number): string {
  const ret = list.join(",");
  if (more) return `${ret} + ${count - max} more...`;
  return ret || "<unset>";
}

export function formatSlicePorts(ports: unknown): string {
  const list: string[] = [];
  let more = false;
  let count = 0;
  for (const p of asArray(ports)) {
    if (list.length < 3) list.push(p?.port !== undefined && p?.port !== null ? String(p.port) : p?.name ?? "*");
    else if (list.length === 3) more = true;
    count++;
  }
  return listWithMore(list, more, count, 3);
}

export function formatSliceEndpoints(endpoints: unknown): string {
  const list: string[] = [];
  let more = false;
  let count = 0;
  for (const e of asArray(endpoints)) {
    for (const a of asArray<string>(e?.addresses)) {
      if (list.length < 3) list.push(a);
      else if (list.length === 3) more = true;
      count++;
    }
  }
  return listWithMore(list, more, count, 3);
}

export function validateEndpointSlice(es: Obj): Causes {
  const out: Causes = [];
  const at = es.addressType;
  if (at === undefined || at === null || at === "") out.push(field.required("addressType", ""));
  else out.push(...enumValue(at, "addressType", ADDRESS_TYPES));
  const endpoints = asArray(es.endpoints);
  if (endpoints.length > 1000) out.push(cause.tooMany("endpoints", endpoints.length, 1000));
  endpoints.forEach((e, i) => {
    const p = idx("endpoints", i);
    const addrs = asArray<string>(e?.addresses);
    if (addrs.length === 0) out.push(field.required(`${p}.addresses`, "must contain at least 1 address"));
    else if (addrs.length > 100) out.push(cause.tooMany(`${p}.addresses`, addrs.length, 100));
    addrs.forEach((a, j) => {
      const ap = idx(`${p}.addresses`, j);
      if (at === "IPv4" && !isIPv4(a)) out.push(field.invalid(ap, a, "must be a valid IPv4 address"));
      if (at === "IPv6" && !isIPv6(a)) out.push(field.invalid(ap, a, "must be a valid IPv6 address"));
      if (at === "FQDN") for (const m of isDNS1123Subdomain(String(a))) out.push(field.invalid(ap, a, m));
    });
    if (e?.hostname) for (const m of isDNS1123Label(String(e.hostname))) out.push(field.invalid(`${p}.hostname`, e.hostname, m));
    if (e?.nodeName) for (const m of isDNS1123Subdomain(String(e.nodeName))) out.push(field.invalid(`${p}.nodeName`, e.nodeName, m));
  });
  const names = new Set<string>();
  asArray(es.ports).forEach((port, i) => {
    const p = idx("ports", i);
    const name = port?.name ?? "";
    if (name) for (const m of isDNS1123Label(String(name))) out.push(field.invalid(`${p}.name`, name, m));
    if (names.has(name)) out.push(field.duplicate(`${p}.name`, name));
    names.add(name);
    if (port?.port !== undefined && port?.port !== null) for (const m of portNumErrors(port.port)) out.push(field.invalid(`${p}.port`, port.port, m));
    if (port?.protocol !== undefined) out.push(...enumValue(port.protocol, `${p}.protocol`, ["SCTP", "TCP", "UDP"]));
  });
  return out;
}

export function endpointSliceDef(): ResourceDef {
  return {
    group: "discovery.k8s.io",
    version: "v1",
    kind: "EndpointSlice",
    plural: "endpointslices",
    singular: "endpointslice",
    namespaced: true,
    defaults(es: Obj) {
      for (const p of asArray(es.ports)) {
        if (!isObj(p)) continue;
        if (!p.protocol) p.protocol = "TCP";
        if (p.name === undefined) p.name = "";
      }
    },
    validate: validateEndpointSlice,
    validateUpdate: (es: Obj, old: Obj) => (es.addressType === old.addressType ? [] : [field.invalid("addressType", es.addressType, "field is immutable")]),
    columns: [
      nameCol,
      col("AddressType", "string", "addressType specifies the type of address carried by this EndpointSlice. All addresses in this slice must be the same type. This field is immutable after creation."),
      col("Ports", "string", "ports specifies the list of network ports exposed by each endpoint in this slice."),
      col("Endpoints", "string", "endpoints is a list of unique endpoints in this slice."),
      ageCol,
    ],
    cells: (es: Obj, now: number) => [es.metadata?.name, es.addressType ?? "", formatSlicePorts(es.ports), formatSliceEndpoints(es.endpoints), ageCell(es, now)],
  };
}
