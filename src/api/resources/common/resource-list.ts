/**
 * @module api/resources/common/resource-list
 * ResourceList maps ({cpu: "500m", memory: "128Mi"}): canonicalisation on write (upstream
 * rounds up to milli precision and serialises quantities canonically, so "0.5" reads back
 * as "500m"), and validation of names and values with upstream's messages.
 */
import { field } from "../../errors.ts";
import { isQualifiedName } from "../../validation/meta.ts";
import type { Obj } from "../../registry/types.ts";
import { Quantity, QuantityError, QUANTITY_REGEX_MESSAGE } from "../quantity.ts";
import { isObj, key, type Causes } from "./causes.ts";

/** Rewrite parseable quantities in place to their canonical form (invalid ones are left for validation). */
export function canonicalizeResourceList(list: unknown, roundToMilli = true): void {
  if (!isObj(list)) return;
  for (const [k, v] of Object.entries(list)) {
    const q = Quantity.tryParse(v);
    if (q) list[k] = (roundToMilli ? q.roundUpToMilli() : q).toString();
  }
}

/** Parse every quantity of a list; causes for the ones that do not parse. */
export function parseResourceList(list: unknown, path: string, out: Causes): Map<string, Quantity> {
  const res = new Map<string, Quantity>();
  if (list === undefined || list === null) return res;
  if (!isObj(list)) {
    out.push(field.invalid(path, list, "must be a map of resource names to quantities"));
    return res;
  }
  for (const [k, v] of Object.entries(list)) {
    try {
      if (typeof v !== "string" && typeof v !== "number") throw new QuantityError(QUANTITY_REGEX_MESSAGE, String(v));
      res.set(k, Quantity.parse(v));
    } catch (e) {
      out.push(field.invalid(key(path, k), v, e instanceof QuantityError ? e.message : String(e)));
    }
  }
  return res;
}

const STANDARD_CONTAINER_RESOURCES = new Set(["cpu", "memory", "ephemeral-storage"]);
const STANDARD_QUOTA_RESOURCES = new Set([
  "pods", "services", "replicationcontrollers", "resourcequotas", "secrets", "configmaps", "persistentvolumeclaims",
  "services.nodeports", "services.loadbalancers", "cpu", "memory", "ephemeral-storage", "storage",
  "requests.cpu", "requests.memory", "requests.storage", "requests.ephemeral-storage",
  "limits.cpu", "limits.memory", "limits.ephemeral-storage",
]);
const INTEGER_RESOURCES = new Set(["pods", "services", "replicationcontrollers", "resourcequotas", "secrets", "configmaps", "persistentvolumeclaims", "services.nodeports", "services.loadbalancers"]);

function isHugePages(name: string) {
  return name.startsWith("hugepages-") || name.startsWith("requests.hugepages-");
}
function isExtended(name: string) {
  return name.includes("/") && !name.startsWith("kubernetes.io/") && !name.includes("kubernetes.io/") && !name.startsWith("requests.");
}

/** validateContainerResourceName + ValidateResourceQuantityValue for container requests/limits. */
export function validateContainerResources(resources: unknown, path: string): { causes: Causes; requests: Map<string, Quantity>; limits: Map<string, Quantity> } {
  const causes: Causes = [];
  const r = isObj(resources) ? resources : {};
  if (resources !== undefined && resources !== null && !isObj(resources)) causes.push(field.invalid(path, resources, "must be an object"));
  const limits = parseResourceList(r.limits, `${path}.limits`, causes);
  const requests = parseResourceList(r.requests, `${path}.requests`, causes);
  const checkNames = (m: Map<string, Quantity>, p: string) => {
    for (const [name, q] of m) {
      const kp = key(p, name);
      for (const e of isQualifiedName(name)) causes.push(field.invalid(kp, name, e));
      if (!name.includes("/")) {
        if (!STANDARD_CONTAINER_RESOURCES.has(name) && !name.startsWith("hugepages-")) causes.push(field.invalid(kp, name, "must be a standard resource for containers"));
      }
      if (q.sign() < 0) causes.push(field.invalid(kp, q.toString(), "must be greater than or equal to 0"));
      if ((isHugePages(name) || isExtended(name)) && !q.isInteger()) causes.push(field.invalid(kp, q.toString(), "must be an integer"));
    }
  };
  checkNames(limits, `${path}.limits`);
  checkNames(requests, `${path}.requests`);
  for (const [name, req] of requests) {
    const lim = limits.get(name);
    if (lim && req.cmp(lim) > 0) {
      causes.push(field.invalid(key(`${path}.requests`, name), req.toString(), `must be less than or equal to ${name} limit of ${lim.toString()}`));
    }
    if (isExtended(name) && (!lim || lim.cmp(req) !== 0)) {
      causes.push(field.invalid(key(`${path}.requests`, name), req.toString(), "must be equal to " + name + " limit of " + (lim?.toString() ?? "0")));
    }
  }
  return { causes, requests, limits };
}

/** ResourceQuota hard/used lists: standard quota names or extended `requests.<ext>`, non-negative. */
export function validateQuotaResourceList(list: unknown, path: string): Causes {
  const causes: Causes = [];
  const parsed = parseResourceList(list, path, causes);
  for (const [name, q] of parsed) {
    const kp = key(path, name);
    for (const e of isQualifiedName(name)) causes.push(field.invalid(kp, name, e));
    if (!name.includes("/") && !STANDARD_QUOTA_RESOURCES.has(name) && !isHugePages(name) && !name.startsWith("count/") && !name.endsWith(".storageclass.storage.k8s.io/requests.storage")) {
      causes.push(field.invalid(kp, name, "must be a standard resource type or fully qualified"));
    }
    if (q.sign() < 0) causes.push(field.invalid(kp, q.toString(), "must be greater than or equal to 0"));
    if (INTEGER_RESOURCES.has(name) && !q.isInteger()) causes.push(field.invalid(kp, q.toString(), "must be an integer"));
  }
  return causes;
}

/** Generic non-negative quantity map (node capacity, PV capacity...). */
export function validateQuantities(list: unknown, path: string): Causes {
  const causes: Causes = [];
  for (const [name, q] of parseResourceList(list, path, causes)) {
    if (q.sign() < 0) causes.push(field.invalid(key(path, name), q.toString(), "must be greater than or equal to 0"));
  }
  return causes;
}

export function quantityOf(list: Obj | undefined, name: string): Quantity | undefined {
  return list ? Quantity.tryParse(list[name]) : undefined;
}
