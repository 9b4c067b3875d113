/**
 * @module agent/status
 * The pod status the kubelet would report, computed from what the agent knows: the
 * engine's containers (latest and previous attempt per container), what the worker
 * is waiting on (image pull, back-off, config errors), probe results, the sandbox's
 * IP. Pure functions: phase (kubelet getPhase), conditions with stable transition
 * times, container statuses, and the status merge patch to send (none when equal).
 */
import type { KObj } from "../client/client.ts";
import { rfc3339 } from "../api/registry/objects.ts";
import { mergePatch } from "./merge-diff.ts";
import { type ContainerInfo, terminationReason } from "./runtime/types.ts";

export interface Waiting {
  reason: string;
  message?: string;
}

export interface ContainerView {
  name: string;
  /** The image the spec asks for. */
  image: string;
  latest: ContainerInfo | null;
  previous: ContainerInfo | null;
  restartCount: number;
  /** Why the latest attempt is not running yet (or why no new attempt starts). */
  waiting?: Waiting;
  ready: boolean;
  started: boolean;
  /** Termination messages read from the containers, by container id. */
  messages?: Record<string, string>;
}

export interface StatusInput {
  pod: KObj;
  runtime: "podman" | "docker";
  init: ContainerView[];
  regular: ContainerView[];
  sandboxReady: boolean;
  podIPs: string[];
  hostIPs: string[];
  /** When the agent first accepted the pod (status.startTime if none yet). */
  startTime: Date;
  now: Date;
  /** The agent failed the pod itself (e.g. DeadlineExceeded): phase Failed with this reason. */
  failure?: { reason: string; message: string };
}

const ZERO_TIME = "1970-01-01T00:00:00Z";
const OWN_CONDITIONS = ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady"] as const;

function time(d: Date | null): string | undefined {
  return d ? rfc3339(d) : undefined;
}

export function terminatedState(c: ContainerInfo, runtime: string, message?: string): KObj {
  const startError = c.error && c.startedAt === null;
  const t: KObj = {
    exitCode: startError ? 128 : (c.exitCode ?? 0),
    reason: terminationReason(c),
    startedAt: startError ? ZERO_TIME : (time(c.startedAt) ?? ZERO_TIME),
    finishedAt: time(c.finishedAt) ?? time(c.startedAt) ?? ZERO_TIME,
    containerID: `${runtime}://${c.id}`,
  };
  const msg = startError ? c.error : message;
  if (msg) t.message = msg;
  return t;
}

function isDone(c: ContainerInfo): boolean {
  return c.state === "exited" || (c.state === "created" && !!c.error);
}

export function containerStatus(v: ContainerView, runtime: string): KObj {
  const s: KObj = { name: v.name, state: {}, lastState: {}, ready: false, restartCount: v.restartCount, image: v.image, imageID: "", started: false };
  const c = v.latest;
  if (c) {
    s.imageID = c.imageId;
    s.containerID = `${runtime}://${c.id}`;
  }
  const msg = (x: ContainerInfo) => v.messages?.[x.id];
  if (c && c.state === "running") {
    s.state = { running: { startedAt: time(c.startedAt) ?? ZERO_TIME } };
    s.ready = v.ready;
    s.started = v.started;
    if (v.previous && isDone(v.previous)) s.lastState = { terminated: terminatedState(v.previous, runtime, msg(v.previous)) };
  } else if (c && isDone(c)) {
    if (v.waiting) {
      s.state = { waiting: clean(v.waiting) };
      s.lastState = { terminated: terminatedState(c, runtime, msg(c)) };
    } else {
      s.state = { terminated: terminatedState(c, runtime, msg(c)) };
      if (v.previous && isDone(v.previous)) s.lastState = { terminated: terminatedState(v.previous, runtime, msg(v.previous)) };
    }
  } else {
    s.state = { waiting: clean(v.waiting ?? { reason: "ContainerCreating" }) };
    if (v.previous && isDone(v.previous)) s.lastState = { terminated: terminatedState(v.previous, runtime, msg(v.previous)) };
  }
  return s;
}

function clean(w: Waiting): KObj {
  return w.message ? { reason: w.reason, message: w.message } : { reason: w.reason };
}

function restartable(c: KObj | undefined): boolean {
  return c?.restartPolicy === "Always";
}

/** The kubelet's getPhase over computed container statuses. */
export function podPhase(pod: KObj, initStatuses: KObj[], statuses: KObj[]): string {
  const spec = pod.spec ?? {};
  let pendingInit = 0;
  let failedInit = 0;
  const byName = (list: KObj[], n: string) => list.find((s) => s.name === n);
  for (const c of (spec.initContainers ?? []) as KObj[]) {
    const st = byName(initStatuses, c.name);
    if (restartable(c)) {
      if (!st?.started) pendingInit++;
      continue;
    }
    if (!st) pendingInit++;
    else if (st.state?.running) pendingInit++;
    else if (st.state?.terminated) {
      if (st.state.terminated.exitCode !== 0) failedInit++;
    } else if (st.state?.waiting) {
      if (st.lastState?.terminated) {
        if (st.lastState.terminated.exitCode !== 0) failedInit++;
      } else pendingInit++;
    } else pendingInit++;
  }
  let unknown = 0;
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of (spec.containers ?? []) as KObj[]) {
    const st = byName(statuses, c.name);
    if (!st) unknown++;
    else if (st.state?.running) running++;
    else if (st.state?.terminated) {
      stopped++;
      if (st.state.terminated.exitCode === 0) succeeded++;
    } else if (st.state?.waiting) {
      if (st.lastState?.terminated) stopped++;
      else waiting++;
    } else unknown++;
  }
  const policy = spec.restartPolicy ?? "Always";
  if (failedInit > 0 && policy === "Never") return "Failed";
  if (pendingInit > 0 || waiting > 0) return "Pending";
  if (running > 0 && unknown === 0) return "Running";
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (policy === "Always") return "Running";
    if (stopped === succeeded) return "Succeeded";
    if (policy === "Never") return "Failed";
    return "Running";
  }
  return "Pending";
}

