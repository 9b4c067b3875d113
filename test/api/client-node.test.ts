/**
 * The official JavaScript client (@kubernetes/client-node) against a real `kite server` over
 * HTTPS with the admin kubeconfig: CRUD through the generated typed APIs (patch flavours,
 * 409 on a stale update, 404 Status), and an informer (list + watch) that sees adds, updates
 * and deletes and keeps its cache equal to the server's state. The client runs in its own
 * Bun process (clients/node-client.ts) so the cluster CA can be trusted through
 * NODE_EXTRA_CA_CERTS; this test asserts on the report it prints.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { startServer, type KiteServer } from "../lib/kite.ts";
import { ensureCompiledBinary } from "./lib.ts";

let server: KiteServer;

beforeAll(async () => {
  if (!process.env.KITE_TEST_SOURCE) ensureCompiledBinary();
  server = await startServer();
}, 180_000);

afterAll(async () => {
  await server?.stop();
});

test("client-node: CRUD with the typed clients and an informer", async () => {
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, "clients", "node-client.ts"), server.kubeconfig, "client-node"], {
    env: { ...process.env, NODE_EXTRA_CA_CERTS: join(server.dataDir, "server", "tls", "ca.crt") },
    stdout: "pipe",
    stderr: "pipe",
  });
  const killer = setTimeout(() => proc.kill("SIGKILL"), 50_000);
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(killer);
  if (code !== 0) throw new Error(`client failed (${code}):\n${err}\n${out}`);
  const r = JSON.parse(out.trim().split("\n").at(-1)!);
  expect(r.created).toEqual({ uid: "string", rv: "string" });
  expect(r.read).toEqual({ a: "1" });
  expect(r.replaced).toEqual({ a: "2" });
  expect(r.stale).toMatchObject({ code: 409, body: { kind: "Status", reason: "Conflict" } });
  expect(r.merged).toEqual({ a: "2", b: "x" });
  expect(r.jsonPatched).toEqual({ a: "2" });
  expect(r.list).toEqual({ names: ["c1"], rv: "string" });
  expect(r.deploymentStrategy).toBe("RollingUpdate");
  expect(r.scaled).toBe(3);
  expect(r.afterDelete).toMatchObject({ code: 404, body: { kind: "Status", reason: "NotFound", code: 404 } });
  expect(r.informer).toEqual({ seen: ["add pre", "add i1", "update i1 2", "delete pre"], cache: ["i1"], i1: { v: "2" }, errors: [] });
}, 60_000);
