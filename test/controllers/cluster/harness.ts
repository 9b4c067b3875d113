/**
 * @module test/controllers/cluster/harness
 * A real `kite server` process, which runs the cluster controllers itself (controller
 * manager, Lease leader election, in-process client), plus an API client for the test
 * (admin token, TLS verified with the cluster CA) and kubectl. Tests set the
 * controllers' knobs through the server's own flags and environment.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import YAML from "yaml";
import { KubeClient, type FetchFn, type KObj } from "../../../src/client/client.ts";
import { R } from "../../../src/client/resources.ts";
import { adminToken, startServer, waitFor, type KiteServer, type ServerOptions } from "../../lib/kite.ts";

export interface Cluster {
  server: KiteServer;
  client: KubeClient;
  /** kubectl against the server; throws with its stderr unless it exits 0. */
  kubectl(args: string[], stdin?: string): Promise<string>;
  stop(): Promise<void>;
}

export function clientFor(server: KiteServer): KubeClient {
  const ca = readFileSync(join(server.dataDir, "server", "tls", "ca.crt"), "utf8");
  const tlsFetch: FetchFn = (input, init) => fetch(input, { ...init, tls: { ca } } as RequestInit);
  return new KubeClient({ baseUrl: server.url, token: adminToken(server), fetch: tlsFetch, userAgent: "kite-cluster-controllers-test" });
}

/** Start a server and wait until its controllers run (the default ServiceAccount appears in kube-system). */
export async function startCluster(opts: ServerOptions = {}): Promise<Cluster> {
  const server = await startServer(opts);
  const client = clientFor(server);
  const c: Cluster = {
    server,
    client,
    async kubectl(args, stdin) {
      const r = await server.kubectl(args, { stdin });
      if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
      return r.stdout;
    },
    stop: () => server.stop().then(() => undefined),
  };
  try {
    await waitFor(async () => (await client.getOrNull(R.serviceaccounts, "kube-system", "default")) !== null, 30_000, "controllers running", server.log);
  } catch (e) {
    await c.stop();
    throw e;
  }
  return c;
}

/** Poll until `get` returns a value for which `ok` holds; returns it. */
export async function eventually<T>(get: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  let last: T | undefined;
  let err: unknown;
  try {
    await waitFor(
      async () => {
        try {
          last = await get();
          err = undefined;
          return ok(last);
        } catch (e) {
          err = e;
          return false;
        }
      },
      timeoutMs,
      what,
    );
  } catch (e) {
    throw new Error(`${(e as Error).message}; last value: ${JSON.stringify(last)?.slice(0, 1500)}${err ? `; last error: ${(err as Error).message}` : ""}`);
  }
  return last as T;
}

export function yamlDocs(...objs: KObj[]): string {
  return objs.map((o) => YAML.stringify(o)).join("---\n");
}
