/**
 * @module bench/lib/drivers
 * Write drivers for the store benchmark: each knows how to set up a target,
 * perform write number `i`, and tear down. `label` says exactly how the target
 * is driven (it is printed next to the figures).
 *
 * Today kite is driven in-process through the Store interface; once the API
 * server exists, a driver creating ConfigMaps over HTTPS replaces it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalStore } from "../../src/store/local-store.ts";

export interface WriteDriver {
  name: string;
  label: string;
  setup(): Promise<void>;
  /** Performs write number `i`; rejects on failure. */
  write(i: number): Promise<void>;
  teardown(): Promise<void>;
  /** CPU seconds used by the target so far, when it runs in another process (undefined: in this process). */
  targetCpuSeconds?(): number;
}

/** 256 bytes of printable data. */
export const VALUE_256 = "0123456789abcdef".repeat(16);

/** kite's LocalStore in this process: each write creates a ConfigMap (JSON) holding one 256-byte value. */
export function kiteInProcessDriver(): WriteDriver {
  let dir = "";
  let store: LocalStore | null = null;
  const prefix = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"namespace":"bench","name":"cm-`;
  const suffix = `"},"data":{"value":"${VALUE_256}"}}`;
  return {
    name: "kite",
    label: "kite: IN-PROCESS through the Store interface (LocalStore, SQLite WAL, synchronous=FULL, group commit); " +
      "not yet over HTTPS/API server. Each write creates /registry/configmaps/bench/cm-<i> (ConfigMap JSON with one 256-byte value)",
    async setup() {
      dir = mkdtempSync(join(tmpdir(), "kite-bench-store-"));
      store = await LocalStore.open(join(dir, "state.db"));
    },
    async write(i) {
      const r = await store!.create(`/registry/configmaps/bench/cm-${i}`, prefix + i + suffix);
      if (!r.succeeded) throw new Error(`create cm-${i} failed`);
    },
    async teardown() {
      await store?.close();
      store = null;
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** etcd's HTTP/JSON gateway: POST /v3/kv/put, base64 key and 256-byte value, keys cycling over 10 000. */
export function etcdGatewayDriver(url: string, cpuSeconds?: () => number): WriteDriver {
  const value = Buffer.from(VALUE_256).toString("base64");
  const keys = Array.from({ length: 10_000 }, (_, i) => Buffer.from(`bench/${String(i).padStart(8, "0")}`).toString("base64"));
  return {
    name: "etcd",
    label: `etcd: single node on loopback (${url}), HTTP/JSON gateway POST /v3/kv/put, 256-byte values, 10 000-key space, keep-alive fetch`,
    async setup() {},
    async write(i) {
      const res = await fetch(`${url}/v3/kv/put`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: `{"key":"${keys[i % keys.length]}","value":"${value}"}`,
      });
      const body = await res.text();
      if (!res.ok) throw new Error(`etcd put: HTTP ${res.status} ${body.slice(0, 200)}`);
    },
    async teardown() {},
    targetCpuSeconds: cpuSeconds,
  };
}

/** CPU seconds (user + system) of a process, from /proc. */
export function processCpuSeconds(pid: number): number {
  try {
    const stat = require("node:fs").readFileSync(`/proc/${pid}/stat`, "utf8") as string;
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

export interface KiteApiTarget {
  /** Base URLs of the servers; writes go round-robin over them. */
  urls: string[];
  token: string;
  caPem: string;
  /** PIDs of the server processes (for CPU accounting). */
  pids: number[];
  stop(): Promise<void>;
  describe: string;
}

/**
 * kite the way a client sees it: HTTPS through the API server, each write creating a
 * ConfigMap holding one 256-byte value (POST /api/v1/namespaces/bench/configmaps).
 * `start` brings up the target (a fresh server or cluster per level).
 */
export function kiteApiDriver(start: () => Promise<KiteApiTarget>): WriteDriver {
  let t: KiteApiTarget | null = null;
  let headers: Record<string, string> = {};
  const bodyPrefix = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm-`;
  const bodySuffix = `"},"data":{"value":"${VALUE_256}"}}`;
  const label = "kite: over HTTPS through its API server (bearer token, TLS verified), each write POSTs a ConfigMap with one 256-byte value";
  return {
    name: "kite",
    label,
    async setup() {
      t = await start();
      headers = { Authorization: `Bearer ${t.token}`, "Content-Type": "application/json" };
      const ns = await fetch(`${t.urls[0]}/api/v1/namespaces`, { method: "POST", headers, body: `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"bench"}}`, tls: { ca: t.caPem } } as RequestInit);
      if (!ns.ok && ns.status !== 409) throw new Error(`creating namespace bench: HTTP ${ns.status} ${await ns.text()}`);
    },
    async write(i) {
      const url = t!.urls[i % t!.urls.length];
      const res = await fetch(`${url}/api/v1/namespaces/bench/configmaps`, { method: "POST", headers, body: bodyPrefix + i + bodySuffix, tls: { ca: t!.caPem } } as RequestInit);
      if (res.status !== 201) throw new Error(`create cm-${i}: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
      await res.arrayBuffer();
    },
    async teardown() {
      await t?.stop();
      t = null;
    },
    targetCpuSeconds: () => (t ? t.pids.reduce((s, p) => s + processCpuSeconds(p), 0) : NaN),
  };
}
