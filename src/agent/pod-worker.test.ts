import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import type { KObj } from "../client/client.ts";
import { EventRecorder } from "../client/events.ts";
import { Backoff } from "./backoff.ts";
import { ConfigSource } from "./config-source.ts";
import type { AgentContext } from "./context.ts";
import { FakeRuntime } from "./fake-runtime.ts";
import { ImageManager } from "./images.ts";
import { Limiter } from "./limiter.ts";
import { applyMergePatch } from "./merge-diff.ts";
import { containerLabels, containerName, containerHash, sandboxLabels, sandboxName } from "./names.ts";
import { PodWorker } from "./pod-worker.ts";
import { Prober } from "./prober.ts";
import { runAction } from "./probes.ts";
import { RuntimeCache } from "./runtime-cache.ts";
import { fakeGetClient, testPod } from "./testing.ts";
import { TokenSource } from "./volumes/tokens.ts";

const NODE = "n1";
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** An API with one pod: status PATCHes are applied, DELETEs recorded, events accepted. */
function fakeApi(pod: KObj) {
  const state = { pod: structuredClone(pod) as KObj | null, rv: 10, patches: [] as KObj[], deletes: [] as KObj[], events: [] as KObj[] };
  const podPath = `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}`;
  const client = fakeGetClient(new Map(), [], (method, path, body) => {
    const json = (o: unknown, status = 200) => new Response(JSON.stringify(o), { status });
    if (method === "PATCH" && path === `${podPath}/status`) {
      state.patches.push(body!);
      if (!state.pod) return json({ code: 404, reason: "NotFound" }, 404);
      state.pod.status = applyMergePatch(state.pod.status ?? {}, body!.status) as KObj;
      state.pod.metadata.resourceVersion = String(++state.rv);
      return json(state.pod);
    }
    if (method === "DELETE" && path === podPath) {
      state.deletes.push(body!);
      state.pod = null;
      return json({ kind: "Status", status: "Success" });
    }
    if (path.includes("/events")) {
      if (method === "POST") state.events.push(body!);
      return json(body ?? {}, method === "POST" ? 201 : 200);
    }
    return undefined;
  });
  return { state, client };
}

function setup(pod: KObj, rt = new FakeRuntime(), backoffMs = 200) {
  pod.metadata.resourceVersion = "5";
  const api = fakeApi(pod);
  const podsDir = mkdtempSync("/tmp/kite-worker-test-");
  let worker: PodWorker | null = null;
  const cache = new RuntimeCache(rt, NODE, { relistMs: 60_000, onPodChange: () => worker?.request() });
  const prober = new Prober({ run: runAction, target: (_u, c) => worker?.target(c) ?? null, onChange: () => worker?.request(), onFailure: () => {} });
  const ctx: AgentContext = {
    nodeName: NODE,
    runtime: rt,
    runtimeName: "podman",
    cache,
    client: api.client,
    recorder: new EventRecorder(api.client, "kubelet", NODE),
    source: new ConfigSource(api.client),
    tokens: new TokenSource(api.client),
    prober,
    backoff: new Backoff({ initialMs: backoffMs, maxMs: backoffMs * 8 }),
    images: new ImageManager(rt, new Backoff({ initialMs: backoffMs })),
    limiter: new Limiter(4),
    podsDir,
    hostIPs: () => ["127.0.0.1"],
    allocatable: () => ({ cpu: "2", memory: "1Gi" }),
    canMount: false,
    tunables: { volumeRefreshMs: 60_000, relistMs: 60_000 },
  };
  let finished = false;
  const make = async () => {
    await cache.start();
    worker = new PodWorker(ctx, structuredClone(pod), () => (finished = true));
    return worker;
  };
  cleanups.push(() => {
    worker?.stop();
    prober.stopAll();
    cache.stop();
    rmSync(podsDir, { recursive: true, force: true });
  });
  return { api, rt, ctx, make, isFinished: () => finished, worker: () => worker! };
}

async function until(what: string, cond: () => boolean, ms = 5000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await Bun.sleep(10);
  }
}

