/**
 * @module test/agent/suite
 * The node agent against a REAL engine and a REAL `kite server`: podman.test.ts and
 * docker.test.ts run it with their set-up. An in-process agent (short back-off and
 * refresh periods so the suite stays fast) runs pods of the local test image; the
 * adoption test runs `kite agent` as a real process and SIGKILLs it. Every pod lives
 * in its own namespace-free name space of the run; every engine object carries the
 * run's node name and is removed in afterAll.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { KObj, KubeClient } from "../../src/client/client.ts";
import { R } from "../../src/client/resources.ts";
import { type RunningAgent, startAgent as startInProcessAgent } from "../../src/agent/agent.ts";
import { type ContainerRuntime, LABELS } from "../../src/agent/runtime/types.ts";
import { freePort, type KiteProcess, type KiteServer, startAgent as startAgentProcess, startServer } from "../lib/kite.ts";
import { TEST_IMAGE } from "../lib/test-image.ts";
import { adminClient, cleanupNode, condition, getPod, podEvents, waitFor } from "./lib.ts";

process.env.KITE_TEST_SOURCE ??= "1";

export interface EngineSetup {
  engine: "podman" | "docker";
  runtime: ContainerRuntime;
  /** Environment the engine CLI needs (CONTAINERS_CONF / DOCKER_HOST). */
  env: Record<string, string>;
  teardown(): Promise<void>;
}

const NS = "default";

function pod(name: string, node: string, spec: KObj): KObj {
  return { apiVersion: "v1", kind: "Pod", metadata: { name, namespace: NS, labels: { test: "agent" } }, spec: { nodeName: node, terminationGracePeriodSeconds: 2, ...spec } };
}

function container(name: string, extra: KObj): KObj {
  return { name, image: TEST_IMAGE, imagePullPolicy: "IfNotPresent", ...extra };
}

