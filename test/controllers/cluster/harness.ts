/**
 * @module test/controllers/cluster/harness
 * A real `kite server` process plus cluster controllers running in this test process
 * against it over HTTPS (admin token, TLS verified with the cluster CA), the way the
 * controller manager runs them: shared informers started after every controller
 * registered. stop() stops the controllers, the informers and the server.
 */
import { readFileSync } from "node:fs";
import YAML from "yaml";
import { join } from "node:path";
import { KubeClient, type FetchFn, type KObj } from "../../../src/client/client.ts";
import { InformerFactory } from "../../../src/client/informer.ts";
import { EventRecorder } from "../../../src/client/events.ts";
import type { Controller, ControllerContext, ControllerOptions } from "../../../src/controllers/types.ts";
import { adminToken, startServer, waitFor, type KiteServer, type ServerOptions } from "../../lib/kite.ts";

export interface Cluster {
  server: KiteServer;
  client: KubeClient;
  ctx: ControllerContext;
  /** kubectl against the server; throws with its stderr unless it exits 0. */
  kubectl(args: string[], stdin?: string): Promise<string>;
  stop(): Promise<void>;
}

export function clientFor(server: KiteServer): KubeClient {
  const ca = readFileSync(join(server.dataDir, "server", "tls", "ca.crt"), "utf8");
  const tlsFetch: FetchFn = (input, init) => fetch(input, { ...init, tls: { ca } } as RequestInit);
  return new KubeClient({ baseUrl: server.url, token: adminToken(server), fetch: tlsFetch, userAgent: "kite-cluster-controllers-test" });
}

export async function startCluster(controllers: Controller[], opts: { server?: ServerOptions; options?: Partial<ControllerOptions> } = {}): Promise<Cluster> {
  const server = await startServer(opts.server);
  const client = clientFor(server);
  const informers = new InformerFactory(client);
  const hostName = `node-${server.port}`;
  const ctx: ControllerContext = {
    client,
    informers,
    recorder: (component) => new EventRecorder(client, component, hostName),
    options: { nodeMonitorGracePeriodSeconds: 40, hostName, dataDir: server.dataDir, ...opts.options },
  };
  const started: Controller[] = [];
  const stop = async () => {
    for (const c of started) await c.stop();
    informers.stopAll();
    await server.stop();
  };
  try {
    for (const c of controllers) {
      started.push(c);
      await c.start(ctx);
    }
    informers.startAll();
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    server,
    client,
    ctx,
    async kubectl(args, stdin) {
      const r = await server.kubectl(args, { stdin });
      if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
      return r.stdout;
    },
    stop,
  };
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
