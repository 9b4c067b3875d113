/**
 * @module api/resources/core/pods/pod
 * The Pod kind: defaults, the admission-time mutations upstream applies on create
 * (status Pending + QoS class, DefaultTolerationSeconds, LimitRanger, Priority, the
 * default service account, scheduling-gated condition), validation on create and update, graceful
 * deletion, field selectors and the `kubectl get pods` table.
 */
import { ApiError, errors } from "../../../errors.ts";
import type { Obj, OpContext, RegistryAccess, ResourceDef } from "../../../registry/types.ts";
import { rfc3339 } from "../../../registry/objects.ts";
import { asArray, isInt, isObj } from "../../common/causes.ts";
import { defaultPod } from "./defaults.ts";
import { validatePodSpec } from "./validation.ts";
import { validatePodUpdate } from "./update.ts";
import { computeQOS } from "./qos.ts";
import { podCells, podColumns } from "./printing.ts";
import { applyLimitRanges } from "./limitranger.ts";

export interface PodOptions {
  /** DefaultTolerationSeconds for node.kubernetes.io/unreachable (upstream default 300). */
  defaultUnreachableTolerationSeconds: number;
  /** DefaultTolerationSeconds for node.kubernetes.io/not-ready (defaults to the unreachable value). */
  defaultNotReadyTolerationSeconds?: number;
}

/** Built-in priority classes (scheduling.k8s.io, created by the apiserver upstream). */
export const SYSTEM_PRIORITY_CLASSES: Record<string, number> = {
  "system-node-critical": 2000001000,
  "system-cluster-critical": 2000000000,
};

const NOT_READY = "node.kubernetes.io/not-ready";
const UNREACHABLE = "node.kubernetes.io/unreachable";

/** Whether some toleration already tolerates a NoExecute taint with this key (DefaultTolerationSeconds). */
function tolerates(tolerations: Obj[], key: string): boolean {
  return tolerations.some((t) => {
    const effectOk = !t?.effect || t.effect === "NoExecute";
    const keyOk = (t?.operator === "Exists" && !t?.key) || t?.key === key;
    return effectOk && keyOk;
  });
}

/** The DefaultTolerationSeconds admission plugin. */
export function addDefaultTolerations(spec: Obj, notReadySeconds: number, unreachableSeconds: number) {
  const tolerations = asArray(spec.tolerations);
  const add: Obj[] = [];
  if (!tolerates(tolerations, NOT_READY)) add.push({ key: NOT_READY, operator: "Exists", effect: "NoExecute", tolerationSeconds: notReadySeconds });
  if (!tolerates(tolerations, UNREACHABLE)) add.push({ key: UNREACHABLE, operator: "Exists", effect: "NoExecute", tolerationSeconds: unreachableSeconds });
  if (add.length) spec.tolerations = [...tolerations, ...add];
}

/** The Priority admission plugin: resolve priorityClassName to spec.priority and preemptionPolicy. */
export async function resolvePriority(pod: Obj, registry: RegistryAccess): Promise<void> {
  const spec = pod.spec as Obj;
  const name: string = spec.priorityClassName ?? "";
  let value = 0;
  let policy = "PreemptLowerPriority";
  const forbidden = (msg: string) =>
    new ApiError(403, "Forbidden", `pods "${pod.metadata?.name ?? pod.metadata?.generateName ?? ""}" is forbidden: ${msg}`, { name: pod.metadata?.name, kind: "pods" });
  if (name) {
    if (name in SYSTEM_PRIORITY_CLASSES) value = SYSTEM_PRIORITY_CLASSES[name]!;
    else {
      const pc = await registry.get("scheduling.k8s.io", "priorityclasses", undefined, name);
      if (!pc) throw forbidden(`no PriorityClass with name ${name} was found`);
      value = Number(pc.value ?? 0);
      policy = pc.preemptionPolicy ?? policy;
    }
  } else {
    const all = await registry.list("scheduling.k8s.io", "priorityclasses").catch(() => [] as Obj[]);
    const defaults = all.filter((pc) => pc.globalDefault === true);
    if (defaults.length) {
      // Upstream picks the lowest-valued global default.
      const pc = defaults.reduce((a, b) => (Number(a.value) <= Number(b.value) ? a : b));
      value = Number(pc.value ?? 0);
      policy = pc.preemptionPolicy ?? policy;
      spec.priorityClassName = pc.metadata?.name;
    }
  }
  if (spec.priority !== undefined && spec.priority !== null && spec.priority !== value) {
    throw forbidden(`the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${value} from the given PriorityClass name`);
  }
  spec.priority = value;
  if (spec.preemptionPolicy === undefined || spec.preemptionPolicy === null) spec.preemptionPolicy = policy;
}

