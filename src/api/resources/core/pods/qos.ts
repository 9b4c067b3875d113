/**
 * @module api/resources/core/pods/qos
 * The pod QoS class (Guaranteed / Burstable / BestEffort) computed from container
 * requests and limits exactly like upstream's ComputePodQOS.
 */
import type { Obj } from "../../../registry/types.ts";
import { Quantity } from "../../quantity.ts";
import { asArray, isObj } from "../../common/causes.ts";

export type QOSClass = "Guaranteed" | "Burstable" | "BestEffort";

const QOS_RESOURCES = new Set(["cpu", "memory"]);

function addTo(m: Map<string, Quantity>, name: string, q: Quantity) {
  const cur = m.get(name);
  m.set(name, cur ? cur.add(q) : q);
}

export function computeQOS(spec: Obj | undefined): QOSClass {
  const requests = new Map<string, Quantity>();
  const limits = new Map<string, Quantity>();
  let guaranteed = true;
  for (const c of [...asArray(spec?.containers), ...asArray(spec?.initContainers)]) {
    const res = isObj(c?.resources) ? c.resources : {};
    for (const [name, raw] of Object.entries(isObj(res.requests) ? res.requests : {})) {
      const q = Quantity.tryParse(raw);
      if (QOS_RESOURCES.has(name) && q && q.sign() > 0) addTo(requests, name, q);
    }
    const found = new Set<string>();
    for (const [name, raw] of Object.entries(isObj(res.limits) ? res.limits : {})) {
      const q = Quantity.tryParse(raw);
      if (QOS_RESOURCES.has(name) && q && q.sign() > 0) {
        found.add(name);
        addTo(limits, name, q);
      }
    }
    if (!found.has("cpu") || !found.has("memory")) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return "BestEffort";
  if (guaranteed) {
    for (const [name, req] of requests) {
      const lim = limits.get(name);
      if (!lim || lim.cmp(req) !== 0) {
        guaranteed = false;
        break;
      }
    }
  }
  return guaranteed && requests.size === limits.size ? "Guaranteed" : "Burstable";
}
