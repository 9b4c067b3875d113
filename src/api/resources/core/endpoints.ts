/**
 * @module api/resources/core/endpoints
 * The Endpoints kind (written by the endpoints controller; PUT may create it): port
 * protocol defaults, address and port validation, and the ENDPOINTS column
 * ("10.42.0.5:80,10.42.0.6:80 + 1 more...").
 */
import { field } from "../../errors.ts";
import type { Obj, ResourceDef } from "../../registry/types.ts";
import { isDNS1123Label, isDNS1123Subdomain } from "../../validation/meta.ts";
import { asArray, enumValue, idx, isIP, isObj, IP_MESSAGE, portNumErrors, type Causes } from "../common/causes.ts";
import { ageCell, ageCol, col, nameCol } from "../common/columns.ts";

function hostPort(ip: string, port: number): string {
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** formatEndpoints(endpoints, nil) from upstream's printers. */
export function formatEndpoints(ep: Obj): string {
  const subsets = asArray(ep.subsets);
  if (subsets.length === 0) return "<none>";
  const list: string[] = [];
  const max = 3;
  let more = false;
  let count = 0;
  for (const ss of subsets) {
    const addrs = asArray(ss?.addresses);
    const ports = asArray(ss?.ports);
    if (ports.length === 0) {
      count += addrs.length;
      for (const a of addrs) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(a?.ip);
      }
      continue;
    }
    for (const p of ports) {
      count += addrs.length;
      for (const a of addrs) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(hostPort(a?.ip, p?.port));
      }
    }
  }
  const ret = list.join(",");
  return more ? `${ret} + ${count - max} more...` : ret;
}

export function endpointsDef(): ResourceDef {
  return {
    group: "",
    version: "v1",
    kind: "Endpoints",
    plural: "endpoints",
    singular: "endpoints",
    shortNames: ["ep"],
    namespaced: true,
    allowCreateOnUpdate: true,
    defaults(ep: Obj) {
      for (const ss of asArray(ep.subsets)) for (const p of asArray(ss?.ports)) if (isObj(p) && !p.protocol) p.protocol = "TCP";
    },
    validate(ep: Obj) {
      const out: Causes = [];
      asArray(ep.subsets).forEach((ss, i) => {
        const sp = idx("subsets", i);
        const addrs = [...asArray(ss?.addresses).map((a, j) => [a, idx(`${sp}.addresses`, j)] as const), ...asArray(ss?.notReadyAddresses).map((a, j) => [a, idx(`${sp}.notReadyAddresses`, j)] as const)];
        if (addrs.length === 0 && asArray(ss?.ports).length > 0) out.push(field.required(sp, "must specify `addresses` or `notReadyAddresses`"));
        for (const [a, p] of addrs) {
          if (!isIP(a?.ip)) out.push(field.invalid(`${p}.ip`, a?.ip ?? "", IP_MESSAGE));
          if (a?.hostname) for (const m of isDNS1123Label(String(a.hostname))) out.push(field.invalid(`${p}.hostname`, a.hostname, m));
          if (a?.nodeName) for (const m of isDNS1123Subdomain(String(a.nodeName))) out.push(field.invalid(`${p}.nodeName`, a.nodeName, m));
        }
        const ports = asArray(ss?.ports);
        ports.forEach((port, j) => {
          const pp = idx(`${sp}.ports`, j);
          if (ports.length > 1 && !port?.name) out.push(field.required(`${pp}.name`, ""));
          else if (port?.name) for (const m of isDNS1123Label(String(port.name))) out.push(field.invalid(`${pp}.name`, port.name, m));
          for (const m of portNumErrors(port?.port)) out.push(field.invalid(`${pp}.port`, port?.port, m));
          out.push(...enumValue(port?.protocol, `${pp}.protocol`, ["SCTP", "TCP", "UDP"]));
        });
      });
      return out;
    },
    columns: [nameCol, col("Endpoints", "string", "The set of all endpoints is the union of all subsets. Addresses are placed into subsets according to the IPs they share. A single address with multiple ports, some of which are ready and some of which are not (because they come from different containers) will result in the address being displayed in different subsets for the different ports. No address will appear in both Addresses and NotReadyAddresses in the same subset. Sets of addresses and ports that comprise a service."), ageCol],
    cells: (ep: Obj, now: number) => [ep.metadata?.name, formatEndpoints(ep), ageCell(ep, now)],
  };
}
