/**
 * @module test/controllers/workloads/harness
 * A real `kite server` (its controller manager runs the workload controllers) plus, for
 * tests that need pods to become Running/Ready without the node agent, a SIMULATED node
 * side: fake Node objects with heartbeats, and a "fake kubelet" that marks pods the
 * server's scheduler bound to them Running/Ready through the status subresource,
 * finishes pods of Jobs, and confirms graceful deletions (it can also bind pods itself,
 * standing in for a scheduler). It is a simulation, clearly labelled; real-container tests come
 * with the agent.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { KubeClient, isNotFound, type KObj } from "../../../src/client/client.ts";
import { Informer } from "../../../src/client/informer.ts";
import { R } from "../../../src/client/resources.ts";
import { adminToken, startServer, waitFor, type KiteServer } from "../../lib/kite.ts";

export interface Cluster {
  server: KiteServer;
  client: KubeClient;
  kubectl(args: string[], opts?: { stdin?: string; timeoutMs?: number }): Promise<{ code: number; stdout: string; stderr: string }>;
  /** kubectl that must succeed; returns stdout. */
  k(args: string[], opts?: { stdin?: string; timeoutMs?: number }): Promise<string>;
  stop(): Promise<void>;
}

export function clientFor(server: KiteServer): KubeClient {
  const ca = readFileSync(join(server.dataDir, "server", "tls", "ca.crt"), "utf8");
  return new KubeClient({
    baseUrl: server.url,
    token: adminToken(server),
    fetch: ((input: string | URL | Request, init?: RequestInit) => fetch(input, { ...init, tls: { ca } } as RequestInit)) as never,
    userAgent: "workloads-test",
  });
}

