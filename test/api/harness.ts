/**
 * @module test/api/harness
 * The API server in this process, for focused HTTP-level tests that need to reach the store
 * (compaction for 410 Gone, revision counts): a real LocalStore (SQLite) in a temp dir, the
 * built-in kinds, schemas/protobuf/OpenAPI extensions, and createApiApp served by Bun.serve
 * over plain HTTP on 127.0.0.1 with a bearer token. stop() closes everything and removes the dir.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { LocalStore } from "../../src/store/local-store.ts";
import { Catalog } from "../../src/api/registry/catalog.ts";
import { createApiApp, websocketHandlers } from "../../src/api/app.ts";
import { Authenticator, putCredential } from "../../src/api/auth/authn.ts";
import { builtinResources } from "../../src/api/resources/index.ts";
import { installApiExtensions } from "../../src/server/api-extensions.ts";
import { bootstrapCluster } from "../../src/server/bootstrap.ts";
import type { Metrics } from "../../src/api/metrics.ts";

export interface InProcessApi {
  url: string;
  token: string;
  store: LocalStore;
  catalog: Catalog;
  metrics: Metrics;
  /** The hono app, for calls without the network (app.fetch). */
  app: ReturnType<typeof createApiApp>["app"];
  /** fetch with the bearer token; JSON bodies are stringified. */
  req(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  stop(): Promise<void>;
}

export async function startInProcessApi(): Promise<InProcessApi> {
  const dir = mkdtempSync(join(tmpdir(), "kite-api-test-"));
  const store = await LocalStore.open(join(dir, "state.db"));
  const catalog = new Catalog(store);
  const authenticator = new Authenticator(store);
  for (const def of builtinResources({ defaultUnreachableTolerationSeconds: 300 })) catalog.add(def);
  const ext = await installApiExtensions(catalog, store);
  const token = "test-admin-token";
  await putCredential(store, token, { username: "system:admin", groups: ["system:masters"] });
  const { app, metrics } = createApiApp({ catalog, authenticator, serverAddress: "127.0.0.1:0", health: [], openapi: ext.openapi });
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (req, srv) => app.fetch(req, srv), websocket: websocketHandlers, idleTimeout: 0 });
  const url = `http://127.0.0.1:${server.port}`;
  await bootstrapCluster(catalog, { advertiseAddress: "127.0.0.1", port: server.port!, serviceIP: "10.43.0.1" });
  return {
    url,
    token,
    store,
    catalog,
    metrics,
    app,
    req(method, path, body, headers = {}) {
      return fetch(url + path, {
        method,
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", ...headers },
        body: body === undefined ? undefined : typeof body === "string" || body instanceof Uint8Array ? (body as BodyInit) : JSON.stringify(body),
      });
    },
    async stop() {
      server.stop(true);
      ext.stop();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Reads newline-delimited JSON events from a watch response until `n` arrive or `ms` pass. */
export async function readEvents(res: Response, n: number, ms = 5000): Promise<{ type: string; object: Record<string, any> }[]> {
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let buf = "";
  const out: { type: string; object: Record<string, any> }[] = [];
  const deadline = Date.now() + ms;
  try {
    while (out.length < n && Date.now() < deadline) {
      const r = await Promise.race([reader.read(), Bun.sleep(Math.max(1, deadline - Date.now())).then(() => null)]);
      if (r === null || r.done) break;
      buf += dec.decode(r.value, { stream: true });
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        if (line) out.push(JSON.parse(line));
      }
    }
  } finally {
    reader.cancel().catch(() => {});
  }
  return out;
}
