/**
 * @module agent/agent
 * The node agent (kite's kubelet): registers the Node, heartbeats through its Lease,
 * and runs the pods bound to it through the podman or docker CLI. This module only
 * wires the parts together (runtime detection, node status, heartbeat, pod informer,
 * runtime cache, pod workers, probes) and tears them down; containers keep running
 * when the agent stops, and the next agent adopts them.
 */
import { mkdirSync } from "node:fs";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import type { KubeClient } from "../client/client.ts";
import { EventRecorder } from "../client/events.ts";
import type { ServerPool } from "../client/failover.ts";
import { Informer } from "../client/informer.ts";
import { R } from "../client/resources.ts";
import { logger } from "../util/log.ts";
import { Backoff } from "./backoff.ts";
import { ConfigSource } from "./config-source.ts";
import type { AgentContext, AgentTunables } from "./context.ts";
import { Heartbeat } from "./heartbeat.ts";
import { ImageManager } from "./images.ts";
import { Limiter } from "./limiter.ts";
import { NodeManager } from "./node.ts";
import { PodManager } from "./pod-manager.ts";
import { Prober } from "./prober.ts";
import { runAction } from "./probes.ts";
import { detectRuntime } from "./runtime/detect.ts";
import { RuntimeCache } from "./runtime-cache.ts";
import type { ContainerRuntime, RuntimeInfo } from "./runtime/types.ts";
import { cacheLocator } from "./locator.ts";
import { type PodLocator, runtimeLocator } from "./streaming/locator.ts";
import { TokenSource } from "./volumes/tokens.ts";

const log = logger("agent");

export interface AgentOptions {
  client: KubeClient;
  /** Server pool (agents started by `kite agent`); absent for the agent inside `kite server`. */
  servers?: ServerPool;
  nodeName: string;
  nodeIps: string[];
  labels: Record<string, string>;
  taints: { key: string; value?: string; effect: string }[];
  dataDir: string;
  runtime?: "podman" | "docker";
  /** Extra environment for the engine CLI (CONTAINERS_CONF, DOCKER_HOST), over process.env. */
  runtimeEnv?: Record<string, string | undefined>;
  /** A ready-made engine (tests); skips detection. */
  containerRuntime?: ContainerRuntime;
  /** Port reported in Node.status.daemonEndpoints (the streaming server's); default 10250. */
  daemonPort?: number;
  /** Timing knobs; the defaults are the kubelet's. */
  tuning?: Partial<AgentTuning>;
}

export interface AgentTuning extends AgentTunables {
  /** Container restart back-off: first delay and cap (10 s, 5 min). */
  backoffInitialMs: number;
  backoffMaxMs: number;
  heartbeatMs: number;
  nodeStatusMs: number;
  /** Engine mutations (sandbox/container create and start) at once. */
  maxConcurrentStarts: number;
}

const DEFAULT_TUNING: AgentTuning = {
  volumeRefreshMs: 30_000,
  relistMs: 10_000,
  backoffInitialMs: 10_000,
  backoffMaxMs: 300_000,
  heartbeatMs: 10_000,
  nodeStatusMs: 10_000,
  maxConcurrentStarts: 4,
};

export interface RunningAgent {
  stop(): Promise<void>;
  /** The engine in use (null while none answers): for the streaming side (logs, exec). */
  readonly runtime: ContainerRuntime | null;
  /**
   * Finds pods' containers for the streaming side from the agent's runtime cache
   * (null until an engine answers; then pass it as TunnelAgentOptions.locator).
   */
  readonly locator: PodLocator | null;
}

function defaultHostIPs(): string[] {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) return [a.address];
  }
  return ["127.0.0.1"];
}

