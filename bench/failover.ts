/**
 * bun run bench:failover [--repeats 5] [--writers 10] [--timeout-ms 100] [--json out.json]
 *
 * Starts a 3-server kite cluster (real `kite server` processes on loopback), runs write
 * loops against the two followers (ConfigMap creates over HTTPS, each limited to
 * --timeout-ms, loops staggered), kills the leader with SIGKILL and measures the time
 * from the kill to the end of the first successful write issued after it. The killed
 * server is restarted from its data dir, the cluster must report 3 voters again, and the
 * next repeat starts. At the end every acknowledged write is looked up: none may be lost.
 *
 * Same method as the etcd 3.4 baseline (perf-baselines.md §3: 1.38 s median
 * [1.16–1.69], default 100 ms heartbeat / 1000 ms election). Target: median under 1 s.
 */
import { writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { adminToken, type KiteServer } from "../test/lib/kite.ts";
import { startCluster, type KiteCluster } from "../test/lib/kite-cluster.ts";

const { values: args } = parseArgs({
  options: {
    repeats: { type: "string", default: "5" },
    writers: { type: "string", default: "10" },
    "timeout-ms": { type: "string", default: "100" },
    json: { type: "string" },
  },
});
const repeats = Number(args.repeats);
const writers = Number(args.writers);
const timeoutMs = Number(args["timeout-ms"]);

let cluster: KiteCluster | null = null;
const cleanup = async () => {
  await cluster?.stop();
  cluster = null;
};
for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => void cleanup().finally(() => process.exit(130)));

function client(s: KiteServer) {
  const ca = readFileSync(join(s.dataDir, "server", "tls", "ca.crt"), "utf8");
  const auth = `Bearer ${adminToken(s)}`;
  return async (name: string): Promise<boolean> => {
    try {
      const r = await fetch(`${s.url}/api/v1/namespaces/default/configmaps`, {
        method: "POST",
        headers: { Authorization: auth, "Content-Type": "application/json" },
        body: JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data: { v: name } }),
        tls: { ca },
        signal: AbortSignal.timeout(timeoutMs),
      } as RequestInit);
      await r.arrayBuffer();
      return r.status === 201;
    } catch {
      return false;
    }
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

try {
  const load0 = loadavg()[0]!;
  console.error("starting a 3-server kite cluster...");
  cluster = await startCluster(3);
  const acked: string[] = [];
  const outages: number[] = [];
  const elections: number[] = [];
  let seq = 0;
  for (let rep = 0; rep < repeats; rep++) {
    const leader = await cluster.leader();
    const followers = cluster.servers.filter((s) => s !== leader);
    const clients = followers.map(client);
    let stop = false;
    let killedAt = 0;
    let firstAfter = 0;
    const loop = async (w: number) => {
      await Bun.sleep((w * 10) % 100); // stagger: a probe starts about every 10 ms
      const put = clients[w % clients.length]!;
      while (!stop) {
        const name = `fo-${rep}-${seq++}`;
        const t0 = Date.now();
        if (await put(name)) {
          acked.push(name);
          if (killedAt && t0 >= killedAt && !firstAfter) firstAfter = Date.now();
        } else if (!killedAt) await Bun.sleep(5);
      }
    };
    const loops = Array.from({ length: writers }, (_, w) => loop(w));
    await Bun.sleep(1000);
    killedAt = Date.now();
    leader.kill();
    await leader.proc.exited;
    const deadline = Date.now() + 30_000;
    while (!firstAfter && Date.now() < deadline) await Bun.sleep(5);
    stop = true;
    await Promise.all(loops);
    if (!firstAfter) throw new Error(`repeat ${rep + 1}: no write succeeded within 30 s of the kill (on a busy machine a create may need more than ${timeoutMs} ms: try --timeout-ms 1000)`);
    const ms = firstAfter - killedAt;
    outages.push(ms);
    const elected = followers
      .flatMap((f) => f.log().split("\n").filter((l) => l.includes("became leader")).map((l) => Date.parse(l.slice(0, 24))))
      .filter((t) => t >= killedAt)
      .sort((a, b) => a - b)[0];
    if (elected !== undefined) elections.push(elected - killedAt);
    console.error(`  repeat ${rep + 1}/${repeats}: ${ms} ms from SIGKILL of the leader to the first successful write (new leader after ${elected === undefined ? "?" : elected - killedAt} ms)`);
    await cluster.restart(leader);
    const t = Date.now();
    for (;;) {
      const m = await cluster.members(leader).catch(() => []);
      if (m.length === 3 && m.every((x) => x.role === "voter") && m.some((x) => x.isLeader)) break;
      if (Date.now() - t > 30_000) throw new Error("cluster not healthy again after restart");
      await Bun.sleep(100);
    }
  }
  // No acknowledged write lost: every one is in the final state (read from one server).
  const s = cluster.servers[0]!;
  const r = await fetch(`${s.url}/api/v1/namespaces/default/configmaps`, { headers: { Authorization: `Bearer ${adminToken(s)}` }, tls: { ca: readFileSync(join(s.dataDir, "server", "tls", "ca.crt"), "utf8") } } as RequestInit);
  const present = new Set(((await r.json()) as { items: { metadata: { name: string } }[] }).items.map((i) => i.metadata.name));
  const lost = acked.filter((a) => !present.has(a));
  const sorted = [...outages].sort((a, b) => a - b);
  console.log(
    [
      `kite failover: SIGKILL of the leader of 3 kite servers (loopback), ${writers} write loops on the followers, ${timeoutMs} ms per write`,
      `  write unavailability: median ${median(outages)} ms [${sorted[0]}–${sorted[sorted.length - 1]}] n=${outages.length}: ${outages.join(", ")} ms`,
      `  new leader elected (from the servers' logs): median ${elections.length ? median(elections) : "-"} ms: ${elections.join(", ")} ms`,
      `  etcd 3.4 defaults, same method (perf-baselines.md §3): median 1380 ms [1163–1692] n=5`,
      `  acknowledged writes: ${acked.length}, lost: ${lost.length}${lost.length ? ` (${lost.slice(0, 5).join(", ")}...)` : ""}`,
      `  machine load average (1 min) at start ${load0.toFixed(2)}, at end ${loadavg()[0]!.toFixed(2)}`,
    ].join("\n"),
  );
  if (args.json) writeFileSync(args.json, JSON.stringify({ outages, acked: acked.length, lost: lost.length }, null, 2));
  if (lost.length > 0) process.exitCode = 1;
} finally {
  await cleanup();
}
