/**
 * bun run bench:store [--duration 10] [--quick] [--levels 1,16,64,256] [--only kite|etcd] [--in-process] [--servers 1|3] [--json out.json]
 *
 * Writes with 1, 16, 64 and 256 concurrent writers for a fixed time each,
 * against kite and against a real etcd 3.4 started here on loopback, and
 * prints writes/s and p50/p99 latency side by side with the ratio kite/etcd.
 * kite is driven the way a client sees it: over HTTPS through its API server, each
 * write creating a ConfigMap (`--in-process` drives the Store interface directly instead,
 * labelled as such). `--servers 3` compares 3 kite servers in one Raft cluster with a
 * 3-member etcd cluster, both written through their leader (bench/lib/kite-cluster.ts).
 */
import { writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { etcdGatewayDriver, kiteApiDriver, kiteInProcessDriver, type WriteDriver } from "./lib/drivers.ts";
import { startKiteSingle } from "./lib/kite-single.ts";
import { startEtcd, type EtcdHandle } from "./lib/etcd.ts";
import { startEtcdCluster, startKiteCluster } from "./lib/kite-cluster.ts";
import { runLoad, type LoadResult } from "./lib/load.ts";

const { values: args } = parseArgs({
  options: {
    duration: { type: "string" },
    quick: { type: "boolean", default: false },
    levels: { type: "string", default: "1,16,64,256" },
    only: { type: "string" },
    json: { type: "string" },
    "in-process": { type: "boolean", default: false },
    servers: { type: "string", default: "1" },
  },
});
const cluster = args.servers === "3";
if (args.servers !== "1" && !cluster) {
  console.error("--servers must be 1 or 3");
  process.exit(2);
}
const kiteDriver = (): WriteDriver => (cluster ? kiteApiDriver(startKiteCluster) : args["in-process"] ? kiteInProcessDriver() : kiteApiDriver(startKiteSingle));
const durationS = Number(args.duration ?? (args.quick ? 2 : 10));
const warmupMs = args.quick ? 500 : 1000;
const levels = args.levels!.split(",").map(Number);
if (!(durationS > 0) || levels.some((c) => !(c >= 1))) {
  console.error("bad --duration or --levels");
  process.exit(2);
}

let etcd: EtcdHandle | null = null;
const cleanup = async () => {
  await etcd?.stop();
  etcd = null;
};
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => void cleanup().finally(() => process.exit(130)));
}

/** One level against one driver, with a fresh setup (kite: a new database each time). */
async function runLevel(d: WriteDriver, c: number): Promise<LoadResult> {
  await d.setup();
  try {
    const r = await runLoad(d, c, durationS * 1000, warmupMs);
    const cpu = r.targetCores !== undefined
      ? `target ${r.targetCores.toFixed(2)} + client ${r.clientCores.toFixed(2)} cores`
      : `${r.clientCores.toFixed(2)} cores (in-process)`;
    console.error(
      `  ${d.name} c=${c}: ${r.perSecond.toFixed(0)} w/s p50 ${r.p50ms.toFixed(2)} ms p99 ${r.p99ms.toFixed(2)} ms, ${cpu}` +
        (r.errors ? `, ${r.errors} errors: ${r.firstError}` : ""),
    );
    return r;
  } finally {
    await d.teardown();
    Bun.gc(true);
  }
}

const load0 = loadavg()[0]!;
const fmt = (n: number | undefined, digits = 0) => (n === undefined || Number.isNaN(n) ? "-" : n.toFixed(digits));

try {
  // Levels alternate kite and etcd, so drift in machine load (it is shared) hits both alike.
  const kite = args.only === "etcd" ? null : { label: kiteDriver().label, results: [] as LoadResult[] };
  let etcdRun: { label: string; results: LoadResult[] } | null = null;
  if (args.only !== "kite") {
    etcd = cluster ? await startEtcdCluster(3) : await startEtcd();
    console.error(`etcd ${etcd.version} at ${etcd.url}`);
    etcdRun = { label: etcdGatewayDriver(etcd.url).label, results: [] };
  }
  for (const c of levels) {
    if (kite) kite.results.push(await runLevel(kiteDriver(), c));
    if (etcdRun && etcd) etcdRun.results.push(await runLevel(etcdGatewayDriver(etcd.url, etcd.cpuSeconds), c));
  }
  await cleanup();

  const lines: string[] = [];
  lines.push(`store write benchmark: ${durationS} s per level after ${warmupMs} ms warm-up, 256-byte values, ${new Date().toISOString()}`);
  if (kite) lines.push(`  ${kite.label}`);
  if (etcdRun) lines.push(`  ${etcdRun.label}`);
  if (cluster) lines.push("  --servers 3: kite = 3 kite servers in one Raft cluster, etcd = 3 members; both written through their leader");
  lines.push("");
  lines.push(
    ["writers", "kite w/s", "p50 ms", "p99 ms", "cores", "etcd w/s", "p50 ms", "p99 ms", "cores", "kite/etcd"].map((h) => h.padStart(10)).join(""),
  );
  for (let i = 0; i < levels.length; i++) {
    const k = kite?.results[i];
    const e = etcdRun?.results[i];
    const ratio = k && e ? k.perSecond / e.perSecond : undefined;
    lines.push(
      [
        String(levels[i]),
        fmt(k?.perSecond),
        fmt(k?.p50ms, 3),
        fmt(k?.p99ms, 3),
        fmt(k?.targetCores ?? k?.clientCores, 2),
        fmt(e?.perSecond),
        fmt(e?.p50ms, 3),
        fmt(e?.p99ms, 3),
        fmt(e?.targetCores, 2),
        ratio === undefined ? "-" : ratio.toFixed(2),
      ]
        .map((c) => c.padStart(10))
        .join(""),
    );
  }
  lines.push("");
  lines.push(args["in-process"] ? "  kite cores: this process (load generator + store, in-process); etcd cores: the etcd process only." : "  cores: the target server process(es) only (the load generator shares the same 2 cores).");
  lines.push(
    `  machine load average (1 min) at start ${load0.toFixed(2)}, at end ${loadavg()[0]!.toFixed(2)} on ` +
      `${navigator.hardwareConcurrency} cores: figures taken on a busy machine are not comparable with quiet runs.`,
  );
  console.log(lines.join("\n"));
  const errors = [...(kite?.results ?? []), ...(etcdRun?.results ?? [])].reduce((s, r) => s + r.errors, 0);
  if (args.json) writeFileSync(args.json, JSON.stringify({ durationS, levels, kite, etcd: etcdRun }, null, 2));
  if (errors > 0) {
    console.error(`${errors} writes failed`);
    process.exitCode = 1;
  }
} finally {
  await cleanup();
}