function condition(type: string, ok: boolean, reason?: string, message?: string): KObj {
  const c: KObj = { type, status: ok ? "True" : "False" };
  if (!ok && reason) c.reason = reason;
  if (!ok && message) c.message = message;
  return c;
}

/** Builds the full new status (everything the API had, with the agent's fields replaced). */
export function buildStatus(input: StatusInput): KObj {
  const { pod, runtime } = input;
  const old: KObj = pod.status ?? {};
  const spec = pod.spec ?? {};
  const initStatuses = input.init.map((v) => containerStatus(v, runtime));
  const statuses = input.regular.map((v) => containerStatus(v, runtime)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let phase = podPhase(pod, initStatuses, statuses);
  if (input.failure) phase = "Failed";
  if (old.phase === "Succeeded" || old.phase === "Failed") phase = old.phase;

  const incompleteInit = ((spec.initContainers ?? []) as KObj[])
    .filter((c) => {
      const st = initStatuses.find((s) => s.name === c.name);
      if (restartable(c)) return !st?.started;
      return !(st?.state?.terminated && st.state.terminated.exitCode === 0);
    })
    .map((c) => c.name);
  const initialized = incompleteInit.length === 0 || phase === "Succeeded";
  const unready = ((spec.containers ?? []) as KObj[]).filter((c) => !statuses.find((s) => s.name === c.name)?.ready).map((c) => c.name);
  const terminal = phase === "Succeeded" || phase === "Failed";
  const containersReady = unready.length === 0 && !terminal;
  const crReason = terminal ? "PodCompleted" : "ContainersNotReady";
  const crMessage = terminal ? undefined : `containers with unready status: [${unready.join(" ")}]`;

  // Readiness gates: conditions set by others.
  const gateProblems: string[] = [];
  for (const g of (spec.readinessGates ?? []) as KObj[]) {
    const c = ((old.conditions ?? []) as KObj[]).find((x) => x.type === g.conditionType);
    if (!c) gateProblems.push(`corresponding condition of pod readiness gate "${g.conditionType}" does not exist.`);
    else if (c.status !== "True") gateProblems.push(`the status of pod readiness gate "${g.conditionType}" is not "True", but ${c.status}`);
  }
  const ready = containersReady && gateProblems.length === 0;

  const own: Record<string, KObj> = {
    PodReadyToStartContainers: condition("PodReadyToStartContainers", input.sandboxReady && !terminal),
    Initialized: condition("Initialized", initialized, "ContainersNotInitialized", `containers with incomplete status: [${incompleteInit.join(" ")}]`),
    Ready: containersReady && gateProblems.length > 0
      ? condition("Ready", false, "ReadinessGatesNotReady", gateProblems.join(", "))
      : condition("Ready", ready, crReason, crMessage),
    ContainersReady: condition("ContainersReady", containersReady, crReason, crMessage),
  };
  const nowStr = rfc3339(input.now);
  const conditions: KObj[] = [];
  const oldConds = (old.conditions ?? []) as KObj[];
  const stamp = (c: KObj) => {
    const prev = oldConds.find((x) => x.type === c.type);
    return { ...c, lastTransitionTime: prev && prev.status === c.status ? (prev.lastTransitionTime ?? nowStr) : nowStr };
  };
  for (const t of OWN_CONDITIONS) conditions.push(stamp(own[t]!));
  for (const c of oldConds) if (!(OWN_CONDITIONS as readonly string[]).includes(c.type)) conditions.push(c);
  if (!conditions.some((c) => c.type === "PodScheduled")) conditions.push(stamp({ type: "PodScheduled", status: "True" }));

  const next: KObj = { ...old, phase, conditions };
  if (input.hostIPs.length) {
    next.hostIP = input.hostIPs[0];
    next.hostIPs = input.hostIPs.map((ip) => ({ ip }));
  }
  // A pod keeps its last known IPs while its sandbox is being replaced.
  if (input.podIPs.length) {
    next.podIP = input.podIPs[0];
    next.podIPs = input.podIPs.map((ip) => ({ ip }));
  }
  next.startTime = old.startTime ?? rfc3339(input.startTime);
  if (input.failure) {
    next.reason = input.failure.reason;
    next.message = input.failure.message;
  }
  next.containerStatuses = statuses;
  if ((spec.initContainers ?? []).length > 0) next.initContainerStatuses = initStatuses;
  else delete next.initContainerStatuses;
  return next;
}

/** The merge patch from the API's status to `next`; undefined when there is nothing to send. */
export function statusPatch(current: KObj | undefined, next: KObj): KObj | undefined {
  return mergePatch(current ?? {}, next);
}
