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
