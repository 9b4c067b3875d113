import { expect, test } from "bun:test";
import type { KObj } from "../client/client.ts";
import type { ContainerInfo } from "./runtime/types.ts";
import { buildStatus, type ContainerView, podPhase, statusPatch } from "./status.ts";
import { testPod } from "./testing.ts";

const T0 = new Date("2026-01-01T00:00:00Z");
const T1 = new Date("2026-01-01T00:00:10Z");

function info(over: Partial<ContainerInfo>): ContainerInfo {
  return { id: "id1", name: "n", labels: {}, state: "running", exitCode: null, createdAt: T0, startedAt: T0, finishedAt: null, oomKilled: false, image: "img", imageId: "sha256:abc", sandboxId: "sb", error: "", pid: 1, ...over };
}
function view(name: string, over: Partial<ContainerView> = {}): ContainerView {
  return { name, image: "img", latest: null, previous: null, restartCount: 0, ready: false, started: false, ...over };
}
const exited = (code: number, id = "id1", extra: Partial<ContainerInfo> = {}) => info({ id, state: "exited", exitCode: code, finishedAt: T1, ...extra });

function status(pod: KObj, init: ContainerView[], regular: ContainerView[]) {
  return buildStatus({ pod, runtime: "podman", init, regular, sandboxReady: true, podIPs: ["10.88.0.5"], hostIPs: ["127.0.0.1"], startTime: T0, now: T1 });
}
const cond = (s: KObj, type: string) => s.conditions.find((c: KObj) => c.type === type);

test("running and ready container: Running, all conditions True, IPs and container status", () => {
  const pod = testPod({ containers: [{ name: "c", image: "img" }] });
  const s = status(pod, [], [view("c", { latest: info({}), ready: true, started: true })]);
  expect(s.phase).toBe("Running");
  expect(s.conditions.map((c: KObj) => `${c.type}=${c.status}`)).toEqual(["PodReadyToStartContainers=True", "Initialized=True", "Ready=True", "ContainersReady=True", "PodScheduled=True"]);
  expect(s.podIP).toBe("10.88.0.5");
  expect(s.podIPs).toEqual([{ ip: "10.88.0.5" }]);
  expect(s.hostIPs).toEqual([{ ip: "127.0.0.1" }]);
  expect(s.containerStatuses[0]).toEqual({ name: "c", state: { running: { startedAt: "2026-01-01T00:00:00Z" } }, lastState: {}, ready: true, restartCount: 0, image: "img", imageID: "sha256:abc", started: true, containerID: "podman://id1" });
});

test("crash loop: waiting CrashLoopBackOff with lastState terminated, phase Running under Always", () => {
  const pod = testPod({ containers: [{ name: "c" }] });
  const s = status(pod, [], [view("c", { latest: exited(1, "id2"), restartCount: 2, waiting: { reason: "CrashLoopBackOff", message: "back-off 20s" } })]);
  expect(s.phase).toBe("Running");
  const cs = s.containerStatuses[0];
  expect(cs.state).toEqual({ waiting: { reason: "CrashLoopBackOff", message: "back-off 20s" } });
  expect(cs.lastState.terminated).toMatchObject({ exitCode: 1, reason: "Error", containerID: "podman://id2", finishedAt: "2026-01-01T00:00:10Z" });
  expect(cs.restartCount).toBe(2);
  expect(cond(s, "Ready")).toMatchObject({ status: "False", reason: "ContainersNotReady", message: "containers with unready status: [c]" });
});