const ready = (p: KObj | null) => (p?.status?.conditions ?? []).some((c: KObj) => c.type === "Ready" && c.status === "True");
const basePod = (extra: KObj = {}) => testPod({ nodeName: NODE, terminationGracePeriodSeconds: 3, containers: [{ name: "app", image: "localhost/img:1", imagePullPolicy: "IfNotPresent", command: ["sleep", "1d"] }], ...extra });

test("a new pod gets a sandbox and its container, then one Ready status", async () => {
  const s = setup(basePod());
  const w = await s.make();
  w.request();
  await until("Ready", () => ready(s.api.state.pod));
  const st = s.api.state.pod!.status;
  expect(st.phase).toBe("Running");
  expect(st.podIP).toBe("10.88.0.2");
  expect(st.containerStatuses[0]).toMatchObject({ name: "app", ready: true, restartCount: 0, started: true });
  expect(s.rt.calls.filter((c) => c.startsWith("createSandbox")).length).toBe(1);
  expect(s.rt.calls.filter((c) => c.startsWith("createContainer")).length).toBe(1);
  // Nothing changes any more: no further writes.
  const writes = s.api.state.patches.length;
  w.update({ ...s.api.state.pod! });
  w.request();
  await Bun.sleep(100);
  expect(s.api.state.patches.length).toBe(writes);
  const reasons = s.api.state.events.map((e) => `${e.reason}@${e.involvedObject.fieldPath ?? ""}`);
  expect(reasons).toEqual(expect.arrayContaining(["Pulled@spec.containers{app}", "Created@spec.containers{app}", "Started@spec.containers{app}"]));
});

test("an agent restart adopts the running containers: nothing created, started or stopped", async () => {
  const pod = basePod();
  const rt = new FakeRuntime();
  const sb = await rt.createSandbox({ name: sandboxName(pod.metadata), labels: sandboxLabels(NODE, pod.metadata) });
  const c = pod.spec.containers[0];
  const id = await rt.createContainer({ name: containerName(pod.metadata, "app", 0), sandboxId: sb.id, image: c.image, labels: containerLabels(NODE, pod.metadata, { name: "app", type: "regular", restartCount: 0, hash: containerHash(c) }) });
  await rt.startContainer(id);
  rt.calls.length = 0;
  const s = setup(pod, rt);
  const w = await s.make();
  w.request();
  await until("Ready", () => ready(s.api.state.pod));
  expect(rt.calls.filter((x) => !x.startsWith("imageExists"))).toEqual([]);
  expect(s.api.state.pod!.status.containerStatuses[0].containerID).toBe(`podman://${id}`);
});

test("a crashing container restarts at once, then waits in CrashLoopBackOff with growing delays", async () => {
  const rt = new FakeRuntime();
  rt.exitOnStart = () => 2;
  const s = setup(basePod(), rt, 300);
  const w = await s.make();
  const starts: number[] = [];
  const origStart = rt.startContainer.bind(rt);
  rt.startContainer = async (id) => {
    starts.push(Date.now());
    await origStart(id);
  };
  w.request();
  await until("4 starts", () => starts.length >= 4, 8000);
  const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
  expect(gaps[0]!).toBeLessThan(250); // first restart: no back-off
  expect(gaps[1]!).toBeGreaterThanOrEqual(280); // 300 ms
  expect(gaps[2]!).toBeGreaterThanOrEqual(580); // 600 ms
  await until("CrashLoopBackOff reported", () => s.api.state.pod?.status?.containerStatuses?.[0]?.state?.waiting?.reason === "CrashLoopBackOff");
  const cs = s.api.state.pod!.status.containerStatuses[0];
  expect(cs.lastState.terminated.exitCode).toBe(2);
  expect(cs.restartCount).toBeGreaterThanOrEqual(2);
  // Old attempts are removed: at most the current and the previous one stay.
  await until("gc", () => rt.containers.size <= 2);
});

