/**
 * bun run bench:podstart [--pods 30] [--engine podman|docker] [--source] [--json out.json]
 *
 * Pod start latency of kite's node agent against a real engine: a `kite server` and a
 * `kite agent` process (compiled from the current source into a temp dir, or run from
 * source with --source), then N single-container pods of the local test image bound
 * straight to the node (spec.nodeName, no scheduler):
 *   1. one at a time: time from the API create to the Ready condition (p50/p99), each
 *      pod paired with a bare `podman run --rm` of the same image run just before it
 *      (the ratio per pair cancels out load from other users of the machine);
 *   2. the agent's RSS with the N pods running;
 *   3. a burst: N pods created at once, p50/p99/max create→Ready and the total;
 *   4. deleting N pods (graceful, 1 s) until the API has none left.
 * Everything it creates carries its run's node name / labels and is removed at the end.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { writeFileSync } from "node:fs";
import type { Subprocess } from "bun";
import type { KObj, KubeClient } from "../src/client/client.ts";
import { R } from "../src/client/resources.ts";
import { podmanTestEnv, startDockerd, type Dockerd } from "../test/lib/container-env.ts";
import { startServer, type KiteServer, REPO } from "../test/lib/kite.ts";
import { ensureTestImage, TEST_IMAGE } from "../test/lib/test-image.ts";
import { adminClient, cleanupNode, engine } from "../test/agent/lib.ts";

const { values: args } = parseArgs({
  options: {
    pods: { type: "string", default: "30" },
    engine: { type: "string", default: "podman" },
    source: { type: "boolean", default: false },
    json: { type: "string" },
  },
});
const N = Number(args.pods);
const engineName = args.engine as "podman" | "docker";
if (!(N >= 1) || !["podman", "docker"].includes(engineName)) {
  console.error("usage: bun bench/podstart.ts [--pods N] [--engine podman|docker] [--source] [--json out.json]");
  process.exit(2);
}
process.env.KITE_TEST_SOURCE ??= "1"; // the server runs from source; the agent as chosen below

const run = Math.random().toString(36).slice(2, 7);
const node = `bench-${run}`;
const ns = "default";
const tmp = mkdtempSync("/tmp/kite-bench-podstart-");
let server: KiteServer | null = null;
let dockerd: Dockerd | null = null;
let agentProc: Subprocess | null = null;
let engineEnv: Record<string, string> = {};
const podmanEnv = engineName === "podman" ? podmanTestEnv() : null;

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}
const ms = (x: number) => `${Math.round(x)} ms`;

async function sh(cmd: string[], env: Record<string, string> = {}): Promise<number> {
  const t = performance.now();
  const p = Bun.spawn(cmd, { env: { ...process.env, ...env }, stdout: "ignore", stderr: "pipe" });
  const [err, code] = await Promise.all([new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`${cmd.join(" ")} failed: ${err}`);
  return performance.now() - t;
}

async function bareBaseline(): Promise<{ runRm: number; podRun: number }> {
  const bin = engineName;
  const label = ["--label", `io.kite.bench=${run}`];
  const runRm: number[] = [];
  const podRun: number[] = [];
  for (let i = 0; i < 6; i++) {
    const d = await sh([bin, "run", "--rm", ...label, TEST_IMAGE, "true"], engineEnv);
    if (i > 0) runRm.push(d); // first run warms caches
  }
  if (engineName === "podman") {
    for (let i = 0; i < 4; i++) {
      const pod = `kite-bench-${run}-${i}`;
      const t = performance.now();
      await sh([bin, "pod", "create", ...label, "--name", pod], engineEnv);
      await sh([bin, "run", "-d", "--pod", pod, ...label, TEST_IMAGE, "sleep", "3600"], engineEnv);
      podRun.push(performance.now() - t);
      await sh([bin, "pod", "rm", "--force", "--time", "0", pod], engineEnv);
    }
  }
  return { runRm: pct(runRm, 50), podRun: podRun.length ? pct(podRun, 50) : NaN };
}

async function agentBinary(): Promise<string[]> {
  if (args.source) return [process.execPath, join(REPO, "src", "main.ts")];
  const out = join(tmp, "kite");
  const p = Bun.spawn([process.execPath, "build", "--compile", "--minify", join(REPO, "src", "main.ts"), "--outfile", out], { stdout: "ignore", stderr: "pipe", cwd: REPO });
  const [err, code] = await Promise.all([new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`bun build failed: ${err}`);
  return [out];
}

function rssKiB(pid: number, field = "VmRSS"): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : 0;
}

/** Watches the run's pods and resolves per-name promises when each becomes Ready. */
function readyWatcher(client: KubeClient) {
  const readyAt = new Map<string, number>();
  const waiters = new Map<string, (t: number) => void>();
  const ac = new AbortController();
  const isReady = (p: KObj) => ((p.status?.conditions ?? []) as KObj[]).some((c) => c.type === "Ready" && c.status === "True");
  void (async () => {
    let rv = (await client.list(R.pods, ns, { labelSelector: `kite-bench=${run}` })).metadata.resourceVersion;
    while (!ac.signal.aborted) {
      try {
        for await (const ev of client.watch(R.pods, ns, { labelSelector: `kite-bench=${run}`, resourceVersion: rv }, ac.signal)) {
          rv = ev.object?.metadata?.resourceVersion ?? rv;
          const name = ev.object?.metadata?.name;
          if (ev.type !== "DELETED" && name && isReady(ev.object) && !readyAt.has(name)) {
            const t = performance.now();
            readyAt.set(name, t);
            waiters.get(name)?.(t);
          }
        }
      } catch {
        if (!ac.signal.aborted) await Bun.sleep(200);
      }
    }
  })();
  return {
    wait(name: string, timeoutMs: number): Promise<number | null> {
      const t = readyAt.get(name);
      if (t !== undefined) return Promise.resolve(t);
      return new Promise((resolve) => {
        const timer = setTimeout(() => resolve(null), timeoutMs);
        waiters.set(name, (x) => {
          clearTimeout(timer);
          resolve(x);
        });
      });
    },
    stop: () => ac.abort(),
  };
}

