/**
 * @module api/resources/core/pods/printing
 * `kubectl get pods` columns and cells, computed like upstream's printPod: READY "1/2",
 * STATUS from phase, reasons, init progress ("Init:0/1", "Init:CrashLoopBackOff"),
 * container waiting/terminated reasons ("CrashLoopBackOff", "Completed"),
 * "Terminating" for deleted pods; RESTARTS "2 (5m ago)"; wide columns always sent.
 */
import type { ColumnDef, Obj } from "../../../registry/types.ts";
import { humanDuration } from "../../../registry/objects.ts";
import { asArray, isObj } from "../../common/causes.ts";
import { ageCell, col, nameCol, CREATED_DESC } from "../../common/columns.ts";

export const podColumns: ColumnDef[] = [
  nameCol,
  col("Ready", "string", "The aggregate readiness state of this pod for accepting traffic."),
  col("Status", "string", "The aggregate status of the containers in this pod."),
  col("Restarts", "string", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
  col("Age", "string", CREATED_DESC),
  col("IP", "string", "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.", 1),
  col("Node", "string", "NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName. Once this field is set, the kubelet for this node becomes responsible for the lifecycle of this pod. This field should not be used to express a desire for the pod to be scheduled on a specific node. https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename", 1),
  col("Nominated Node", "string", "nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods. This field does not guarantee that the pod will be scheduled on this node. Scheduler may decide to place the pod elsewhere if other nodes become available sooner. Scheduler may also decide to give the resources on this node to a higher priority pod that is created after preemption. As a result, this field may be different than PodSpec.nodeName when the pod is scheduled.", 1),
  col("Readiness Gates", "string", "If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers are ready AND all conditions specified in the readiness gates have status equal to \"True\" More info: https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates", 1),
];

function conditionTrue(status: Obj, type: string): boolean {
  return asArray(status.conditions).some((c) => c?.type === type && c?.status === "True");
}

function ts(v: unknown): number {
  if (typeof v !== "string") return 0;
  const t = Date.parse(v);
  return Number.isNaN(t) ? 0 : t;
}

/** The STATUS / READY / RESTARTS computation of printPod. */
export function podStatusSummary(pod: Obj, now: number): { ready: string; status: string; restarts: string } {
  const spec = isObj(pod.spec) ? pod.spec : {};
  const status = isObj(pod.status) ? pod.status : {};
  const initSpecs = new Map<string, Obj>();
  let total = asArray(spec.containers).length;
  for (const c of asArray(spec.initContainers)) {
    if (!isObj(c)) continue;
    initSpecs.set(c.name, c);
    if (c.restartPolicy === "Always") total++;
  }
  let restarts = 0;
  let sidecarRestarts = 0;
  let ready = 0;
  let lastRestart = 0;
  let lastSidecarRestart = 0;
  const phase: string = status.phase ?? "";
  let reason: string = status.reason || phase;
  for (const c of asArray(status.conditions)) {
    if (c?.type === "PodScheduled" && c?.reason === "SchedulingGated") reason = "SchedulingGated";
  }

  let initializing = false;
  const initStatuses = asArray(status.initContainerStatuses);
  for (let i = 0; i < initStatuses.length; i++) {
    const c = initStatuses[i] ?? {};
    const st = isObj(c.state) ? c.state : {};
    restarts += Number(c.restartCount ?? 0);
    const finished = ts(c.lastState?.terminated?.finishedAt);
    if (finished > lastRestart) lastRestart = finished;
    const sidecar = initSpecs.get(c.name)?.restartPolicy === "Always";
    if (sidecar) {
      sidecarRestarts += Number(c.restartCount ?? 0);
      if (finished > lastSidecarRestart) lastSidecarRestart = finished;
    }
    if (isObj(st.terminated) && (st.terminated.exitCode ?? 0) === 0) continue;
    if (sidecar && c.started === true) {
      if (c.ready) ready++;
      continue;
    }
    if (isObj(st.terminated)) {
      const t = st.terminated;
      reason = t.reason ? `Init:${t.reason}` : t.signal ? `Init:Signal:${t.signal}` : `Init:ExitCode:${t.exitCode ?? 0}`;
      initializing = true;
    } else if (isObj(st.waiting) && st.waiting.reason && st.waiting.reason !== "PodInitializing") {
      reason = `Init:${st.waiting.reason}`;
      initializing = true;
    } else {
      reason = `Init:${i}/${asArray(spec.initContainers).length}`;
      initializing = true;
    }
    break;
  }

  if (!initializing || conditionTrue(status, "Initialized")) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const cs = asArray(status.containerStatuses);
    for (let i = cs.length - 1; i >= 0; i--) {
      const c = cs[i] ?? {};
      const st = isObj(c.state) ? c.state : {};
      restarts += Number(c.restartCount ?? 0);
      const finished = ts(c.lastState?.terminated?.finishedAt);
      if (finished > lastRestart) lastRestart = finished;
      if (isObj(st.waiting) && st.waiting.reason) reason = st.waiting.reason;
      else if (isObj(st.terminated) && st.terminated.reason) reason = st.terminated.reason;
      else if (isObj(st.terminated)) reason = st.terminated.signal ? `Signal:${st.terminated.signal}` : `ExitCode:${st.terminated.exitCode ?? 0}`;
      else if (c.ready && isObj(st.running)) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === "Completed" && hasRunning) reason = conditionTrue(status, "Ready") ? "Running" : "NotReady";
  }

  const deleting = Boolean(pod.metadata?.deletionTimestamp);
  if (deleting && status.reason === "NodeLost") reason = "Unknown";
  else if (deleting && phase !== "Succeeded" && phase !== "Failed") reason = "Terminating";

  let restartsStr = String(restarts);
  if (restarts !== 0 && lastRestart > 0) restartsStr = `${restarts} (${humanDuration(now - lastRestart)} ago)`;
  return { ready: `${ready}/${total}`, status: reason, restarts: restartsStr };
}

export function podCells(pod: Obj, now: number): unknown[] {
  const { ready, status, restarts } = podStatusSummary(pod, now);
  const spec = isObj(pod.spec) ? pod.spec : {};
  const st = isObj(pod.status) ? pod.status : {};
  const ip = asArray(st.podIPs)[0]?.ip || st.podIP || "<none>";
  let gates = "<none>";
  const rg = asArray(spec.readinessGates);
  if (rg.length) {
    let trueCount = 0;
    for (const g of rg) {
      const c = asArray(st.conditions).find((x) => x?.type === g?.conditionType);
      if (c?.status === "True") trueCount++;
    }
    gates = `${trueCount}/${rg.length}`;
  }
  return [pod.metadata?.name, ready, status, restarts, ageCell(pod, now), ip, spec.nodeName || "<none>", st.nominatedNodeName || "<none>", gates];
}
