/**
 * bun run bench:schedule [--nodes 1000] [--pods 30000] [--backlog 30000] [--clients 32]
 *                        [--zones 10] [--json out.json] [--dist]
 *
 * Starts a real `kite server` (no agent: nothing runs containers), registers simulated
 * nodes (Node objects plus Lease heartbeats every 10 s, like kubelets), then:
 *  1. end to end: creates --pods pods through the API with --clients concurrent clients
 *     while the scheduler inside the server binds them; pods/s from the first create to
 *     the last binding (a watch sees spec.nodeName);
 *  0. algorithm only (skip with --no-algo): the scheduler's decisions for --pods pods over
 *     --nodes nodes in this process, without the API (filter, score, assume);
 *  2. scheduling only: takes the controller manager's Lease away (the server's scheduler
 *     stops), creates --backlog pods, gives the Lease back, and measures from the first to
 *     the last binding of that backlog (the restarted scheduler lists them and binds them).
 * Prints throughput, create→bound latency, the server's RSS and CPU time, and the
 * scheduler's own statistics from its log. Runs the source tree unless --dist is given.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import type { KObj, KubeClient } from "../src/client/client.ts";
import { R } from "../src/client/resources.ts";
import { startServer, type KiteServer } from "../test/lib/kite.ts";
import { adminClient, Heartbeats, pool, registerNodes, setControllerLeaseHolder, simNode } from "../test/scheduler/sim-nodes.ts";
import { Algorithm } from "../src/scheduler/algorithm.ts";
import { SchedulerCache } from "../src/scheduler/cache.ts";
import { CycleState } from "../src/scheduler/framework.ts";
import { podInfo } from "../src/scheduler/pod-info.ts";
import { defaultProfile } from "../src/scheduler/profile.ts";

const { values: args } = parseArgs({
  options: {
    nodes: { type: "string", default: "1000" },
    pods: { type: "string", default: "30000" },
    backlog: { type: "string", default: "30000" },
    clients: { type: "string", default: "32" },
    zones: { type: "string", default: "10" },
    json: { type: "string" },
    dist: { type: "boolean", default: false },
    "no-algo": { type: "boolean", default: false },
  },
});
const NODES = Number(args.nodes);
const PODS = Number(args.pods);
const BACKLOG = Number(args.backlog);
const CLIENTS = Number(args.clients);
const ZONES = Number(args.zones);
if (![NODES, PODS, BACKLOG, CLIENTS, ZONES].every((n) => Number.isInteger(n) && n >= 0) || NODES < 1 || CLIENTS < 1 || ZONES < 1) {
  console.error("bad arguments: --nodes, --pods, --backlog, --clients and --zones take non-negative integers (nodes, clients, zones ≥ 1)");
  process.exit(2);
}
if (!args.dist) process.env.KITE_TEST_SOURCE = "1";

const NS = "bench";
const log = (msg: string) => console.error(`[${new Date().toISOString().slice(11, 23)}] ${msg}`);

function benchPod(name: string): KObj {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: NS, labels: { app: "bench", shard: String(Number(name.split("-").pop()) % 50) } },
    spec: {
      containers: [{ name: "c", image: "registry.k8s.io/pause:3.10", resources: { requests: { cpu: "100m", memory: "128Mi" } } }],
      terminationGracePeriodSeconds: 0,
    },
  };
}

/** Server process: resident memory (now and peak) and CPU seconds. */
function serverUsage(pid: number) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  const ticks = Number(stat[11]) + Number(stat[12]);
  return { rssMiB: kb("VmRSS") / 1024, peakMiB: kb("VmHWM") / 1024, cpuS: ticks / 100 };
}