test("deletion: grace period to the engine, sandbox removed, DELETE with a uid precondition", async () => {
  const s = setup(basePod());
  const w = await s.make();
  w.request();
  await until("Ready", () => ready(s.api.state.pod));
  const deleting = structuredClone(s.api.state.pod!);
  deleting.metadata.deletionTimestamp = new Date().toISOString();
  deleting.metadata.deletionGracePeriodSeconds = 3;
  deleting.metadata.resourceVersion = "999";
  w.update(deleting);
  await until("finished", () => s.isFinished());
  expect(s.rt.calls.some((c) => /^stopContainer [0-9a-f]+ [23]$/.test(c))).toBe(true);
  expect(s.rt.sandboxes.size).toBe(0);
  expect(s.rt.containers.size).toBe(0);
  expect(s.api.state.deletes).toEqual([{ kind: "DeleteOptions", apiVersion: "v1", gracePeriodSeconds: 0, preconditions: { uid: deleting.metadata.uid } }]);
  expect(s.api.state.events.some((e) => e.reason === "Killing" && e.message === "Stopping container app")).toBe(true);
});

test("a dead sandbox is replaced and the containers start again with a higher restart count", async () => {
  const s = setup(basePod());
  const w = await s.make();
  w.request();
  await until("Ready", () => ready(s.api.state.pod));
  const [oldSb] = [...s.rt.sandboxes.keys()];
  await s.rt.stopSandbox(oldSb!); // the infra died; its containers with it
  await s.ctx.cache.relist();
  await until("new sandbox and container running", () => s.rt.sandboxes.size === 1 && !s.rt.sandboxes.has(oldSb!) && [...s.rt.containers.values()].some((c) => c.state === "running"));
  await until("Ready again", () => ready(s.api.state.pod) && s.api.state.pod!.status.containerStatuses[0].restartCount === 1);
  expect(s.api.state.events.some((e) => e.reason === "SandboxChanged")).toBe(true);
});

test("a container left half-created by an earlier agent (name taken) is taken over, not duplicated", async () => {
  const pod = basePod();
  const rt = new FakeRuntime();
  const sb = await rt.createSandbox({ name: sandboxName(pod.metadata), labels: sandboxLabels(NODE, pod.metadata) });
  const s = setup(pod, rt);
  const w = await s.make();
  // The relist has not seen it yet: the engine has a created container the cache does not know.
  const c = pod.spec.containers[0];
  await rt.createContainer({ name: containerName(pod.metadata, "app", 0), sandboxId: sb.id, image: c.image, labels: containerLabels(NODE, pod.metadata, { name: "app", type: "regular", restartCount: 0, hash: containerHash(c) }) });
  w.request();
  await until("Ready", () => ready(s.api.state.pod));
  expect(rt.containers.size).toBe(1);
  expect([...rt.containers.values()][0]!.state).toBe("running");
});

test("restartPolicy Never: a failed container makes the pod Failed and the sandbox is stopped", async () => {
  const rt = new FakeRuntime();
  rt.exitOnStart = () => 1;
  const s = setup(basePod({ restartPolicy: "Never" }), rt);
  const w = await s.make();
  w.request();
  await until("Failed", () => s.api.state.pod?.status?.phase === "Failed");
  await until("sandbox stopped", () => [...rt.sandboxes.values()].every((x) => x.state === "notready"));
  expect(rt.calls.filter((c) => c.startsWith("createContainer")).length).toBe(1);
});

test("activeDeadlineSeconds: the pod is killed and fails with DeadlineExceeded", async () => {
  const s = setup(basePod({ activeDeadlineSeconds: 1 }));
  const w = await s.make();
  w.request();
  await until("Failed", () => s.api.state.pod?.status?.phase === "Failed", 5000);
  expect(s.api.state.pod!.status).toMatchObject({ reason: "DeadlineExceeded", message: "Pod was active on the node longer than the specified deadline" });
  expect(s.rt.calls.some((c) => c.startsWith("stopContainer"))).toBe(true);
  expect(s.api.state.pod!.status.containerStatuses[0].state.terminated.exitCode).toBe(137);
});