/** Upstream CheckGracefulDelete for pods. */
export function podGracePeriod(pod: Obj, requested: number | undefined): number {
  let period = requested ?? (isInt(pod.spec?.terminationGracePeriodSeconds) ? pod.spec.terminationGracePeriodSeconds : 0);
  if (!pod.spec?.nodeName) period = 0;
  const phase = pod.status?.phase;
  if (phase === "Failed" || phase === "Succeeded") period = 0;
  if (period < 0) period = 1;
  return period;
}

export function podSelectableFields(pod: Obj): Record<string, string | undefined> {
  const spec = isObj(pod.spec) ? pod.spec : {};
  const st = isObj(pod.status) ? pod.status : {};
  return {
    "spec.nodeName": spec.nodeName ?? "",
    "spec.restartPolicy": spec.restartPolicy ?? "",
    "spec.schedulerName": spec.schedulerName ?? "",
    "spec.serviceAccountName": spec.serviceAccountName ?? "",
    "spec.hostNetwork": String(spec.hostNetwork === true),
    "status.phase": st.phase ?? "",
    "status.podIP": asArray(st.podIPs)[0]?.ip ?? st.podIP ?? "",
    "status.nominatedNodeName": st.nominatedNodeName ?? "",
  };
}

export function podDef(opts: PodOptions): ResourceDef {
  const unreachable = opts.defaultUnreachableTolerationSeconds;
  const notReady = opts.defaultNotReadyTolerationSeconds ?? unreachable;
  return {
    group: "",
    version: "v1",
    kind: "Pod",
    plural: "pods",
    singular: "pod",
    shortNames: ["po"],
    categories: ["all"],
    namespaced: true,
    statusSubresource: true,
    generation: false,
    defaults: defaultPod,
    async prepareForCreate(pod: Obj, ctx: OpContext, registry: RegistryAccess) {
      const spec = pod.spec as Obj;
      if (!spec.serviceAccountName) spec.serviceAccountName = "default";
      spec.serviceAccount = spec.serviceAccountName;
      if (isInt(spec.terminationGracePeriodSeconds) && spec.terminationGracePeriodSeconds < 0) spec.terminationGracePeriodSeconds = 1;
      addDefaultTolerations(spec, notReady, unreachable);
      await applyLimitRanges(pod, registry);
      await resolvePriority(pod, registry);
      const status: Obj = { phase: "Pending", qosClass: computeQOS(spec) };
      if (asArray(spec.schedulingGates).length > 0) {
        status.conditions = [{ type: "PodScheduled", status: "False", lastProbeTime: null, lastTransitionTime: rfc3339(ctx.now), reason: "SchedulingGated", message: "Scheduling is blocked due to non-empty scheduling gates" }];
      }
      pod.status = status;
    },
    validate(pod: Obj) {
      return validatePodSpec(pod.spec, "spec");
    },
    validateUpdate(pod: Obj, old: Obj) {
      return validatePodUpdate(pod, old);
    },
    columns: podColumns,
    cells: podCells,
    selectableFields: podSelectableFields,
    gracefulDelete(pod: Obj, gracePeriodSeconds: number | undefined) {
      return { graceful: true, grace: podGracePeriod(pod, gracePeriodSeconds) };
    },
  };
}

/** Thrown by hooks when a pod is rejected by an admission rule rather than validation. */
export function podForbidden(name: string, message: string): ApiError {
  return errors.forbidden(`pods "${name}" is forbidden: ${message}`);
}

