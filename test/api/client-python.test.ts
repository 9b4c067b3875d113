/**
 * The official Python client (Debian's python3-kubernetes, run with /usr/bin/python3) against
 * a real `kite server` over HTTPS with the admin kubeconfig: CRUD (strategic and JSON patch,
 * 409 on a stale update, 404 Status) and list + watch from the list's resourceVersion.
 * The client prints a JSON report (clients/python-client.py); this test asserts on it.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { startServer, type KiteServer } from "../lib/kite.ts";
import { ensureCompiledBinary } from "./lib.ts";

const PYTHON = "/usr/bin/python3";
let server: KiteServer;

beforeAll(async () => {
  if (!existsSync(PYTHON) || Bun.spawnSync([PYTHON, "-c", "import kubernetes"]).exitCode !== 0) {
    throw new Error("python3-kubernetes is missing: apt-get install python3-kubernetes (see test/prereqs.sh)");
  }
  if (!process.env.KITE_TEST_SOURCE) ensureCompiledBinary();
  server = await startServer();
}, 180_000);

afterAll(async () => {
  await server?.stop();
});

test("python client: CRUD and list + watch", async () => {
  const proc = Bun.spawn([PYTHON, join(import.meta.dir, "clients", "python-client.py"), server.kubeconfig, "client-python"], { stdout: "pipe", stderr: "pipe" });
  const killer = setTimeout(() => proc.kill("SIGKILL"), 50_000);
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(killer);
  if (code !== 0) throw new Error(`client failed (${code}):\n${err}\n${out}`);
  const r = JSON.parse(out.trim().split("\n").at(-1)!);
  expect(r.created).toEqual({ uid: true, rv: true });
  expect(r.read).toEqual({ a: "1" });
  expect(r.replaced).toEqual({ a: "2" });
  expect(r.stale).toMatchObject({ code: 409, body: { kind: "Status", reason: "Conflict" } });
  expect(r.patched).toEqual({ a: "2", b: "x" });
  expect(r.jsonPatched).toEqual({ a: "2" });
  expect(r.list).toEqual({ names: ["c1"], rv: true });
  expect(r.deploymentStrategy).toBe("RollingUpdate");
  expect(r.scaled).toBe(3);
  expect(r.afterDelete).toMatchObject({ code: 404, body: { kind: "Status", reason: "NotFound" } });
  expect(r.watch.seen.filter((s: string) => !s.startsWith("BOOKMARK"))).toEqual(["ADDED i1", "MODIFIED i1", "DELETED pre"]);
  expect(r.watch.cache).toEqual({ i1: { v: "2" } });
  expect(r.watch.finished).toBe(true);
}, 60_000);
