/**
 * @module test/streaming/harness
 * A real `kite server` process, a node that joined it for real (join token → node
 * credential), that node's agent-side tunnel (startTunnel, in-process: it is exactly what
 * `kite agent` runs) over a REAL podman or docker, and pods made the way the kubelet would:
 * the Pod is created through the API with spec.nodeName, its sandbox and containers are
 * created with the runtime layer (kite's labels), and its status (phase, podIP, container
 * ids and states) is written to pods/status. kubectl is the real one, per version.
 * stop() removes every container, the server and the temp dirs.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { joinCluster } from "../../src/agent/join.ts";
import type { CliRuntime } from "../../src/agent/runtime/base.ts";
import { LABELS, podLabels } from "../../src/agent/runtime/types.ts";
import { startTunnel, type TunnelAgent } from "../../src/agent/streaming/index.ts";
import type { TunnelStream } from "../../src/tunnel/mux.ts";
import { api, type KiteServer, kubectlBinary, startServer, waitFor } from "../lib/kite.ts";
import { STREAMING_IMAGE } from "./image.ts";

const TEST_LABEL = "io.kite.test-streaming";

export interface ContainerDef {
  name: string;
  command: string[];
  stdin?: boolean;
  tty?: boolean;
}

export interface TestPod {
  name: string;
  uid: string;
  ip: string;
  sandboxId: string;
  containers: Record<string, string>;
}

export interface Harness {
  server: KiteServer;
  runtime: CliRuntime;
  engine: "podman" | "docker";
  nodeName: string;
  tunnel: TunnelAgent;
  /** Agent-side streams as they are opened (for flow-control checks). */
  streams: TunnelStream[];
  pod(name: string, containers: ContainerDef[], opts?: { namespace?: string }): Promise<TestPod>;
  /** Replaces a container with a new instance (restartCount+1); the old one stays, exited. */
  restart(pod: TestPod, container: string, command: string[]): Promise<void>;
  setStatus(pod: TestPod, containerStatuses: unknown[], extra?: Record<string, unknown>): Promise<void>;
  kubectl(args: string[], opts?: { version?: string; stdin?: string; timeoutMs?: number; env?: Record<string, string> }): Promise<{ code: number; stdout: string; stderr: string }>;
  /** A long-running kubectl (logs -f, port-forward, attach) with piped stdio. */
  spawnKubectl(args: string[], opts?: { version?: string; env?: Record<string, string>; stdout?: number }): Subprocess<"pipe", "pipe", "pipe">;
  stop(): Promise<void>;
}

