/**
 * @module api/resources/core/nodes
 * The Node kind (cluster-scoped, status set by the agent): allocatable defaults to
 * capacity, canonical quantities, taint validation, podCIDR/providerID immutability,
 * `spec.unschedulable` field selector, and the `kubectl get nodes` table
 * (STATUS "Ready,SchedulingDisabled", ROLES from node-role.kubernetes.io/* labels).
 */
import { field } from "../../errors.ts";
import type { Obj, ResourceDef } from "../../registry/types.ts";
import { isValidLabelValue } from "../../validation/meta.ts";
import { asArray, enumValue, idx, isObj, qualifiedName, type Causes } from "../common/causes.ts";
import { ageCell, col, nameCol, CREATED_DESC } from "../common/columns.ts";
import { canonicalizeResourceList, validateQuantities } from "../common/resource-list.ts";
import { TAINT_EFFECTS } from "./pods/validation.ts";

export function validateTaints(taints: unknown, path: string): Causes {
  const out: Causes = [];
  const seen = new Set<string>();
  asArray(taints).forEach((t, i) => {
    const p = idx(path, i);
    if (!isObj(t)) return out.push(field.invalid(p, t, "must be an object"));
    out.push(...qualifiedName(t.key ?? "", `${p}.key`));
    if (t.value !== undefined && t.value !== "") for (const m of isValidLabelValue(String(t.value))) out.push(field.invalid(`${p}.value`, t.value, m));
    out.push(...enumValue(t.effect, `${p}.effect`, TAINT_EFFECTS));
    const k = `${t.key}/${t.effect}`;
    if (seen.has(k)) out.push(field.duplicate(p, { key: t.key, effect: t.effect }));
    seen.add(k);
  });
  return out;
}

function validCidr(s: unknown): boolean {
  if (typeof s !== "string") return false;
  const m = /^(.+)\/(\d{1,3})$/.exec(s);
  if (!m) return false;
  const bits = Number(m[2]);
  if (/^\d+\.\d+\.\d+\.\d+$/.test(m[1]!)) return bits <= 32 && m[1]!.split(".").every((x) => Number(x) <= 255);
  return m[1]!.includes(":") && bits <= 128;
}

export function nodeRoles(node: Obj): string[] {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(isObj(node.metadata?.labels) ? node.metadata.labels : {})) {
    if (k.startsWith("node-role.kubernetes.io/")) {
      const r = k.slice("node-role.kubernetes.io/".length);
      if (r) roles.add(r);
    } else if (k === "kubernetes.io/role" && v) roles.add(String(v));
  }
  return [...roles].sort();
}

export function nodeStatusText(node: Obj): string {
  const status: string[] = [];
  const ready = asArray(node.status?.conditions).find((c) => c?.type === "Ready");
  if (ready) status.push(ready.status === "True" ? "Ready" : "NotReady");
  else status.push("Unknown");
  if (node.spec?.unschedulable === true) status.push("SchedulingDisabled");
  return status.join(",");
}

function address(node: Obj, type: string): string {
  return asArray(node.status?.addresses).find((a) => a?.type === type)?.address ?? "<none>";
}

export const nodeColumns = [
  nameCol,
  col("Status", "string", "The status of the node"),
  col("Roles", "string", "The roles of the node"),
  col("Age", "string", CREATED_DESC),
  col("Version", "string", "Kubelet Version reported by the node."),
  col("Internal-IP", "string", "List of addresses reachable to the node. Queried from cloud provider, if available.", 1),
  col("External-IP", "string", "List of addresses reachable to the node. Queried from cloud provider, if available.", 1),
  col("OS-Image", "string", "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).", 1),
  col("Kernel-Version", "string", "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1),
  col("Container-Runtime", "string", "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).", 1),
];

export function nodeCells(node: Obj, now: number): unknown[] {
  const info = isObj(node.status?.nodeInfo) ? node.status.nodeInfo : {};
  return [
    node.metadata?.name,
    nodeStatusText(node),
    nodeRoles(node).join(",") || "<none>",
    ageCell(node, now),
    info.kubeletVersion ?? "",
    address(node, "InternalIP"),
    address(node, "ExternalIP"),
    info.osImage || "<unknown>",
    info.kernelVersion || "<unknown>",
    info.containerRuntimeVersion || "<unknown>",
  ];
}

export function defaultNode(node: Obj) {
  const spec = isObj(node.spec) ? node.spec : (node.spec = {});
  if (spec.podCIDR && !asArray(spec.podCIDRs).length) spec.podCIDRs = [spec.podCIDR];
  if (!spec.podCIDR && asArray(spec.podCIDRs).length) spec.podCIDR = spec.podCIDRs[0];
  const st = node.status;
  if (isObj(st)) {
    canonicalizeResourceList(st.capacity);
    canonicalizeResourceList(st.allocatable);
    if (st.allocatable === undefined && isObj(st.capacity)) st.allocatable = { ...st.capacity };
  }
}

export function nodeDef(): ResourceDef {
  return {
    group: "",
    version: "v1",
    kind: "Node",
    plural: "nodes",
    singular: "node",
    shortNames: ["no"],
    namespaced: false,
    statusSubresource: true,
    generation: false,
    defaults: defaultNode,
    validate(node: Obj) {
      const spec = isObj(node.spec) ? node.spec : {};
      const out: Causes = validateTaints(spec.taints, "spec.taints");
      asArray(spec.podCIDRs).forEach((c, i) => {
        if (!validCidr(c)) out.push(field.invalid(idx("spec.podCIDRs", i), c, "must be a valid CIDR"));
      });
      if (asArray(spec.podCIDRs).length > 2) out.push(field.invalid("spec.podCIDRs", spec.podCIDRs, "may specify no more than one CIDR for each IP family"));
      out.push(...validateQuantities(node.status?.capacity, "status.capacity"));
      out.push(...validateQuantities(node.status?.allocatable, "status.allocatable"));
      return out;
    },
    validateUpdate(node: Obj, old: Obj) {
      const out: Causes = [];
      const a = asArray(old.spec?.podCIDRs);
      const b = asArray(node.spec?.podCIDRs);
      if (a.length && JSON.stringify(a) !== JSON.stringify(b)) out.push(field.forbidden("spec.podCIDRs", 'node updates may not change podCIDR except from "" to valid'));
      if (old.spec?.providerID && old.spec.providerID !== node.spec?.providerID) out.push(field.forbidden("spec.providerID", 'node updates may not change providerID except from "" to valid'));
      return out;
    },
    columns: nodeColumns,
    cells: nodeCells,
    selectableFields: (node: Obj) => ({ "spec.unschedulable": String(node.spec?.unschedulable === true) }),
  };
}
