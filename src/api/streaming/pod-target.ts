/**
 * @module api/streaming/pod-target
 * Which pod, node and container instance a streaming request targets, with upstream's
 * validation and wording: the apiserver's container-name checks (LogLocation /
 * ExecLocation) and the kubelet's container-status checks, which kite can run on the
 * server because the pod's status carries the container ids.
 */
import { ApiError, errors } from "../errors.ts";
import type { Obj, RegistryAccess } from "../registry/types.ts";
import type { PodRef } from "../../tunnel/types.ts";

export type PodReader = Pick<RegistryAccess, "get">;

export async function loadPod(pods: PodReader, namespace: string | undefined, name: string): Promise<Obj> {
  const pod = await pods.get("", "pods", namespace, name);
  if (!pod) throw errors.notFound("pods", "", name);
  return pod;
}

export function podRef(pod: Obj): PodRef {
  return { namespace: pod.metadata?.namespace ?? "default", name: pod.metadata?.name ?? "", uid: pod.metadata?.uid ?? "" };
}

const names = (l: unknown): string[] => (Array.isArray(l) ? l.map((c: Obj) => c?.name).filter((n): n is string => typeof n === "string") : []);
const goList = (l: string[]) => `[${l.join(" ")}]`;

/** The container a request means (explicit, the only one, or the default-container annotation). */
export function chooseContainer(pod: Obj, requested: string | null | undefined): string {
  const name = pod.metadata?.name ?? "";
  const main = names(pod.spec?.containers);
  const init = names(pod.spec?.initContainers);
  const eph = names(pod.spec?.ephemeralContainers);
  if (requested) {
    if (![...main, ...init, ...eph].includes(requested)) throw errors.badRequest(`container ${requested} is not valid for pod ${name}`);
    return requested;
  }
  if (main.length === 1) return main[0]!;
  const annotated = pod.metadata?.annotations?.["kubectl.kubernetes.io/default-container"];
  if (typeof annotated === "string" && main.includes(annotated)) return annotated;
  let msg = `a container name must be specified for pod ${name}, choose one of: ${goList(main)}`;
  if (init.length) msg += ` or one of the init containers: ${goList(init)}`;
  if (eph.length) msg += ` or one of the ephemeral containers: ${goList(eph)}`;
  throw errors.badRequest(msg);
}

/** The node running the pod. */
export function podNode(pod: Obj): string {
  const node = pod.spec?.nodeName;
  if (typeof node !== "string" || !node) throw errors.badRequest(`pod ${pod.metadata?.name} does not have a host assigned`);
  return node;
}

function containerStatus(pod: Obj, container: string): Obj | undefined {
  const s = pod.status ?? {};
  for (const l of [s.containerStatuses, s.initContainerStatuses, s.ephemeralContainerStatuses]) {
    if (!Array.isArray(l)) continue;
    const hit = l.find((c: Obj) => c?.name === container);
    if (hit) return hit;
  }
  return undefined;
}

const nonEmpty = (v: unknown): string | undefined => (typeof v === "string" && v ? v : undefined);

/**
 * The kubelet's choice of container instance for logs (validateContainerLogStatus):
 * returns the runtime id from the status, or undefined when the status has none (the
 * agent then finds the instance by labels). Throws upstream's 400s.
 */
export function logContainerId(pod: Obj, container: string, previous: boolean): string | undefined {
  const podName = pod.metadata?.name ?? "";
  const st = containerStatus(pod, container);
  const fail = (m: string) => errors.badRequest(m);
  if (!st) {
    if ((pod.status?.phase ?? "Pending") === "Pending") throw fail(`container "${container}" in pod "${podName}" is waiting to start: ContainerCreating`);
    throw fail(`container "${container}" in pod "${podName}" is not available`);
  }
  const state = st.state ?? {};
  const last = st.lastState ?? {};
  if (previous) {
    if (!last.terminated) throw fail(`previous terminated container "${container}" in pod "${podName}" not found`);
    return nonEmpty(last.terminated.containerID);
  }
  if (state.running) return nonEmpty(st.containerID);
  if (state.terminated) return nonEmpty(state.terminated.containerID) ?? nonEmpty(last.terminated?.containerID) ?? nonEmpty(st.containerID);
  if (last.terminated) return nonEmpty(last.terminated.containerID);
  if (state.waiting) {
    const reason = state.waiting.reason ?? "ContainerCreating";
    if (reason === "ErrImagePull") throw fail(`container "${container}" in pod "${podName}" is waiting to start: image can't be pulled`);
    if (reason === "ImagePullBackOff") throw fail(`container "${container}" in pod "${podName}" is waiting to start: trying and failing to pull image`);
    throw fail(`container "${container}" in pod "${podName}" is waiting to start: ${reason}`);
  }
  throw fail(`container "${container}" in pod "${podName}" is waiting to start - no logs yet`);
}

/** exec/attach need a running container of a pod that has not completed. */
export function runningContainerId(pod: Obj, container: string, verb: "exec" | "attach"): string | undefined {
  const phase = pod.status?.phase;
  if (phase === "Succeeded" || phase === "Failed") {
    throw errors.badRequest(verb === "exec" ? `cannot exec into a container in a completed pod; current phase is ${phase}` : `cannot attach to a container in a completed pod; current phase is ${phase}`);
  }
  const st = containerStatus(pod, container);
  if (!st?.state?.running) throw errors.badRequest(`unable to upgrade connection: container not found ("${container}")`);
  return nonEmpty(st.containerID);
}

/** port-forward needs a running pod. */
export function requireRunning(pod: Obj): void {
  const phase = pod.status?.phase ?? "Pending";
  if (phase !== "Running") throw new ApiError(400, "BadRequest", `unable to forward port because pod is not running. Current status=${phase}`);
}
