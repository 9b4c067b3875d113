/**
 * Raw SPDY/3.1 upgrades (kubectl 1.27/1.28 exec, attach, cp; kubectl ≤1.30 port-forward)
 * through handleRawUpgrade, with REAL kubectl and REAL podman containers.
 *
 * Bun.serve (kite's listener) cannot hand over a socket, so `kite server` answers SPDY
 * upgrades with a clear 400 (see suite.ts). This test stands in for a listener that owns
 * its sockets: a node:https front on its own port that proxies ordinary requests to the
 * real kite server and serves upgrade requests in-process with the real streaming
 * subresources and an in-process tunnel to the same node's agent side.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { ApiError } from "../../src/api/errors.ts";
import { errorResponse } from "../../src/api/http/respond.ts";
import type { OpContext } from "../../src/api/registry/types.ts";
import { podStreamingSubresources, TunnelRegistry } from "../../src/api/streaming/index.ts";
import { type ApiFetch, handleRawUpgrade } from "../../src/api/streaming/raw-upgrade.ts";
import { streamHandler } from "../../src/agent/streaming/index.ts";
import { PodmanRuntime } from "../../src/agent/runtime/podman.ts";
import { podmanTestEnv } from "../lib/container-env.ts";
import { api, freePort, kubectlBinary } from "../lib/kite.ts";
import { curl, type Harness, readUntil, startHarness } from "./harness.ts";
import { ensureStreamingImage } from "./image.ts";

setDefaultTimeout(120_000);

const has = (v: string) => {
  try {
    kubectlBinary(v);
    return true;
  } catch {
    return false;
  }
};

describe("raw SPDY upgrades with real kubectl", () => {
  let pEnv: ReturnType<typeof podmanTestEnv>;
  let h: Harness;
  let front: https.Server;
  let kubeconfig = "";
  let tmp = "";
  const local = new TunnelRegistry();

  beforeAll(async () => {
    pEnv = podmanTestEnv();
    await ensureStreamingImage("podman", pEnv.env);
    const runtime = new PodmanRuntime({ env: pEnv.env });
    h = await startHarness("podman", runtime);
    tmp = mkdtempSync("/tmp/kite-raw-spdy-");
    await h.pod("web", [{ name: "main", command: ["sh", "-c", "httpd -p 8080 -h /www; while true; do echo tick; sleep 0.3; done"] }]);
    local.connectLocal(h.nodeName, streamHandler(h.nodeName, runtime));

    const server = h.server;
    const subs = podStreamingSubresources({
      tunnels: local,
      pods: { get: async (_g, _p, ns, name) => (await api(server, "GET", `/api/v1/namespaces/${ns}/pods/${name}`)).json() },
    });
    // The API's routing for pods/<sub>, reduced to what this test needs.
    const apiFetch: ApiFetch = async (request, standIn) => {
      const url = new URL(request.url);
      const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/(exec|attach|portforward)$/.exec(url.pathname);
      if (!m) return errorResponse(new ApiError(404, "NotFound", "not found"));
      const upgrade = (data: unknown) => ((standIn as { upgrade(r: Request, o: unknown): boolean }).upgrade(request, { data }) ? new Response(null, { status: 101 }) : undefined);
      try {
        return await subs[m[3]!]!.handle({ request, method: request.method, namespace: m[1], name: m[2]!, url, ctx: {} as OpContext, upgrade });
      } catch (e) {
        return errorResponse(e);
      }
    };
    const tls = join(server.dataDir, "server", "tls");
    const ca = readFileSync(join(tls, "ca.crt"), "utf8");
    front = https.createServer({ cert: readFileSync(join(tls, "serving.crt")), key: readFileSync(join(tls, "serving.key")) }, async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string" && k !== "host" && k !== "connection") headers[k] = v;
      const r = await fetch(server.url + req.url, { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined, tls: { ca } } as RequestInit);
      const out = Buffer.from(await r.arrayBuffer());
      const rh: Record<string, string> = {};
      r.headers.forEach((v, k) => {
        if (k !== "content-length" && k !== "transfer-encoding" && k !== "content-encoding") rh[k] = v;
      });
      res.writeHead(r.status, { ...rh, "content-length": String(out.length) });
      res.end(out);
    });
    front.on("upgrade", (req, socket, head) => {
      if ((req.headers.upgrade ?? "").toLowerCase() === "spdy/3.1") void handleRawUpgrade(apiFetch, req, socket, head, { secure: true });
      else socket.end("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"); // no WebSocket here: kubectl falls back to SPDY
    });
    await new Promise<void>((r) => front.listen(0, "127.0.0.1", () => r()));
    const port = (front.address() as AddressInfo).port;
    kubeconfig = join(tmp, "kubeconfig.yaml");
    writeFileSync(kubeconfig, readFileSync(server.kubeconfig, "utf8").replace(server.url, `https://127.0.0.1:${port}`));
  });

  afterAll(async () => {
    front?.close();
    local.closeAll();
    await h?.stop();
    pEnv?.cleanup();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const kubectl = async (version: string, args: string[], stdin?: string) => {
    const p = Bun.spawn([kubectlBinary(version), "--kubeconfig", kubeconfig, "--cache-dir", join(tmp, `cache-${version}`), ...args], {
      stdin: stdin !== undefined ? new TextEncoder().encode(stdin) : "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    return { code, stdout, stderr };
  };

  for (const version of ["1.27", "1.28", "1.32"]) {
    test.skipIf(!has(version))(`kubectl ${version} exec over SPDY: output, exit code, stdin`, async () => {
      const r = await kubectl(version, ["exec", "web", "--", "sh", "-c", "echo out; echo err >&2; exit 3"]);
      expect(r.stdout).toBe("out\n");
      expect(r.stderr).toContain("err\n");
      expect(r.code).toBe(3);
      const cat = await kubectl(version, ["exec", "-i", "web", "--", "sh", "-c", "cat; echo end"], "from stdin\n");
      expect(cat).toMatchObject({ code: 0, stdout: "from stdin\nend\n" });
    });
  }

  test.skipIf(!has("1.27"))("kubectl 1.27 cp both ways and attach over SPDY", async () => {
    writeFileSync(join(tmp, "in.txt"), "spdy copy\n".repeat(1000));
    expect((await kubectl("1.27", ["cp", join(tmp, "in.txt"), "web:/tmp/in.txt"])).code).toBe(0);
    expect((await kubectl("1.27", ["cp", "web:/tmp/in.txt", join(tmp, "out.txt")])).code).toBe(0);
    expect(readFileSync(join(tmp, "out.txt"), "utf8")).toBe("spdy copy\n".repeat(1000));
    const p = Bun.spawn([kubectlBinary("1.27"), "--kubeconfig", kubeconfig, "--cache-dir", join(tmp, "cache-1.27"), "attach", "web"], { stdout: "pipe", stderr: "pipe" });
    try {
      await readUntil(p.stdout, /tick\n[^]*tick\n/, 20_000);
    } finally {
      p.kill();
      await p.exited;
    }
  });

  for (const version of ["1.27", "1.30"]) {
    test.skipIf(!has(version))(`kubectl ${version} port-forward over raw SPDY`, async () => {
      const port = freePort();
      const p = Bun.spawn([kubectlBinary(version), "--kubeconfig", kubeconfig, "--cache-dir", join(tmp, `cache-${version}`), "port-forward", "pod/web", `${port}:8080`], { stdout: "pipe", stderr: "pipe" });
      try {
        await readUntil(p.stdout, /Forwarding from 127\.0\.0\.1/, 20_000);
        for (let i = 0; i < 2; i++) expect(await curl(`http://127.0.0.1:${port}/index.html`)).toMatchObject({ code: 0, stdout: "hello from the pod\n" });
      } finally {
        p.kill();
        await p.exited;
      }
    });
  }
});