export function agentSuite(name: "podman" | "docker", setup: () => Promise<EngineSetup>): void {
  describe(`node agent on ${name}`, () => {
    const run = Math.random().toString(36).slice(2, 7);
    const node = `agent-${name}-${run}`;
    let eng: EngineSetup;
    let server: KiteServer;
    let client: KubeClient;
    let agent: RunningAgent;
    let dataDir = "";
    const extraNodes: string[] = [];

    beforeAll(async () => {
      dataDir = mkdtempSync("/tmp/kite-agent-test-");
      eng = await setup();
      server = await startServer();
      client = adminClient(server);
      agent = await startInProcessAgent({
        client,
        nodeName: node,
        nodeIps: ["127.0.0.1"],
        labels: { "test.kite.io/run": run },
        taints: [{ key: "test.kite.io/dedicated", value: "agent", effect: "NoSchedule" }],
        dataDir,
        containerRuntime: eng.runtime,
        tuning: { volumeRefreshMs: 1000, relistMs: 5000, backoffInitialMs: 2000, backoffMaxMs: 32_000, nodeStatusMs: 2000 },
      });
    }, 120_000);

    afterAll(async () => {
      await agent?.stop();
      if (eng) for (const n of [node, ...extraNodes]) await cleanupNode(eng.runtime, n);
      await server?.stop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
      await eng?.teardown();
    }, 120_000);

    const podContainers = async (uid: string) => eng.runtime.listContainers({ [LABELS.nodeName]: node, [LABELS.podUid]: uid });
    /** Force-deletes a test's pods so their restarts stop loading the machine. */
    const drop = async (...names: string[]) => {
      for (const n of names) await client.deleteIgnoreNotFound(R.pods, NS, n, { gracePeriodSeconds: 0 }).catch(() => {});
    };

    test("the Node carries capacity, labels, taints, nodeInfo and a Ready condition; the Lease is renewed", async () => {
      const n = await waitFor("node Ready", async () => {
        const o = await client.get(R.nodes, undefined, node);
        return condition(o, "Ready") === "True" ? o : null;
      });
      expect(n.metadata.labels).toMatchObject({ "kubernetes.io/hostname": node, "kubernetes.io/os": "linux", "test.kite.io/run": run });
      expect(n.metadata.labels["kubernetes.io/arch"]).toMatch(/^(amd64|arm64|arm)$/);
      expect(n.spec.taints).toEqual([{ key: "test.kite.io/dedicated", value: "agent", effect: "NoSchedule" }]);
      expect(Number(n.status.capacity.cpu)).toBeGreaterThan(0);
      expect(n.status.capacity.pods).toBe("110");
      expect(n.status.allocatable.memory).toMatch(/^\d+Ki$/);
      expect(n.status.nodeInfo.containerRuntimeVersion).toMatch(new RegExp(`^${name}://\\d`));
      expect(n.status.nodeInfo.kubeletVersion).toContain("kite");
      expect(n.status.addresses).toContainEqual({ type: "InternalIP", address: "127.0.0.1" });
      const lease = await client.get(R.leases, "kube-node-lease", node);
      expect(lease.spec.holderIdentity).toBe(node);
      expect(lease.metadata.ownerReferences?.[0]).toMatchObject({ kind: "Node", name: node, uid: n.metadata.uid });
    }, 30_000);

    test.concurrent("a pod with a configMap volume, a secret env var and a readiness probe becomes Ready; the volume follows the ConfigMap", async () => {
      const cleanup = [`web-${run}`];
      try {
        const p = `web-${run}`;
        const hostPort = freePort();
        await client.create(R.configmaps, NS, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `cfg-${run}` }, data: { "index.html": "version one" } });
        await client.create(R.secrets, NS, { apiVersion: "v1", kind: "Secret", metadata: { name: `sec-${run}` }, data: { password: Buffer.from("s3cret").toString("base64") } });
        const created = await client.create(
          R.pods,
          NS,
          pod(p, node, {
            volumes: [{ name: "cfg", configMap: { name: `cfg-${run}` } }, { name: "www", emptyDir: {} }],
            containers: [
              container("web", {
                command: ["sh", "-c", 'echo -n "$PASSWORD" > /www/pw && exec httpd -f -p 8080 -h /'],
                env: [{ name: "PASSWORD", valueFrom: { secretKeyRef: { name: `sec-${run}`, key: "password" } } }],
                ports: [{ containerPort: 8080, name: "http", hostPort, hostIP: "127.0.0.1" }],
                volumeMounts: [{ name: "cfg", mountPath: "/cfg" }, { name: "www", mountPath: "/www" }],
                readinessProbe: { httpGet: { path: "/cfg/index.html", port: "http" }, periodSeconds: 1 },
              }),
            ],
          }),
        );
        const ready = await waitFor("pod Ready", async () => {
          const o = await getPod(client, NS, p);
          return condition(o, "Ready") === "True" ? o : null;
        });
        expect(ready.status.phase).toBe("Running");
        for (const t of ["PodScheduled", "Initialized", "ContainersReady", "PodReadyToStartContainers"]) expect(condition(ready, t)).toBe("True");
        const cs = ready.status.containerStatuses[0];
        expect(cs).toMatchObject({ name: "web", ready: true, started: true, restartCount: 0, image: TEST_IMAGE });
        expect(cs.containerID).toStartWith(`${name}://`);
        expect(cs.imageID).toMatch(/sha256:[0-9a-f]{64}/);
        expect(cs.state.running.startedAt).toBeDefined();
        const ip = ready.status.podIP;
        expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
        expect(ready.status.podIPs).toEqual([{ ip }]);
        expect(ready.status.hostIP).toBe("127.0.0.1");
        expect(await (await fetch(`http://${ip}:8080/www/pw`)).text()).toBe("s3cret");
        expect(await (await fetch(`http://${ip}:8080/cfg/index.html`)).text()).toBe("version one");
        // The hostPort is published on the host.
        expect(await (await fetch(`http://127.0.0.1:${hostPort}/www/pw`)).text()).toBe("s3cret");
        // The ConfigMap changes: the file follows (atomic ..data swap), the container keeps running.
        await client.patch(R.configmaps, NS, `cfg-${run}`, { data: { "index.html": "version two" } });
        await waitFor("configMap update in the volume", async () => (await (await fetch(`http://${ip}:8080/cfg/index.html`)).text()) === "version two", 20_000);
        const after = await getPod(client, NS, p);
        expect(after!.status.containerStatuses[0].containerID).toBe(cs.containerID);
        const events = await podEvents(client, NS, p);
        const reasons = events.filter((e) => e.involvedObject.fieldPath === "spec.containers{web}").map((e) => e.reason);
        expect(reasons).toEqual(expect.arrayContaining(["Pulled", "Created", "Started"]));
        expect(events.every((e) => e.involvedObject.uid === created.metadata.uid && e.source.component === "kubelet")).toBe(true);
        // kubectl describe tells the story.
        const d = await server.kubectl(["describe", "pod", p, "-n", NS]);
        expect(d.code).toBe(0);
        expect(d.stdout).toMatch(/Status:\s+Running/);
        expect(d.stdout).toMatch(/Started container web/);
        expect(d.stdout).toMatch(new RegExp(`\\nIP:\\s+${ip.replace(/\./g, "\\.")}\\n`));
      } finally {
        await drop(...cleanup);
      }
    }, 150_000);

    test.concurrent("another node's objects on the same engine are never touched", async () => {
      const other = `other-${run}`;
      extraNodes.push(other);
      const foreign = { namespace: NS, name: `foreign-${run}`, uid: crypto.randomUUID() };
      const sb = await eng.runtime.createSandbox({ name: `k8s_foreign_${run}`, labels: { [LABELS.nodeName]: other, [LABELS.podUid]: foreign.uid, [LABELS.podName]: foreign.name, [LABELS.podNamespace]: NS } });
      // Its pod does not exist in the API, so for its own node it would be an orphan; for this node it is not ours.
      await Bun.sleep(12_000); // more than two relist periods of the suite's agent
      const left = await eng.runtime.listSandboxes({ [LABELS.nodeName]: other });
      expect(left.map((x) => x.id)).toEqual([sb.id]);
    }, 60_000);

    test.concurrent("a failing liveness probe restarts the container with growing back-off", async () => {
      const cleanup = [`live-${run}`];
      try {
        const p = `live-${run}`;
        await client.create(R.pods, NS, pod(p, node, { terminationGracePeriodSeconds: 1, containers: [container("app", { command: ["sleep", "3600"], livenessProbe: { tcpSocket: { port: 9 }, periodSeconds: 1, failureThreshold: 1 } })] }));
        // Seconds between the end of attempt n-1 and the start of attempt n, from the engine's timestamps.
        const gaps = new Map<number, number>();
        const o = await waitFor(
          "a third restart observed",
          async () => {
            const x = await getPod(client, NS, p);
            const cs = x?.status?.containerStatuses?.[0];
            const started = cs?.state?.running?.startedAt;
            const finished = cs?.lastState?.terminated?.finishedAt;
            if (started && finished && cs.restartCount > 0) gaps.set(cs.restartCount, (Date.parse(started) - Date.parse(finished)) / 1000);
            return [...gaps.keys()].some((n) => n >= 3) ? x : null;
          },
          140_000,
          100,
        );
        expect(o.status.containerStatuses[0].lastState.terminated.exitCode).toBe(137);
        // Back-off (test tuning 2 s, 4 s, 8 s …): restart n >= 2 waits at least 2^(n-1) s after the previous attempt ended
        // (timestamps have one-second resolution).
        for (const [n, gap] of gaps) if (n >= 2) expect(gap).toBeGreaterThanOrEqual(2 ** (n - 1) - 1);
        const events = await podEvents(client, NS, p);
        const unhealthy = events.find((e) => e.reason === "Unhealthy");
        expect(unhealthy?.message).toStartWith("Liveness probe failed");
        expect(unhealthy?.involvedObject.fieldPath).toBe("spec.containers{app}");
        expect(events.some((e) => e.reason === "Killing" && /failed liveness probe, will be restarted/.test(e.message))).toBe(true);
        // Only the current and the previous attempt stay on the engine.
        await waitFor("old attempts removed", async () => (await podContainers(o.metadata.uid)).length <= 2, 30_000);
      } finally {
        await drop(...cleanup);
      }
    }, 180_000);

    test.concurrent("a crashing container reaches CrashLoopBackOff; exit codes and messages are reported", async () => {
      const cleanup = [`crash-${run}`, `once-${run}`];
      try {
        const p = `crash-${run}`;
        await client.create(R.pods, NS, pod(p, node, { containers: [container("boom", { command: ["sh", "-c", "echo bye > /dev/termination-log; exit 3"] })] }));
        const o = await waitFor("CrashLoopBackOff", async () => {
          const x = await getPod(client, NS, p);
          return x?.status?.containerStatuses?.[0]?.state?.waiting?.reason === "CrashLoopBackOff" ? x : null;
        });
        const cs = o.status.containerStatuses[0];
        expect(cs.state.waiting.message).toMatch(/^back-off \d+s restarting failed container=boom pod=/);
        expect(cs.lastState.terminated).toMatchObject({ exitCode: 3, reason: "Error", message: "bye\n" });
        expect(cs.restartCount).toBeGreaterThanOrEqual(1);
        expect(o.status.phase).toBe("Running");
        expect(condition(o, "Ready")).toBe("False");
        expect((await podEvents(client, NS, p)).some((e) => e.reason === "BackOff" && e.type === "Warning")).toBe(true);

        // restartPolicy Never: the pod fails and stays failed, nothing restarts.
        const q = `once-${run}`;
        await client.create(R.pods, NS, pod(q, node, { restartPolicy: "Never", containers: [container("once", { command: ["sh", "-c", "exit 7"] })] }));
        const failed = await waitFor("Failed", async () => {
          const x = await getPod(client, NS, q);
          return x?.status?.phase === "Failed" ? x : null;
        });
        expect(failed.status.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 7, reason: "Error" });
        expect(failed.status.containerStatuses[0].restartCount).toBe(0);
      } finally {
        await drop(...cleanup);
      }
    }, 150_000);

    test.concurrent("container settings: securityContext, downward API env, limits; OOMKilled is reported", async () => {
      const cleanup = [`settings-${run}`, `oom-${run}`];
      try {
        const p = `settings-${run}`;
        await client.create(
          R.pods,
          NS,
          pod(p, node, {
            restartPolicy: "Never",
            securityContext: { runAsUser: 1000, runAsGroup: 3000 },
            containers: [
              container("probe", {
                command: ["sh", "-c", 'echo "$(id -u):$(id -g) $(touch /x 2>/dev/null && echo rw || echo ro) $POD $NODE $MEM $(hostname)" > /dev/termination-log'],
                securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
                resources: { limits: { memory: "32Mi", cpu: "500m" } },
                env: [
                  { name: "POD", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
                  { name: "NODE", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
                  { name: "MEM", valueFrom: { resourceFieldRef: { resource: "limits.memory", divisor: "1Mi" } } },
                ],
              }),
            ],
          }),
        );
        const done = await waitFor("Succeeded", async () => {
          const x = await getPod(client, NS, p);
          return x?.status?.phase === "Succeeded" ? x : null;
        });
        expect(done.status.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 0, reason: "Completed", message: `1000:3000 ro ${p} ${node} 32 ${p}\n` });

        const q = `oom-${run}`;
        await client.create(R.pods, NS, pod(q, node, { restartPolicy: "Never", containers: [container("hog", { command: ["sh", "-c", 'x=a; while true; do x="$x$x"; done'], resources: { limits: { memory: "32Mi" } } })] }));
        const oom = await waitFor("Failed", async () => {
          const x = await getPod(client, NS, q);
          return x?.status?.phase === "Failed" ? x : null;
        });
        expect(oom.status.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 137, reason: "OOMKilled" });
      } finally {
        await drop(...cleanup);
      }
    }, 150_000);

    test.concurrent("init containers run in order before the containers; OnFailure pods succeed", async () => {
      const cleanup = [`init-${run}`];
      try {
        const p = `init-${run}`;
        await client.create(
          R.pods,
          NS,
          pod(p, node, {
            restartPolicy: "OnFailure",
            volumes: [{ name: "work", emptyDir: {} }],
            initContainers: [
              container("first", { command: ["sh", "-c", "echo 1 > /work/order"], volumeMounts: [{ name: "work", mountPath: "/work" }] }),
              container("second", { command: ["sh", "-c", "echo 2 >> /work/order"], volumeMounts: [{ name: "work", mountPath: "/work" }] }),
            ],
            containers: [container("main", { command: ["sh", "-c", 'test "$(cat /work/order)" = "$(printf "1\\n2")"'], volumeMounts: [{ name: "work", mountPath: "/work" }] })],
          }),
        );
        const done = await waitFor("Succeeded", async () => {
          const x = await getPod(client, NS, p);
          return x?.status?.phase === "Succeeded" ? x : null;
        });
        expect(done.status.initContainerStatuses.map((s: KObj) => [s.name, s.state.terminated?.reason])).toEqual([["first", "Completed"], ["second", "Completed"]]);
        expect(done.status.containerStatuses[0].state.terminated.exitCode).toBe(0);
        expect(condition(done, "Ready")).toBe("False");
      } finally {
        await drop(...cleanup);
      }
    }, 150_000);

    test.concurrent("postStart runs; deleting a pod runs preStop, stops the containers within the grace period and removes them", async () => {
      const cleanup = [`del-${run}`, `quick-${run}`];
      try {
        const hostDir = mkdtempSync("/tmp/kite-prestop-");
        try {
          const p = `del-${run}`;
          const created = await client.create(
            R.pods,
            NS,
            pod(p, node, {
              terminationGracePeriodSeconds: 3,
              volumes: [{ name: "host", hostPath: { path: hostDir, type: "Directory" } }],
              containers: [container("stubborn", { command: ["sleep", "3600"], volumeMounts: [{ name: "host", mountPath: "/host" }], lifecycle: { postStart: { exec: { command: ["sh", "-c", "echo started > /host/poststart"] } }, preStop: { exec: { command: ["sh", "-c", "echo stopping > /host/prestop"] } } } })],
            }),
          );
          await waitFor("Running", async () => condition(await getPod(client, NS, p), "Ready") === "True");
          expect(readFileSync(join(hostDir, "poststart"), "utf8")).toBe("started\n");
          const uid = created.metadata.uid;
          expect((await podContainers(uid)).length).toBe(1);
          const t0 = Date.now();
          await client.delete(R.pods, NS, p);
          await waitFor("pod object removed", async () => !(await getPod(client, NS, p)), 60_000, 100);
          const took = Date.now() - t0;
          // `sleep` ignores SIGTERM: it is SIGKILLed when the 3 s grace period ends (plus the
          // engine's own time on a loaded machine), not before and not after a default 30 s.
          expect(took).toBeGreaterThanOrEqual(2500);
          expect(took).toBeLessThan(20_000);
          expect(readFileSync(join(hostDir, "prestop"), "utf8")).toBe("stopping\n");
          expect(await podContainers(uid)).toEqual([]);
          expect(await eng.runtime.listSandboxes({ [LABELS.nodeName]: node, [LABELS.podUid]: uid })).toEqual([]);
          const reasons = (await podEvents(client, NS, p)).map((e) => e.reason);
          expect(reasons).toContain("Killing");

          // A container that exits on SIGTERM does not wait out a long grace period.
          const q = `quick-${run}`;
          await client.create(R.pods, NS, pod(q, node, { terminationGracePeriodSeconds: 60, containers: [container("polite", { command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"] })] }));
          await waitFor("Running", async () => condition(await getPod(client, NS, q), "Ready") === "True");
          const t1 = Date.now();
          await client.delete(R.pods, NS, q);
          await waitFor("pod object removed", async () => !(await getPod(client, NS, q)), 60_000, 100);
          // It exits on SIGTERM: far sooner than its 60 s grace period.
          expect(Date.now() - t1).toBeLessThan(30_000);
        } finally {
          rmSync(hostDir, { recursive: true, force: true });
        }
      } finally {
        await drop(...cleanup);
      }
    }, 150_000);

    test.concurrent("image and mount errors: ErrImageNeverPull, ErrImagePull then ImagePullBackOff, FailedMount until the ConfigMap exists", async () => {
      const cleanup = [`img-${run}`];
      try {
        const p = `img-${run}`;
        await client.create(R.pods, NS, pod(p, node, { containers: [container("never", { image: "localhost/kite-test/absent:1", imagePullPolicy: "Never" }), container("pull", { image: "localhost:1/kite-test/absent:1", imagePullPolicy: "IfNotPresent" })] }));
        const o = await waitFor("image errors", async () => {
          const x = await getPod(client, NS, p);
          const by = Object.fromEntries(((x?.status?.containerStatuses ?? []) as KObj[]).map((s) => [s.name, s.state?.waiting?.reason]));
          return by.never === "ErrImageNeverPull" && by.pull === "ImagePullBackOff" ? x : null;
        });
        expect(o.status.phase).toBe("Pending");
        const events = await podEvents(client, NS, p);
        expect(events.some((e) => e.reason === "ErrImageNeverPull" && e.involvedObject.fieldPath === "spec.containers{never}")).toBe(true);
        expect(events.some((e) => e.reason === "Failed" && /Failed to pull image "localhost:1\/kite-test\/absent:1"/.test(e.message))).toBe(true);

        // A volume that cannot be mounted: FailedMount, the container waits; it starts once the ConfigMap exists.
        const m = `mount-${run}`;
        cleanup.push(m);
        await client.create(R.pods, NS, pod(m, node, { volumes: [{ name: "cfg", configMap: { name: `late-${run}` } }], containers: [container("app", { command: ["sleep", "3600"], volumeMounts: [{ name: "cfg", mountPath: "/cfg" }] })] }));
        await waitFor("FailedMount", async () => (await podEvents(client, NS, m)).find((e) => e.reason === "FailedMount" && e.message.includes(`configmap "late-${run}" not found`)));
        const waiting = await getPod(client, NS, m);
        expect(waiting!.status.phase).toBe("Pending");
        expect(waiting!.status.containerStatuses?.[0]?.state?.waiting?.reason ?? "ContainerCreating").toBe("ContainerCreating");
        await client.create(R.configmaps, NS, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `late-${run}` }, data: { k: "v" } });
        await waitFor("Running after the ConfigMap appeared", async () => condition(await getPod(client, NS, m), "Ready") === "True");
      } finally {
        await drop(...cleanup);
      }
    }, 150_000);

    test("restarting the agent process adopts its containers: no restart, no duplicate; orphans are removed", async () => {
      const pnode = `agentproc-${name}-${run}`;
      extraNodes.push(pnode);
      const args = ["--container-runtime", name];
      let proc: KiteProcess | null = await startAgentProcess({ server, nodeName: pnode, args, env: eng.env, keepDataDir: true });
      const agentData = proc.dataDir;
      try {
        const keep = `keep-${run}`;
        const gone = `gone-${run}`;
        for (const n of [keep, gone]) await client.create(R.pods, NS, pod(n, pnode, { containers: [container("app", { command: ["sleep", "3600"], readinessProbe: { exec: { command: ["true"] }, periodSeconds: 3 } })] }));
        const before = await waitFor("both Ready", async () => {
          const a = await getPod(client, NS, keep);
          const b = await getPod(client, NS, gone);
          return condition(a, "Ready") === "True" && condition(b, "Ready") === "True" ? [a!, b!] : null;
        }, 120_000);
        const [keepPod, gonePod] = before;
        const id = keepPod.status.containerStatuses[0].containerID;

        // SIGKILL: no chance to clean anything up. Meanwhile one pod is force-deleted.
        proc.kill();
        await proc.proc.exited;
        await client.delete(R.pods, NS, gone, { gracePeriodSeconds: 0 });
        const lease = await client.get(R.leases, "kube-node-lease", pnode);

        proc = await startAgentProcess({ server, nodeName: pnode, args, env: eng.env, dataDir: agentData, keepDataDir: true });
        await waitFor("lease renewed by the new agent", async () => (await client.get(R.leases, "kube-node-lease", pnode)).spec.renewTime !== lease.spec.renewTime, 30_000);
        await waitFor("orphan removed", async () => (await eng.runtime.listContainers({ [LABELS.nodeName]: pnode, [LABELS.podUid]: gonePod.metadata.uid })).length === 0, 30_000);
        expect(await eng.runtime.listSandboxes({ [LABELS.nodeName]: pnode, [LABELS.podUid]: gonePod.metadata.uid })).toEqual([]);
        // Give the new agent a few syncs, then check that nothing was restarted or duplicated.
        await Bun.sleep(3000);
        const now = await getPod(client, NS, keep);
        expect(now!.status.containerStatuses[0].containerID).toBe(id);
        expect(now!.status.containerStatuses[0].restartCount).toBe(0);
        expect(condition(now, "Ready")).toBe("True");
        const cs = await eng.runtime.listContainers({ [LABELS.nodeName]: pnode, [LABELS.podUid]: keepPod.metadata.uid });
        expect(cs.map((c) => `${name}://${c.id}`)).toEqual([id]);
        expect(cs[0]!.state).toBe("running");
        expect((await eng.runtime.listSandboxes({ [LABELS.nodeName]: pnode, [LABELS.podUid]: keepPod.metadata.uid })).length).toBe(1);
        // (The suite's in-process agent, another node on the same engine, relisted and collected its
        // orphans all along without touching this node's containers: the kept container is the same one.)
        await client.delete(R.pods, NS, keep, { gracePeriodSeconds: 1 });
        await waitFor("keep pod removed", async () => !(await getPod(client, NS, keep)), 20_000);
      } catch (e) {
        console.error(`--- kite agent log ---\n${proc?.log().slice(-6000)}`);
        throw e;
      } finally {
        await proc?.stop();
        rmSync(agentData, { recursive: true, force: true });
      }
    }, 300_000);
  });
}