test("phases: Succeeded, Failed, Pending; OOMKilled and StartError reasons", () => {
  const never = testPod({ restartPolicy: "Never", containers: [{ name: "a" }, { name: "b" }] });
  expect(status(never, [], [view("a", { latest: exited(0) }), view("b", { latest: exited(0, "id3") })]).phase).toBe("Succeeded");
  const failed = status(never, [], [view("a", { latest: exited(0) }), view("b", { latest: exited(137, "id3", { oomKilled: true }) })]);
  expect(failed.phase).toBe("Failed");
  expect(failed.containerStatuses[1].state.terminated.reason).toBe("OOMKilled");
  expect(cond(failed, "Ready")).toMatchObject({ status: "False", reason: "PodCompleted" });
  expect(status(never, [], [view("a"), view("b", { latest: info({}) })]).phase).toBe("Pending");
  const se = status(never, [], [view("a", { latest: info({ state: "created", startedAt: null, error: "exec: nope: not found" }) }), view("b", { latest: exited(0) })]);
  expect(se.containerStatuses[0].state.terminated).toMatchObject({ reason: "StartError", exitCode: 128, message: "exec: nope: not found" });
  const onFailure = testPod({ restartPolicy: "OnFailure", containers: [{ name: "a" }] });
  expect(status(onFailure, [], [view("a", { latest: exited(1), waiting: { reason: "CrashLoopBackOff" } })]).phase).toBe("Running");
  expect(status(onFailure, [], [view("a", { latest: exited(0) })]).phase).toBe("Succeeded");
  // A terminal phase never goes back.
  const done = testPod({ containers: [{ name: "a" }] });
  done.status = { phase: "Failed" };
  expect(status(done, [], [view("a", { latest: info({}) })]).phase).toBe("Failed");
});

test("init containers: Initialized condition, PodInitializing, failed init under Never", () => {
  const pod = testPod({ initContainers: [{ name: "i1" }, { name: "i2" }], containers: [{ name: "c" }] });
  const s = status(pod, [view("i1", { latest: exited(0) }), view("i2", { latest: info({ id: "i2" }) })], [view("c", { waiting: { reason: "PodInitializing" } })]);
  expect(s.phase).toBe("Pending");
  expect(cond(s, "Initialized")).toMatchObject({ status: "False", reason: "ContainersNotInitialized", message: "containers with incomplete status: [i2]" });
  expect(s.initContainerStatuses.map((x: KObj) => x.name)).toEqual(["i1", "i2"]);
  expect(s.containerStatuses[0].state.waiting.reason).toBe("PodInitializing");
  pod.spec.restartPolicy = "Never";
  expect(status(pod, [view("i1", { latest: exited(2) }), view("i2")], [view("c", { waiting: { reason: "PodInitializing" } })]).phase).toBe("Failed");
  const sidecar = testPod({ initContainers: [{ name: "side", restartPolicy: "Always" }], containers: [{ name: "c" }] });
  const s2 = status(sidecar, [view("side", { latest: info({ id: "s" }), started: true, ready: true })], [view("c", { latest: info({}), ready: true, started: true })]);
  expect(s2.phase).toBe("Running");
  expect(cond(s2, "Initialized").status).toBe("True");
});

test("readiness gates hold Ready; conditions keep their transition time; patch only on change", () => {
  const pod = testPod({ readinessGates: [{ conditionType: "example.com/gate" }], containers: [{ name: "c" }] });
  const s = status(pod, [], [view("c", { latest: info({}), ready: true, started: true })]);
  expect(cond(s, "ContainersReady").status).toBe("True");
  expect(cond(s, "Ready")).toMatchObject({ status: "False", reason: "ReadinessGatesNotReady" });
  pod.status = { ...s, conditions: [...s.conditions, { type: "example.com/gate", status: "True" }] };
  const later = buildStatus({ pod, runtime: "podman", init: [], regular: [view("c", { latest: info({}), ready: true, started: true })], sandboxReady: true, podIPs: ["10.88.0.5"], hostIPs: ["127.0.0.1"], startTime: T1, now: new Date("2026-01-01T00:05:00Z") });
  expect(cond(later, "Ready")).toMatchObject({ status: "True", lastTransitionTime: "2026-01-01T00:05:00Z" });
  expect(cond(later, "ContainersReady").lastTransitionTime).toBe("2026-01-01T00:00:10Z");
  expect(later.startTime).toBe("2026-01-01T00:00:00Z");
  expect(statusPatch(pod.status, later)).toBeDefined();
  expect(statusPatch(later, buildStatus({ pod: { ...pod, status: later }, runtime: "podman", init: [], regular: [view("c", { latest: info({}), ready: true, started: true })], sandboxReady: true, podIPs: ["10.88.0.5"], hostIPs: ["127.0.0.1"], startTime: T1, now: new Date("2026-01-01T01:00:00Z") }))).toBeUndefined();
});

test("podPhase counts missing statuses as unknown (Pending)", () => {
  expect(podPhase(testPod({ containers: [{ name: "a" }] }), [], [])).toBe("Pending");
});