/** WL_DEBUG=1 runs the server with --debug and prints its log on stop (for diagnosing a failure). */
export async function startCluster(opts: { env?: Record<string, string> } = {}): Promise<Cluster> {
  const debug = Boolean(process.env.WL_DEBUG);
  const server = await startServer({ env: opts.env, ...(debug ? { args: ["--debug"] } : {}) });
  const client = clientFor(server);
  const kubectl = (args: string[], opts?: { stdin?: string; timeoutMs?: number }) => server.kubectl(args, opts);
  return {
    server,
    client,
    kubectl,
    async k(args, opts) {
      const r = await kubectl(args, opts);
      if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed (${r.code}): ${r.stderr}${r.stdout}`);
      return r.stdout;
    },
    async stop() {
      if (debug) console.log(server.log());
      await server.stop();
    },
  };
}

export interface FakeNode {
  name: string;
  labels?: Record<string, string>;
  taints?: KObj[];
  unschedulable?: boolean;
}

export interface KubeletOptions {
  nodes: FakeNode[];
  /** Whether a pod becomes Ready once Running (default true). */
  ready?(pod: KObj): boolean;
  /** For pods with restartPolicy Never/OnFailure: the phase to finish in, or undefined to keep running. */
  finish?(pod: KObj): "Succeeded" | "Failed" | undefined;
  /** Delay before a bound pod starts (ms, default 50). */
  startDelayMs?: number;
  /** Also bind pods without spec.nodeName, standing in for a scheduler (default false: the server's scheduler binds). */
  bind?: boolean;
}

/** SIMULATION of the node side (see the module comment). */
export class FakeKubelet {
  private informer: Informer;
  private timers = new Set<ReturnType<typeof setTimeout>>();
  private heartbeat?: ReturnType<typeof setInterval>;
  private rr = 0;
  private inflight = new Set<string>();
  private stopped = false;
  readonly names: Set<string>;

  constructor(
    private readonly client: KubeClient,
    private readonly opts: KubeletOptions,
  ) {
    this.names = new Set(opts.nodes.map((n) => n.name));
    this.informer = new Informer(client, R.pods, { retryMs: 200 });
    this.informer.addHandlers({ add: (p) => this.kick(p), update: (_o, p) => this.kick(p) });
  }

  async start() {
    for (const n of this.opts.nodes) await this.client.create(R.nodes, undefined, nodeObject(n));
    this.heartbeat = setInterval(() => void this.beat(), 5000);
    this.informer.start();
    await this.informer.waitForSync();
  }

  async addNode(n: FakeNode) {
    this.names.add(n.name);
    this.opts.nodes.push(n);
    await this.client.create(R.nodes, undefined, nodeObject(n));
  }

  async stop() {
    this.stopped = true;
    this.informer.stop();
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const t of this.timers) clearTimeout(t);
  }

  private async beat() {
    for (const n of this.opts.nodes) {
      try {
        const cur = await this.client.get(R.nodes, undefined, n.name);
        const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
        cur.status.conditions = (cur.status.conditions ?? []).map((c: KObj) => (c.type === "Ready" ? { ...c, lastHeartbeatTime: now } : c));
        await this.client.updateStatus(R.nodes, undefined, cur);
      } catch {
        /* next beat */
      }
    }
  }

  private later(ms: number, fn: () => Promise<unknown>) {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stopped) void fn().catch(() => {});
    }, ms);
    this.timers.add(t);
  }

  private kick(pod: KObj) {
    if (this.stopped) return;
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    const node = pod.spec?.nodeName;
    if (pod.metadata.deletionTimestamp) {
      const del = `del:${key}:${pod.metadata.uid}`;
      if (node && this.names.has(node) && !this.inflight.has(del)) {
        this.inflight.add(del);
        // The node confirms the containers are gone.
        this.later(20, () => this.client.delete(R.pods, pod.metadata.namespace, pod.metadata.name, { gracePeriodSeconds: 0 }).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e))));
      }
      return;
    }
    if (!node) {
      if (!this.opts.bind || this.inflight.has(`bind:${key}`)) return;
      const target = this.pickNode(pod);
      if (!target) return;
      this.inflight.add(`bind:${key}`);
      this.later(10, async () => {
        try {
          await this.client.createSub(R.pods, pod.metadata.namespace, pod.metadata.name, "binding", { apiVersion: "v1", kind: "Binding", metadata: { name: pod.metadata.name, uid: pod.metadata.uid }, target: { kind: "Node", name: target } });
        } finally {
          this.inflight.delete(`bind:${key}`);
        }
      });
      return;
    }
    if (!this.names.has(node)) return;
    const phase = pod.status?.phase;
    if (phase === "Succeeded" || phase === "Failed") return;
    if (phase !== "Running") {
      if (this.inflight.has(`run:${key}:${pod.metadata.uid}`)) return;
      this.inflight.add(`run:${key}:${pod.metadata.uid}`);
      this.later(this.opts.startDelayMs ?? 50, () => this.run(pod));
    }
  }

  /** Nodes a pod may go to: a DaemonSet pod's node affinity names its node; others round-robin. */
  private pickNode(pod: KObj): string | undefined {
    const terms = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
    for (const t of terms) {
      for (const f of t.matchFields ?? []) if (f.key === "metadata.name" && f.operator === "In") return f.values?.find((v: string) => this.names.has(v));
    }
    const names = this.opts.nodes.filter((n) => !n.unschedulable).map((n) => n.name);
    if (names.length === 0) return undefined;
    return names[this.rr++ % names.length];
  }

  private async run(pod: KObj) {
    const cur = await this.client.getOrNull(R.pods, pod.metadata.namespace, pod.metadata.name);
    if (!cur || cur.metadata.uid !== pod.metadata.uid || cur.metadata.deletionTimestamp) return;
    const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    const ready = this.opts.ready?.(cur) ?? true;
    const conds = [
      { type: "PodScheduled", status: "True", lastTransitionTime: now },
      { type: "Initialized", status: "True", lastTransitionTime: now },
      { type: "ContainersReady", status: ready ? "True" : "False", lastTransitionTime: now },
      { type: "Ready", status: ready ? "True" : "False", lastTransitionTime: now },
    ];
    cur.status = {
      ...(cur.status ?? {}),
      phase: "Running",
      conditions: conds,
      hostIP: "127.0.0.1",
      podIP: `10.42.0.${1 + (Math.abs(hashCode(cur.metadata.name)) % 250)}`,
      startTime: now,
      containerStatuses: (cur.spec.containers ?? []).map((c: KObj) => ({ name: c.name, image: c.image, imageID: "", ready, restartCount: 0, started: true, state: { running: { startedAt: now } } })),
    };
    await this.client.updateStatus(R.pods, cur.metadata.namespace, cur);
    const rp = cur.spec.restartPolicy;
    const outcome = rp === "Never" || rp === "OnFailure" ? this.opts.finish?.(cur) : undefined;
    if (outcome) this.later(50, () => this.finishPod(cur, outcome));
  }

  private async finishPod(pod: KObj, phase: "Succeeded" | "Failed") {
    const cur = await this.client.getOrNull(R.pods, pod.metadata.namespace, pod.metadata.name);
    if (!cur || cur.metadata.uid !== pod.metadata.uid) return;
    const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    const code = phase === "Succeeded" ? 0 : 1;
    cur.status.phase = phase;
    cur.status.conditions = (cur.status.conditions ?? []).map((c: KObj) => (c.type === "Ready" || c.type === "ContainersReady" ? { ...c, status: "False", reason: "PodCompleted", lastTransitionTime: now } : c));
    cur.status.containerStatuses = (cur.spec.containers ?? []).map((c: KObj) => ({ name: c.name, image: c.image, imageID: "", ready: false, restartCount: 0, started: false, state: { terminated: { exitCode: code, reason: phase === "Succeeded" ? "Completed" : "Error", startedAt: now, finishedAt: now } } }));
    await this.client.updateStatus(R.pods, cur.metadata.namespace, cur);
  }
}

function hashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
  return h;
}

function nodeObject(n: FakeNode): KObj {
  const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name: n.name, labels: { "kubernetes.io/hostname": n.name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", ...(n.labels ?? {}) } },
    spec: { ...(n.taints ? { taints: n.taints } : {}), ...(n.unschedulable ? { unschedulable: true } : {}) },
    status: {
      capacity: { cpu: "4", memory: "8Gi", pods: "110" },
      allocatable: { cpu: "4", memory: "8Gi", pods: "110" },
      conditions: [{ type: "Ready", status: "True", reason: "KubeletReady", message: "simulated node (test fake kubelet)", lastHeartbeatTime: now, lastTransitionTime: now }],
      addresses: [{ type: "InternalIP", address: "127.0.0.1" }, { type: "Hostname", address: n.name }],
      nodeInfo: { kubeletVersion: "v1.32.0-fake", containerRuntimeVersion: "fake://0", operatingSystem: "linux", architecture: "amd64" },
    },
  };
}

/** Poll until `fn` returns a truthy value (returned), or fail with the last value. */
export async function eventually<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
  let last: unknown;
  let out: T | undefined;
  await waitFor(
    async () => {
      try {
        const v = await fn();
        last = v;
        if (v) {
          out = v as T;
          return true;
        }
      } catch (e) {
        last = e;
      }
      return false;
    },
    timeoutMs,
    what,
  ).catch((e) => {
    throw new Error(`${(e as Error).message.split("\n")[0]} — last: ${last instanceof Error ? last.message : JSON.stringify(last)?.slice(0, 800)}`);
  });
  return out as T;
}

export function yamlDoc(obj: KObj): string {
  return JSON.stringify(obj);
}