function podManifest(name: string): KObj {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: ns, labels: { "kite-bench": run } },
    spec: { nodeName: node, terminationGracePeriodSeconds: 1, containers: [{ name: "app", image: TEST_IMAGE, imagePullPolicy: "IfNotPresent", command: ["sleep", "3600"] }] },
  };
}

async function deleteAll(client: KubeClient, names: string[]): Promise<number> {
  const t = performance.now();
  await Promise.all(names.map((n) => client.deleteIgnoreNotFound(R.pods, ns, n)));
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    const left = (await client.list(R.pods, ns, { labelSelector: `kite-bench=${run}` })).items.length;
    if (left === 0) return performance.now() - t;
    await Bun.sleep(200);
  }
  throw new Error("pods were not deleted within 180 s");
}

async function main() {
  console.log(`kite bench:podstart — ${N} pods, engine ${engineName}, load average ${loadavg().map((x) => x.toFixed(1)).join(" ")}`);
  if (engineName === "docker") {
    dockerd = await startDockerd();
    engineEnv = dockerd.env;
  } else engineEnv = podmanEnv!.env;
  await ensureTestImage({ engine: engineName, env: engineEnv });
  const base = await bareBaseline();
  console.log(`bare ${engineName} run --rm ${TEST_IMAGE} true: p50 ${ms(base.runRm)}` + (Number.isNaN(base.podRun) ? "" : `; pod create + run -d (running): p50 ${ms(base.podRun)}`));

  const agentCmd = await agentBinary();
  server = await startServer();
  const client = adminClient(server);
  const dataDir = join(tmp, "agent");
  const logFile = join(tmp, "agent.log");
  agentProc = Bun.spawn(
    [...agentCmd, "agent", "--server", server.url, "--token", server.token(), "--data-dir", dataDir, "--node-name", node, "--node-ip", "127.0.0.1", "--container-runtime", engineName],
    { env: { ...process.env, ...engineEnv }, stdout: Bun.file(logFile), stderr: Bun.file(logFile), stdin: "ignore" },
  );
  const nodeDeadline = Date.now() + 120_000;
  for (;;) {
    const n = await client.getOrNull(R.nodes, undefined, node);
    if (((n?.status?.conditions ?? []) as KObj[]).some((c) => c.type === "Ready" && c.status === "True")) break;
    if (agentProc.exitCode !== null || Date.now() > nodeDeadline) throw new Error(`agent did not get Ready:\n${readFileSync(logFile, "utf8").slice(-3000)}`);
    await Bun.sleep(200);
  }
  const idleRss = rssKiB(agentProc.pid);
  const watcher = readyWatcher(client);
  await Bun.sleep(300);

  // 1. One at a time, each pod paired with a bare `run --rm` just before it, so the ratio
  //    compares the two under the same machine load (this machine is shared).
  const seq: number[] = [];
  const paired: number[] = [];
  const ratios: number[] = [];
  let stuck = 0;
  const seqNames: string[] = [];
  for (let i = 0; i < N; i++) {
    const bare = await sh([engineName, "run", "--rm", "--label", `io.kite.bench=${run}`, TEST_IMAGE, "true"], engineEnv);
    const name = `seq-${run}-${i}`;
    seqNames.push(name);
    const t = performance.now();
    await client.create(R.pods, ns, podManifest(name));
    const at = await watcher.wait(name, 120_000);
    if (at === null) stuck++;
    else {
      seq.push(at - t);
      paired.push(bare);
      ratios.push((at - t) / bare);
    }
  }
  console.log(`one at a time: create→Ready p50 ${ms(pct(seq, 50))}, p99 ${ms(pct(seq, 99))}, max ${ms(Math.max(...seq))} (${seq.length}/${N} Ready, ${stuck} stuck)`);
  console.log(`  paired bare run --rm p50 ${ms(pct(paired, 50))}; kite/bare per pair: p50 ${pct(ratios, 50).toFixed(2)}×, p99 ${pct(ratios, 99).toFixed(2)}× (target p50 ≤ 2×)`);

  // 2. RSS with N pods running: the peak right after the starts, then the steady value
  //    30 s later (several relists and status rounds, short-lived CLI buffers released).
  let peak = 0;
  let rss = 0;
  for (let i = 0; i < 30; i++) {
    rss = rssKiB(agentProc.pid);
    peak = Math.max(peak, rss);
    await Bun.sleep(1000);
  }
  const mib = (k: number) => `${(k / 1024).toFixed(1)} MiB`;
  console.log(`agent RSS: ${mib(idleRss)} idle; with ${N} pods running ${mib(rss)} steady (30 s after the last start), ${mib(peak)} peak (target < 60 MiB; k3s agent ~270 MB)`);
  // RSS counts the executable's clean file-backed pages (the Bun runtime: shared between kite
  // processes, dropped and re-read under memory pressure); the private part is RssAnon.
  console.log(`  of the steady RSS: ${mib(rssKiB(agentProc.pid, "RssAnon"))} private (anonymous), ${mib(rssKiB(agentProc.pid, "RssFile"))} file-backed (the executable's pages)`);

  // 4 (first half). Delete them.
  const del1 = await deleteAll(client, seqNames);
  console.log(`delete ${N} pods (grace 1 s): all gone in ${ms(del1)}`);

  // 3. Burst.
  const burstNames = Array.from({ length: N }, (_, i) => `burst-${run}-${i}`);
  const t0 = performance.now();
  const burst: number[] = [];
  let burstStuck = 0;
  await Promise.all(
    burstNames.map(async (name) => {
      const t = performance.now();
      await client.create(R.pods, ns, podManifest(name));
      const at = await watcher.wait(name, 180_000);
      if (at === null) burstStuck++;
      else burst.push(at - t);
    }),
  );
  const total = performance.now() - t0;
  console.log(`burst of ${N}: create→Ready p50 ${ms(pct(burst, 50))}, p99 ${ms(pct(burst, 99))}, all Ready in ${ms(total)} (${burst.length}/${N} Ready, ${burstStuck} stuck)`);
  const burstRss = rssKiB(agentProc.pid);
  const del2 = await deleteAll(client, burstNames);
  console.log(`agent RSS after the burst: ${(burstRss / 1024).toFixed(1)} MiB; delete ${N} pods: ${ms(del2)}`);
  watcher.stop();
  if (args.json) {
    writeFileSync(args.json, JSON.stringify({ pods: N, engine: engineName, bare: base, sequential: { p50: pct(seq, 50), p99: pct(seq, 99), stuck, pairedBareP50: pct(paired, 50), ratioP50: pct(ratios, 50), ratioP99: pct(ratios, 99) }, rssKiB: { idle: idleRss, running: rss, peak, afterBurst: burstRss }, burst: { p50: pct(burst, 50), p99: pct(burst, 99), totalMs: total, stuck: burstStuck }, deleteMs: [del1, del2], loadavg: loadavg() }, null, 2));
  }
  if (stuck || burstStuck) process.exitCode = 1;
}