export async function startHarness(engine: "podman" | "docker", runtime: CliRuntime): Promise<Harness> {
  process.env.KITE_TEST_SOURCE ??= "1"; // run this checkout, not a stale dist/kite
  const run = Math.random().toString(36).slice(2, 8);
  const nodeName = `stream-${engine}-${run}`;
  const server = await startServer();
  const agentDir = mkdtempSync("/tmp/kite-stream-agent-");
  const streams: TunnelStream[] = [];
  let tunnel: TunnelAgent | null = null;
  const restarts = new Map<string, number>();
  const stop = async () => {
    await tunnel?.stop().catch(() => {});
    for (const c of await runtime.listContainers({ [TEST_LABEL]: run }).catch(() => [])) await runtime.removeContainer(c.id).catch(() => {});
    for (const s of await runtime.listSandboxes({ [TEST_LABEL]: run }).catch(() => [])) await runtime.removeSandbox(s.id).catch(() => {});
    await server.stop();
    rmSync(agentDir, { recursive: true, force: true });
  };
  try {
    const creds = await joinCluster({ dataDir: agentDir, server: server.url, token: server.token(), nodeName });
    const node = await api(server, "POST", "/api/v1/nodes", { apiVersion: "v1", kind: "Node", metadata: { name: nodeName } });
    if (!node.ok) throw new Error(`creating the node failed: ${node.status} ${await node.text()}`);
    tunnel = startTunnel({ nodeName, servers: creds.servers, token: creds.token, caPem: creds.caPem, runtime, observe: (s) => streams.push(s) });
    const t = tunnel;
    await waitFor(() => t.connectedServers().length > 0, 15_000, "the agent tunnel to connect", server.log);
  } catch (e) {
    await stop();
    throw e;
  }
  const cacheDir = join(server.dataDir, "kubectl-cache");

  const setStatus = async (pod: TestPod, containerStatuses: unknown[], extra: Record<string, unknown> = {}) => {
    const cur = await (await api(server, "GET", `/api/v1/namespaces/default/pods/${pod.name}`)).json();
    cur.status = { ...cur.status, phase: "Running", podIP: pod.ip, podIPs: pod.ip ? [{ ip: pod.ip }] : [], hostIP: "127.0.0.1", startTime: new Date().toISOString(), containerStatuses, ...extra };
    const r = await api(server, "PUT", `/api/v1/namespaces/default/pods/${pod.name}/status`, cur);
    if (!r.ok) throw new Error(`status update failed: ${r.status} ${await r.text()}`);
  };
  const running = (name: string, id: string, restartCount = 0, lastState: unknown = {}) => ({
    name,
    state: { running: { startedAt: new Date().toISOString() } },
    lastState,
    ready: true,
    restartCount,
    image: STREAMING_IMAGE,
    imageID: STREAMING_IMAGE,
    containerID: `${engine}://${id}`,
    started: true,
  });

  const h: Harness = {
    server,
    runtime,
    engine,
    nodeName,
    tunnel: tunnel!,
    streams,
    setStatus,
    async pod(name, containers) {
      const created = await api(server, "POST", "/api/v1/namespaces/default/pods", {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name },
        spec: {
          nodeName,
          containers: containers.map((c) => ({ name: c.name, image: STREAMING_IMAGE, imagePullPolicy: "Never", command: c.command, stdin: c.stdin, tty: c.tty })),
        },
      });
      if (!created.ok) throw new Error(`creating pod ${name} failed: ${created.status} ${await created.text()}`);
      const uid: string = (await created.json()).metadata.uid;
      const base = { nodeName, podUid: uid, podName: name, podNamespace: "default" };
      const sb = await runtime.createSandbox({ name: `kst-${run}-${name}`, labels: { ...podLabels(base), [TEST_LABEL]: run } });
      const ids: Record<string, string> = {};
      for (const c of containers) {
        const id = await runtime.createContainer({
          name: `kst-${run}-${name}-${c.name}-0`,
          sandboxId: sb.id,
          image: STREAMING_IMAGE,
          command: c.command,
          stdin: c.stdin,
          tty: c.tty,
          labels: { ...podLabels({ ...base, containerName: c.name }), [LABELS.restartCount]: "0", [TEST_LABEL]: run },
        });
        await runtime.startContainer(id);
        ids[c.name] = id;
      }
      const pod: TestPod = { name, uid, ip: sb.ip, sandboxId: sb.id, containers: ids };
      await setStatus(pod, containers.map((c) => running(c.name, ids[c.name]!)));
      return pod;
    },
    async restart(pod, container, command) {
      const n = (restarts.get(`${pod.name}/${container}`) ?? 0) + 1;
      restarts.set(`${pod.name}/${container}`, n);
      const old = pod.containers[container]!;
      const info = await runtime.inspectContainer(old);
      const id = await runtime.createContainer({
        name: `kst-${run}-${pod.name}-${container}-${n}`,
        sandboxId: pod.sandboxId,
        image: STREAMING_IMAGE,
        command,
        labels: { ...Object.fromEntries(Object.entries(info.labels).filter(([k]) => k !== LABELS.kind && k !== LABELS.sandboxId)), [LABELS.restartCount]: String(n) },
      });
      await runtime.startContainer(id);
      pod.containers[container] = id;
      const terminated = { terminated: { exitCode: info.exitCode ?? 0, reason: "Completed", startedAt: info.startedAt?.toISOString(), finishedAt: info.finishedAt?.toISOString(), containerID: `${engine}://${old}` } };
      await setStatus(pod, [running(container, id, n, terminated)]);
    },
    async kubectl(args, o = {}) {
      const proc = Bun.spawn([kubectlBinary(o.version), "--kubeconfig", server.kubeconfig, "--cache-dir", cacheDir, ...args], {
        stdin: o.stdin !== undefined ? new TextEncoder().encode(o.stdin) : "ignore",
        stdout: "pipe",
        stderr: "pipe",
        env: { ...process.env, ...(o.env ?? {}) },
      });
      const timer = setTimeout(() => proc.kill("SIGKILL"), o.timeoutMs ?? 60_000);
      const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
      clearTimeout(timer);
      return { code, stdout, stderr };
    },
    spawnKubectl(args, o = {}) {
      return Bun.spawn([kubectlBinary(o.version), "--kubeconfig", server.kubeconfig, "--cache-dir", cacheDir, ...args], {
        stdin: "pipe",
        stdout: (o.stdout ?? "pipe") as "pipe",
        stderr: "pipe",
        env: { ...process.env, ...(o.env ?? {}) },
      });
    },
    stop,
  };
  return h;
}

/** Reads a process stream until `pattern` matches the text so far (or the timeout). */
export async function readUntil(s: ReadableStream<Uint8Array>, pattern: RegExp, timeoutMs = 15_000): Promise<string> {
  const reader = s.getReader();
  const dec = new TextDecoder();
  let acc = "";
  const deadline = Date.now() + timeoutMs;
  try {
    while (!pattern.test(acc)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${pattern}; got ${JSON.stringify(acc.slice(-500))}`);
      const r = await Promise.race([reader.read(), Bun.sleep(left).then(() => null)]);
      if (r === null) continue;
      if (r.done) break;
      acc += dec.decode(r.value, { stream: true });
    }
  } finally {
    reader.releaseLock();
  }
  if (!pattern.test(acc)) throw new Error(`stream ended before ${pattern}; got ${JSON.stringify(acc.slice(-500))}`);
  return acc;
}

/** curl, asynchronously: the agent runs in this process, so a blocking spawn would stall it. */
export async function curl(url: string, timeoutS = 15): Promise<{ code: number; stdout: string; stderr: string }> {
  const p = Bun.spawn(["curl", "-sS", "--max-time", String(timeoutS), url], { stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, stdout, stderr };
}