function pct(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Watches the bench namespace and records when each pod was first seen bound. */
class BindWatch {
  readonly boundAt = new Map<string, number>();
  private abort = new AbortController();
  private waiters: { n: number; resolve: () => void }[] = [];
  private done: Promise<void> = Promise.resolve();

  constructor(private readonly client: KubeClient) {}

  async start() {
    const list = await this.client.list(R.pods, NS, { limit: 1 });
    const rv = list.metadata.resourceVersion;
    this.done = this.run(rv);
  }

  private async run(rv: string) {
    while (!this.abort.signal.aborted) {
      try {
        for await (const ev of this.client.watch(R.pods, NS, { resourceVersion: rv, allowWatchBookmarks: true }, this.abort.signal)) {
          if (ev.type === "ERROR") throw new Error(`watch error: ${JSON.stringify(ev.object)}`);
          rv = ev.object?.metadata?.resourceVersion ?? rv;
          if (ev.type !== "MODIFIED" && ev.type !== "ADDED") continue;
          const name = ev.object.metadata.name;
          if (ev.object.spec?.nodeName && !this.boundAt.has(name)) {
            this.boundAt.set(name, performance.now());
            this.check();
          }
        }
      } catch (e) {
        if (this.abort.signal.aborted) return;
        log(`watch restarted: ${(e as Error).message}`);
        await Bun.sleep(200);
      }
    }
  }

  private check() {
    this.waiters = this.waiters.filter((w) => {
      if (this.boundAt.size >= w.n) w.resolve();
      return this.boundAt.size < w.n;
    });
  }

  waitFor(n: number, timeoutMs: number): Promise<void> {
    if (this.boundAt.size >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out: ${this.boundAt.size}/${n} pods bound`)), timeoutMs);
      this.waiters.push({ n, resolve: () => (clearTimeout(t), resolve()) });
    });
  }

  async stop() {
    this.abort.abort();
    await this.done;
  }
}

async function createPods(client: KubeClient, names: string[], createdAt: Map<string, number>): Promise<{ start: number; end: number; errors: number }> {
  let errors = 0;
  const start = performance.now();
  await pool(names, CLIENTS, async (name) => {
    for (let attempt = 0; ; attempt++) {
      try {
        await client.create(R.pods, NS, benchPod(name));
        createdAt.set(name, performance.now());
        return;
      } catch (e) {
        if (attempt >= 3) {
          errors++;
          log(`create ${name} failed: ${(e as Error).message}`);
          return;
        }
        await Bun.sleep(100 * (attempt + 1));
      }
    }
  });
  return { start, end: performance.now(), errors };
}

function latencies(names: string[], createdAt: Map<string, number>, boundAt: Map<string, number>): number[] {
  const out: number[] = [];
  for (const n of names) {
    const c = createdAt.get(n);
    const b = boundAt.get(n);
    if (c !== undefined && b !== undefined) out.push(Math.max(0, b - c));
  }
  return out.sort((a, b) => a - b);
}

function boundWindow(names: string[], boundAt: Map<string, number>) {
  let first = Infinity;
  let last = -Infinity;
  for (const n of names) {
    const t = boundAt.get(n);
    if (t === undefined) continue;
    if (t < first) first = t;
    if (t > last) last = t;
  }
  return { first, last };
}

/** Scheduler's own "scheduling stats" log line (the last one), as key=value pairs. */
function schedulerStats(server: KiteServer): Record<string, string> | null {
  const lines = server.log().split("\n").filter((l) => l.includes(" scheduler scheduling stats"));
  const last = lines.at(-1);
  if (!last) return null;
  const out: Record<string, string> = {};
  for (const m of last.matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|\S+)/g)) out[m[1]!] = m[2]!.startsWith('"') ? JSON.parse(m[2]!) : m[2]!;
  return out;
}

/** The scheduling algorithm alone: its own capacity, with no API in the way. */
function algorithmOnly(): Record<string, number> {
  const cache = new SchedulerCache();
  for (let i = 0; i < NODES; i++) cache.setNode(simNode(`sim-${String(i).padStart(5, "0")}`, { cpu: "8", memory: "32Gi", pods: "110", zone: `zone-${i % ZONES}` }));
  const algo = new Algorithm(defaultProfile({ defaultSelector: () => null }));
  const pods = Array.from({ length: PODS }, (_, i) => {
    const p = benchPod(`algo-${i}`);
    p.metadata.uid = `uid-algo-${i}`;
    p.spec.schedulerName = "default-scheduler";
    p.status = { phase: "Pending" };
    return p;
  });
  const t0 = performance.now();
  for (const p of pods) {
    const info = podInfo(p);
    cache.assumePod(info, algo.schedule(new CycleState(), info, cache).node);
  }
  const ms = performance.now() - t0;
  return { pods: PODS, ms, podsPerS: (PODS / ms) * 1000, usPerPod: (ms * 1000) / PODS, nodesEvaluatedPerPod: algo.stats.filtered / PODS };
}

async function main() {
  const results: Record<string, unknown> = { nodes: NODES, pods: PODS, backlog: BACKLOG, clients: CLIENTS, zones: ZONES, binary: args.dist ? "dist/kite" : "bun src/main.ts", loadavgBefore: loadavg()[0] };
  if (!args["no-algo"] && PODS > 0) {
    results.algorithmOnly = algorithmOnly();
    log(`phase 0 (algorithm only): ${JSON.stringify(results.algorithmOnly)}`);
  }
  log(`starting kite server (${results.binary})`);
  const server = await startServer({ readyTimeoutMs: 60_000 });
  const pid = server.proc.pid;
  let beats: Heartbeats | undefined;
  let watch: BindWatch | undefined;
  try {
    const client = adminClient(server, 120_000);
    await client.create(R.namespaces, undefined, { apiVersion: "v1", kind: "Namespace", metadata: { name: NS } });
    results.idle = serverUsage(pid);

    const t0 = performance.now();
    const nodes = Array.from({ length: NODES }, (_, i) => simNode(`sim-${String(i).padStart(5, "0")}`, { cpu: "8", memory: "32Gi", pods: "110", zone: `zone-${i % ZONES}` }));
    await registerNodes(client, nodes, Math.min(CLIENTS, 32));
    const regS = (performance.now() - t0) / 1000;
    log(`registered ${NODES} nodes in ${regS.toFixed(1)} s`);
    results.registerNodesS = regS;
    beats = new Heartbeats(client, nodes.map((n) => n.metadata.name), 10_000);
    beats.start();

    watch = new BindWatch(client);
    await watch.start();
    // The scheduler must know the nodes before the clock starts: a probe pod gets bound.
    await client.create(R.pods, NS, benchPod("probe-0"));
    await watch.waitFor(1, 60_000);
    results.afterNodes = serverUsage(pid);

    // --- 1. end to end -------------------------------------------------------------
    const createdAt = new Map<string, number>();
    const names = Array.from({ length: PODS }, (_, i) => `e2e-${i}`);
    if (PODS > 0) {
      log(`phase 1: creating ${PODS} pods with ${CLIENTS} clients while the scheduler binds them`);
      const cpu0 = serverUsage(pid).cpuS;
      const c = await createPods(client, names, createdAt);
      const createS = (c.end - c.start) / 1000;
      log(`created ${PODS - c.errors} pods in ${createS.toFixed(1)} s (${((PODS - c.errors) / createS).toFixed(0)}/s); waiting for bindings`);
      await watch.waitFor(1 + PODS - c.errors, 600_000);
      const w = boundWindow(names, watch.boundAt);
      const e2eS = (w.last - c.start) / 1000;
      const lat = latencies(names, createdAt, watch.boundAt);
      const usage = serverUsage(pid);
      results.endToEnd = {
        created: PODS - c.errors,
        createErrors: c.errors,
        createPerS: (PODS - c.errors) / createS,
        firstCreateToLastBoundS: e2eS,
        podsPerS: (PODS - c.errors) / e2eS,
        bindWindowPerS: (PODS - c.errors) / ((w.last - w.first) / 1000),
        createToBoundMs: { p50: pct(lat, 50), p90: pct(lat, 90), p99: pct(lat, 99), max: lat.at(-1) },
        serverCpuS: usage.cpuS - cpu0,
        server: usage,
        scheduler: schedulerStats(server),
      };
      log(`phase 1: ${JSON.stringify(results.endToEnd)}`);
    }

    // --- 2. scheduling only ------------------------------------------------------------
    if (BACKLOG > 0) {
      log("phase 2: taking the controller-manager lease so the server's scheduler stops");
      await setControllerLeaseHolder(client, "kite-bench");
      await Bun.sleep(5000); // the elector notices within its 2 s retry
      const probe = "probe-1";
      await client.create(R.pods, NS, benchPod(probe));
      await Bun.sleep(2000);
      if (watch.boundAt.has(probe)) throw new Error("the scheduler kept running after the lease was taken");
      const backlog = Array.from({ length: BACKLOG }, (_, i) => `backlog-${i}`);
      const bCreated = new Map<string, number>();
      log(`creating a backlog of ${BACKLOG} pods`);
      const c = await createPods(client, backlog, bCreated);
      log(`created ${BACKLOG - c.errors} pods in ${((c.end - c.start) / 1000).toFixed(1)} s; giving the lease back`);
      const before = watch.boundAt.size;
      const cpu0 = serverUsage(pid).cpuS;
      const released = performance.now();
      await setControllerLeaseHolder(client, null);
      await watch.waitFor(before + 1 + BACKLOG - c.errors, 600_000);
      const w = boundWindow(backlog, watch.boundAt);
      const usage = serverUsage(pid);
      results.schedulingOnly = {
        pods: BACKLOG - c.errors,
        leaseReleaseToFirstBoundS: (w.first - released) / 1000,
        firstToLastBoundS: (w.last - w.first) / 1000,
        podsPerS: (BACKLOG - c.errors) / ((w.last - w.first) / 1000),
        podsPerSIncludingRestart: (BACKLOG - c.errors) / ((w.last - released) / 1000),
        serverCpuS: usage.cpuS - cpu0,
        server: usage,
        scheduler: schedulerStats(server),
      };
      log(`phase 2: ${JSON.stringify(results.schedulingOnly)}`);
    }
    results.heartbeats = { renewals: beats.renewals, failures: beats.failures, lastError: beats.lastError };
    results.final = serverUsage(pid);
    results.loadavgAfter = loadavg()[0];
  } finally {
    beats?.stop();
    await watch?.stop();
    await server.stop();
  }
  report(results);
  if (args.json) writeFileSync(args.json, JSON.stringify(results, null, 2));
}

function report(r: Record<string, unknown>) {
  const f = (n: unknown, d = 0) => (typeof n === "number" && Number.isFinite(n) ? n.toFixed(d) : "-");
  const a = r.algorithmOnly as Record<string, number> | undefined;
  const e = r.endToEnd as Record<string, any> | undefined;
  const s = r.schedulingOnly as Record<string, any> | undefined;
  const fin = r.final as Record<string, number>;
  console.log(`\nbench:schedule — ${r.nodes} simulated nodes (${r.zones} zones), ${r.clients} clients, ${r.binary}, load ${f(r.loadavgBefore, 2)} → ${f(r.loadavgAfter, 2)}`);
  if (a) console.log(`algorithm    ${a.pods} pods in-process, no API: ${f(a.podsPerS)} pods/s (${f(a.usPerPod)} µs/pod, ${f(a.nodesEvaluatedPerPod)} nodes evaluated per pod)`);
  if (e) {
    console.log(`end to end   ${e.created} pods: ${f(e.podsPerS)} pods/s first create → last bound (${f(e.firstCreateToLastBoundS, 1)} s); creates ${f(e.createPerS)}/s`);
    console.log(`             create→bound p50 ${f(e.createToBoundMs.p50)} ms, p90 ${f(e.createToBoundMs.p90)} ms, p99 ${f(e.createToBoundMs.p99)} ms; server CPU ${f(e.serverCpuS, 1)} s (${f((e.serverCpuS * 1000) / e.created, 2)} ms/pod)`);
  }
  if (s) {
    console.log(`sched. only  ${s.pods} pods backlog: ${f(s.podsPerS)} pods/s first → last bound (${f(s.firstToLastBoundS, 1)} s); ${f(s.podsPerSIncludingRestart)} pods/s including the scheduler's restart (${f(s.leaseReleaseToFirstBoundS, 1)} s to first bind); server CPU ${f(s.serverCpuS, 1)} s (${f((s.serverCpuS * 1000) / s.pods, 2)} ms/pod)`);
  }
  const sched = (s ?? e)?.scheduler as Record<string, string> | null | undefined;
  if (sched) console.log(`scheduler    attempts ${sched.attempts}, scheduled ${sched.scheduled}, in cycles ${sched.cycleMs} ms (${f(Number(sched.cycleMs) * 1000 / Number(sched.attempts), 0)} µs/pod), events dropped ${sched.droppedEvents}`);
  console.log(`server RSS   ${f(fin.rssMiB)} MiB now, ${f(fin.peakMiB)} MiB peak (idle ${f((r.idle as Record<string, number>).rssMiB)} MiB, with nodes ${f((r.afterNodes as Record<string, number>).rssMiB)} MiB)`);
  const hb = r.heartbeats as Record<string, number>;
  console.log(`heartbeats   ${hb.renewals} lease renewals, ${hb.failures} failed${hb.failures ? ` (last: ${hb.lastError})` : ""}`);
}

await main();