export async function startAgent(opts: AgentOptions): Promise<RunningAgent> {
  const tuning: AgentTuning = { ...DEFAULT_TUNING, ...opts.tuning };
  const agentDir = join(opts.dataDir, "agent");
  const podsDir = join(agentDir, "pods");
  mkdirSync(podsDir, { recursive: true, mode: 0o700 });
  const hostIPs = opts.nodeIps.length ? opts.nodeIps : defaultHostIPs();
  const client = opts.client;
  const recorder = new EventRecorder(client, "kubelet", opts.nodeName);

  // The engine: given, detected now, or detected later (the node reports NotReady meanwhile).
  let runtime: ContainerRuntime | null = opts.containerRuntime ?? null;
  let info: RuntimeInfo | null = null;
  let runtimeProblem: string | null = "container runtime status check may not have completed yet";
  const detect = async () => {
    try {
      if (runtime) info = await runtime.info();
      else ({ runtime, info } = await detectRuntime(opts.runtime, { strict: !!opts.runtime, env: opts.runtimeEnv }));
      runtimeProblem = null;
    } catch (e) {
      runtimeProblem = `container runtime is down: ${(e as Error).message}`;
    }
  };
  await detect();

  let cache: RuntimeCache | null = null;
  const health = () => {
    let problem = runtimeProblem;
    if (!problem && cache?.lastError) problem = `container runtime is down: ${cache.lastError.message}`;
    if (!problem && cache && !cache.synced) problem = "container runtime status check may not have completed yet";
    return { runtimeVersion: (info as RuntimeInfo | null)?.runtimeVersion ?? "", problem };
  };
  const node = new NodeManager(client, {
    cfg: { nodeName: opts.nodeName, nodeIps: hostIPs, labels: opts.labels, taints: opts.taints, daemonPort: opts.daemonPort ?? 10250 },
    dataDir: opts.dataDir,
    health,
    intervalMs: tuning.nodeStatusMs,
  });
  try {
    await node.register();
  } catch (e) {
    log.warn("node registration failed, retrying in the background", { error: e as Error });
  }
  node.start();
  const heartbeat = new Heartbeat(client, opts.nodeName, { intervalMs: tuning.heartbeatMs, nodeUid: () => node.uid });
  heartbeat.start();
  recorder.event({ kind: "Node", apiVersion: "v1", metadata: { name: opts.nodeName, uid: opts.nodeName } }, "Normal", "Starting", "Starting kite agent.");

  const informer = new Informer(client, R.pods, { fieldSelector: `spec.nodeName=${opts.nodeName}` });
  let pods: PodManager | null = null;
  let locator: PodLocator | null = null;
  let prober: Prober | null = null;
  const timers: ReturnType<typeof setInterval>[] = [];
  let stopped = false;

  const startPods = async (rt: ContainerRuntime) => {
    const backoff = new Backoff({ initialMs: tuning.backoffInitialMs, maxMs: tuning.backoffMaxMs });
    prober = new Prober({
      run: runAction,
      target: (uid, c) => pods?.target(uid, c) ?? null,
      onChange: (uid) => pods?.podChanged(uid),
      onFailure: (uid, c, kind, message) => {
        const w = pods?.workers.get(uid);
        if (!w) return;
        const init = (w.pod.spec?.initContainers ?? []).some((x: { name: string }) => x.name === c);
        const what = kind === "liveness" ? "Liveness" : kind === "readiness" ? "Readiness" : "Startup";
        recorder.event(w.pod, "Warning", "Unhealthy", `${what} probe failed: ${message}`, init ? `spec.initContainers{${c}}` : `spec.containers{${c}}`);
      },
    });
    cache = new RuntimeCache(rt, opts.nodeName, {
      relistMs: tuning.relistMs,
      onPodChange: (uid) => pods?.podChanged(uid),
      onRelist: () => void pods?.collectOrphans(),
    });
    const ctx: AgentContext = {
      nodeName: opts.nodeName,
      runtime: rt,
      runtimeName: rt.name,
      cache,
      client,
      recorder,
      source: new ConfigSource(client, Math.min(10_000, tuning.volumeRefreshMs)),
      tokens: new TokenSource(client),
      prober,
      backoff,
      images: new ImageManager(rt, new Backoff({ initialMs: tuning.backoffInitialMs, maxMs: tuning.backoffMaxMs })),
      limiter: new Limiter(tuning.maxConcurrentStarts),
      podsDir,
      hostIPs: () => hostIPs,
      allocatable: () => node.allocatable(),
      canMount: process.getuid?.() === 0,
      tunables: { volumeRefreshMs: tuning.volumeRefreshMs, relistMs: tuning.relistMs },
    };
    // Engine state first, so workers adopt what runs instead of starting it again.
    await cache.start();
    locator = cacheLocator(cache, opts.nodeName, runtimeLocator(rt, opts.nodeName));
    pods = new PodManager(ctx, informer);
    pods.start();
    informer.start();
    void informer.waitForSync().then(() => pods?.collectOrphans());
    timers.push(
      setInterval(() => {
        pods?.resyncAll();
        backoff.gc();
      }, 60_000),
    );
    log.info("node agent running", { node: opts.nodeName, runtime: (info as RuntimeInfo | null)?.runtimeVersion });
  };

  if (runtime && !runtimeProblem) await startPods(runtime);
  else {
    log.error("no container runtime answers; the node stays NotReady until one does", { problem: runtimeProblem });
    const retry = setInterval(async () => {
      if (stopped || pods) return;
      await detect();
      if (runtime && !runtimeProblem && !pods && !stopped) {
        clearInterval(retry);
        await startPods(runtime).catch((e) => log.error("starting pods failed", { error: e as Error }));
        void node.writeStatus(true).catch(() => {});
      }
    }, 10_000);
    timers.push(retry);
  }

  return {
    get runtime() {
      return runtime;
    },
    get locator() {
      return locator;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const t of timers) clearInterval(t);
      informer.stop();
      heartbeat.stop();
      node.stop();
      pods?.stop();
      (prober as Prober | null)?.stopAll();
      cache?.stop();
      log.info("node agent stopped (containers keep running)", { node: opts.nodeName });
    },
  };
}