async function cleanup() {
  try {
    if (agentProc && agentProc.exitCode === null) {
      agentProc.kill("SIGTERM");
      const t = setTimeout(() => agentProc?.kill("SIGKILL"), 10_000);
      await agentProc.exited;
      clearTimeout(t);
    }
    const rt = engine(engineName, engineEnv);
    await cleanupNode(rt, node);
    const p = Bun.spawn([engineName, "ps", "-aq", "--filter", `label=io.kite.bench=${run}`], { env: { ...process.env, ...engineEnv }, stdout: "pipe" });
    const ids = (await new Response(p.stdout).text()).split("\n").filter(Boolean);
    if (ids.length) await sh([engineName, "rm", "-f", ...ids], engineEnv).catch(() => {});
    if (engineName === "podman") {
      const q = Bun.spawn(["podman", "pod", "ps", "-q", "--filter", `label=io.kite.bench=${run}`], { env: { ...process.env, ...engineEnv }, stdout: "pipe" });
      const pods = (await new Response(q.stdout).text()).split("\n").filter(Boolean);
      if (pods.length) await sh(["podman", "pod", "rm", "-f", ...pods], engineEnv).catch(() => {});
    }
  } finally {
    await server?.stop();
    await dockerd?.stop();
    podmanEnv?.cleanup();
    rmSync(tmp, { recursive: true, force: true });
  }
}

for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => void cleanup().finally(() => process.exit(130)));
try {
  await main();
} catch (e) {
  console.error(`bench failed: ${(e as Error).message}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
