/**
 * bun run bench:api [--duration 5] [--concurrency 64] [--objects 10000] [--quick] [--source] [--only create,get]
 *                   [--server-args "--disable-scheduler"] [--json out.json]
 *
 * Drives a real `kite server` (the compiled dist/kite, rebuilt first when older than src/;
 * --source runs `bun src/main.ts` instead) over HTTPS with keep-alive fetch and the admin bearer token, and
 * prints, per operation, throughput and p50/p99 latency at `--concurrency` closed-loop clients:
 *   create  POST   ConfigMap (one 256-byte value), fieldValidation=Strict as kubectl sends it
 *   get     GET    one of 1 000 ConfigMaps
 *   list    GET    a namespace holding 100 ConfigMaps (a full list, no limit)
 *   update  PUT    the client's own ConfigMap with its current resourceVersion (no conflicts)
 * then fills the store to `--objects` ConfigMaps and prints the server's RSS (VmRSS, VmHWM).
 * Last, the API layer alone: the same create/get through app.fetch() in this process over a
 * LocalStore (no TLS, no Raft), as CPU µs per request, to separate the API path's cost from
 * the transport's and the replicated store's.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { startServer, adminToken, kiteCommand, type KiteServer } from "../test/lib/kite.ts";
import { ensureCompiledBinary } from "../test/api/lib.ts";
import { runLoad, type LoadResult } from "./lib/load.ts";
import type { WriteDriver } from "./lib/drivers.ts";
import { VALUE_256 } from "./lib/drivers.ts";
import { startInProcessApi } from "../test/api/harness.ts";

const { values: args } = parseArgs({
  options: {
    duration: { type: "string" },
    concurrency: { type: "string", default: "64" },
    objects: { type: "string", default: "10000" },
    quick: { type: "boolean", default: false },
    source: { type: "boolean", default: false },
    only: { type: "string" },
    json: { type: "string" },
    "server-args": { type: "string" },
    "skip-inprocess": { type: "boolean", default: false },
  },
});
const durationS = Number(args.duration ?? (args.quick ? 2 : 5));
const warmupMs = args.quick ? 500 : 1000;
const concurrency = Number(args.concurrency);
const objects = Number(args.objects);
if (!(durationS > 0) || !(concurrency >= 1) || !(objects >= 0)) {
  console.error("bad --duration, --concurrency or --objects");
  process.exit(2);
}
if (args.source) process.env.KITE_TEST_SOURCE = "1";
else if (!process.env.KITE_TEST_SOURCE) ensureCompiledBinary(); // a stale dist/kite would measure old code

let server: KiteServer | null = null;
const cleanup = async () => {
  await server?.stop();
  server = null;
};
for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => void cleanup().finally(() => process.exit(130)));

function cpuSecondsOf(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = f.slice(f.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks (100/s)
}
function memOf(pid: number): { rss: number; hwm: number } {
  const s = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)?.[1] ?? NaN);
  return { rss: kb("VmRSS") / 1024, hwm: kb("VmHWM") / 1024 };
}

interface Client {
  req(method: string, path: string, body?: string): Promise<{ status: number; text: string }>;
}
function client(s: KiteServer): Client {
  const ca = readFileSync(join(s.dataDir, "server", "tls", "ca.crt"), "utf8");
  const auth = `Bearer ${adminToken(s)}`;
  return {
    async req(method, path, body) {
      const res = await fetch(s.url + path, {
        method,
        headers: { Authorization: auth, "Content-Type": "application/json", Accept: "application/json" },
        body,
        tls: { ca },
      } as RequestInit);
      return { status: res.status, text: await res.text() };
    },
  };
}

const cmBody = (ns: string, name: string, extra = "") => `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"${name}","namespace":"${ns}"${extra}},"data":{"value":"${VALUE_256}"}}`;

async function must(c: Client, method: string, path: string, body: string | undefined, want: number[]) {
  const r = await c.req(method, path, body);
  if (!want.includes(r.status)) throw new Error(`${method} ${path}: HTTP ${r.status} ${r.text.slice(0, 300)}`);
  return r;
}

async function parallel(n: number, width: number, fn: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < n) await fn(next++);
  }));
}

function driver(name: string, label: string, pid: number, write: (i: number) => Promise<void>): WriteDriver {
  return { name, label, setup: async () => {}, write, teardown: async () => {}, targetCpuSeconds: () => cpuSecondsOf(pid) };
}

async function main() {
  console.log(`kite API benchmark: ${concurrency} clients, ${durationS}s per operation (+${warmupMs}ms warm-up), HTTPS keep-alive, admin bearer token`);
  console.log(`server command: ${kiteCommand().join(" ")}`);
  const extra = args["server-args"] ? args["server-args"].split(/\s+/).filter(Boolean) : [];
  if (extra.length) console.log(`server flags: ${extra.join(" ")}`);
  server = await startServer({ readyTimeoutMs: 60_000, args: extra });
  const pid = server.proc.pid;
  const c = client(server);
  const NS = "/api/v1/namespaces";
  for (const ns of ["bench-create", "bench-read", "bench-list", "bench-update", "bench-fill"]) {
    await must(c, "POST", "/api/v1/namespaces", `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"${ns}"}}`, [201]);
  }
  // Fixtures: 1 000 objects to GET, 100 in the listed namespace, one per client to update.
  await parallel(1000, 32, async (i) => void (await must(c, "POST", `${NS}/bench-read/configmaps`, cmBody("bench-read", `cm-${i}`), [201])));
  await parallel(100, 32, async (i) => void (await must(c, "POST", `${NS}/bench-list/configmaps`, cmBody("bench-list", `cm-${i}`), [201])));
  const rvs: string[] = [];
  await parallel(concurrency, 32, async (i) => {
    const r = await must(c, "POST", `${NS}/bench-update/configmaps`, cmBody("bench-update", `cm-${i}`), [201]);
    rvs[i] = JSON.parse(r.text).metadata.resourceVersion;
  });

  const ops: { name: string; d: WriteDriver }[] = [
    {
      name: "create",
      d: driver("create", "POST ConfigMap (256 B value) ?fieldManager=kubectl-create&fieldValidation=Strict", pid, async (i) => {
        await must(c, "POST", `${NS}/bench-create/configmaps?fieldManager=kubectl-create&fieldValidation=Strict`, cmBody("bench-create", `cm-${i}`), [201]);
      }),
    },
    {
      name: "get",
      d: driver("get", "GET one of 1 000 ConfigMaps", pid, async (i) => void (await must(c, "GET", `${NS}/bench-read/configmaps/cm-${i % 1000}`, undefined, [200]))),
    },
    {
      name: "list",
      d: driver("list", "GET the list of a namespace with 100 ConfigMaps (~45 KB)", pid, async () => void (await must(c, "GET", `${NS}/bench-list/configmaps`, undefined, [200]))),
    },
    {
      name: "update",
      d: (() => {
        // Each closed-loop worker updates its own object: worker k owns cm-k (i is a global counter, so map by slot).
        const free = Array.from({ length: concurrency }, (_, k) => k);
        return driver("update", "PUT own ConfigMap with current resourceVersion (no conflicts)", pid, async (i) => {
          const k = free.pop()!;
          try {
            const r = await must(c, "PUT", `${NS}/bench-update/configmaps/cm-${k}?fieldManager=kubectl-replace&fieldValidation=Strict`,
              cmBody("bench-update", `cm-${k}`, `,"resourceVersion":"${rvs[k]}","labels":{"i":"${i}"}`), [200]);
            rvs[k] = JSON.parse(r.text).metadata.resourceVersion;
          } finally {
            free.push(k);
          }
        });
      })(),
    },
  ].filter((o) => !args.only || args.only.split(",").includes(o.name));

  const results: Record<string, LoadResult> = {};
  console.log("");
  console.log("op       req/s     p50 ms   p99 ms   errors  server CPU  client CPU   what");
  for (const o of ops) {
    const r = await runLoad(o.d, concurrency, durationS * 1000, warmupMs);
    results[o.name] = r;
    console.log(
      `${o.name.padEnd(7)} ${r.perSecond.toFixed(0).padStart(7)}  ${r.p50ms.toFixed(2).padStart(7)}  ${r.p99ms.toFixed(2).padStart(7)}  ${String(r.errors).padStart(6)}  ${(r.targetCores ?? NaN).toFixed(2).padStart(10)}  ${r.clientCores.toFixed(2).padStart(10)}   ${o.d.label}`,
    );
    if (r.firstError) console.log(`        first error: ${r.firstError.slice(0, 300)}`);
  }

  // RSS with `objects` ConfigMaps stored (those created above count).
  const countRes = await must(c, "GET", `/api/v1/configmaps?limit=1`, undefined, [200]);
  void countRes;
  const have = await storedConfigMaps(c);
  const toAdd = Math.max(0, objects - have);
  await parallel(toAdd, 64, async (i) => void (await must(c, "POST", `${NS}/bench-fill/configmaps`, cmBody("bench-fill", `fill-${i}`), [201])));
  const total = await storedConfigMaps(c);
  await Bun.sleep(1000);
  Bun.gc?.(true);
  const mem = memOf(pid);
  console.log("");
  console.log(`server RSS with ${total} ConfigMaps stored: ${mem.rss.toFixed(1)} MiB (peak ${mem.hwm.toFixed(1)} MiB)`);
  console.log(`machine load average: ${loadavg().map((x) => x.toFixed(2)).join(" ")} (2 cores; client and server share them)`);
  const inproc = args["skip-inprocess"] ? undefined : await inProcess();
  if (args.json) writeFileSync(args.json, JSON.stringify({ concurrency, durationS, results, rssMiB: mem.rss, hwmMiB: mem.hwm, objects: total, inProcess: inproc }, null, 2));
}

/** The API layer alone (see the module comment): CPU µs and rate per create and per get. */
async function inProcess() {
  await server?.stop();
  server = null;
  const api = await startInProcessApi();
  try {
    const fetchApp = (method: string, path: string, body?: string) =>
      api.app.fetch(new Request(`http://local${path}`, { method, body, headers: { Authorization: `Bearer ${api.token}`, "Content-Type": "application/json" } }));
    await fetchApp("POST", "/api/v1/namespaces", `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"inproc"}}`);
    const run = async (n: number, fn: (i: number) => Promise<void>) => {
      let next = 0;
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await Promise.all(Array.from({ length: concurrency }, async () => {
        while (next < n) await fn(next++);
      }));
      const cpu = process.cpuUsage(cpu0);
      return { perSecond: n / ((performance.now() - t0) / 1000), cpuMicros: (cpu.user + cpu.system) / n };
    };
    const n = args.quick ? 5000 : 20000;
    const create = await run(n, async (i) => {
      const r = await fetchApp("POST", "/api/v1/namespaces/inproc/configmaps?fieldManager=kubectl-create&fieldValidation=Strict", cmBody("inproc", `cm-${i}`));
      if (r.status !== 201) throw new Error(`create: ${r.status} ${await r.text()}`);
      await r.arrayBuffer();
    });
    const get = await run(n, async (i) => {
      const r = await fetchApp("GET", `/api/v1/namespaces/inproc/configmaps/cm-${i % n}`);
      if (r.status !== 200) throw new Error(`get: ${r.status}`);
      await r.arrayBuffer();
    });
    console.log("");
    console.log(`API layer in this process (app.fetch, LocalStore, no TLS/Raft), ${n} requests at ${concurrency} in flight:`);
    console.log(`  create ${create.perSecond.toFixed(0)}/s, ${create.cpuMicros.toFixed(0)} µs CPU each (including the SQLite commit)`);
    console.log(`  get    ${get.perSecond.toFixed(0)}/s, ${get.cpuMicros.toFixed(0)} µs CPU each`);
    return { create, get };
  } finally {
    await api.stop();
  }
}

async function storedConfigMaps(c: Client): Promise<number> {
  let n = 0;
  let cont = "";
  for (;;) {
    const r = await must(c, "GET", `/api/v1/configmaps?limit=5000${cont ? `&continue=${encodeURIComponent(cont)}` : ""}`, undefined, [200]);
    const l = JSON.parse(r.text);
    n += l.items.length;
    cont = l.metadata?.continue ?? "";
    if (!cont) return n;
  }
}

try {
  await main();
} finally {
  await cleanup();
}
