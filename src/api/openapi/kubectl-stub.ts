/**
 * @module api/openapi/kubectl-stub
 * Test support (not used by kite at run time): a tiny HTTP API server on 127.0.0.1 that gives a
 * real kubectl just enough to work against the OpenAPI and protobuf code of this area — legacy
 * discovery, /version, /openapi/v2 (protobuf) and /openapi/v3 built by this module's builders —
 * and records every write request (method, path, query, content type, body bytes), answering it
 * with a 201 JSON echo so kubectl exits cleanly. Objects created with a JSON body are kept, so a
 * second `kubectl apply` finds them and sends a PATCH (answered with the stored object). Plus helpers to run kubectl against it with a
 * throw-away kubeconfig and cache directory.
 */
import { mkdtempSync, rmSync, writeFileSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { ResourceInfo } from "./types.ts";
import { groupVersionOf, groupVersionOfV3Path, v3PathOf } from "./types.ts";
import { openApiV3Doc, openApiV3Root, v3CacheHeaders } from "./v3.ts";
import { openApiV2Protobuf } from "./v2-protobuf.ts";

export interface StubResource extends ResourceInfo {
  shortNames?: string[];
}

export interface Recorded {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType: string;
  body: Uint8Array;
}

export interface StubOptions {
  resources: StubResource[];
  /** `minor` reported by /version (kubectl's dispatcher routes on it). */
  minor?: string;
  /** Serve /openapi/v2 and /openapi/v3 (default true). */
  openapi?: boolean;
  /** Build the answer to a write; default: a JSON echo of what could be decoded, else a stub object. */
  answer?: (req: Recorded, resource: StubResource | undefined) => unknown;
}

export interface Stub {
  url: string;
  port: number;
  recorded: Recorded[];
  /** Every request path seen (GETs included), for assertions on what kubectl fetched. */
  seen: string[];
  stop(): void;
}

const ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

export function resource(group: string, version: string, kind: string, plural: string, namespaced: boolean, extra: Partial<StubResource> = {}): StubResource {
  return { group, version, kind, plural, namespaced, verbs: ALL_VERBS, ...extra };
}

function json(body: unknown, status = 200, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });
}

export function startStub(opts: StubOptions): Stub {
  const recorded: Recorded[] = [];
  const seen: string[] = [];
  const objects = new Map<string, unknown>();
  const rs = opts.resources;
  const gvs = [...new Set(rs.map((r) => groupVersionOf(r.group, r.version)))];
  const resourceList = (gv: string) => ({
    kind: "APIResourceList", apiVersion: "v1", groupVersion: gv,
    resources: rs.filter((r) => groupVersionOf(r.group, r.version) === gv).flatMap((r) => [
      { name: r.plural, singularName: r.kind.toLowerCase(), namespaced: r.namespaced, kind: r.kind, verbs: r.verbs, shortNames: r.shortNames, categories: ["all"] },
      ...(r.subresources ?? []).map((s) => ({
        name: `${r.plural}/${s.name}`, singularName: "", namespaced: r.namespaced, kind: s.kind?.kind ?? r.kind, verbs: s.verbs,
        ...(s.kind ? { group: s.kind.group, version: s.kind.version } : {}),
      })),
    ]),
  });
  const v3Docs = () => gvs.map((gv) => openApiV3Doc(gv, rs.filter((r) => groupVersionOf(r.group, r.version) === gv)));

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      const path = url.pathname;
      seen.push(`${req.method} ${path}`);
      if (req.method === "GET") {
        const stored = objects.get(path);
        if (stored) return json(stored);
        if (path === "/version") return json({ major: "1", minor: opts.minor ?? "32", gitVersion: `v1.${opts.minor ?? "32"}.0`, gitCommit: "0", gitTreeState: "clean", buildDate: "2025-01-01T00:00:00Z", goVersion: "go1.23", compiler: "gc", platform: "linux/amd64" });
        if (path === "/api") return json({ kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: url.host }] });
        if (path === "/apis") {
          const groups = [...new Set(rs.filter((r) => r.group).map((r) => r.group))].map((g) => {
            const v = rs.find((r) => r.group === g)!.version;
            return { name: g, versions: [{ groupVersion: `${g}/${v}`, version: v }], preferredVersion: { groupVersion: `${g}/${v}`, version: v } };
          });
          return json({ kind: "APIGroupList", apiVersion: "v1", groups });
        }
        if (path === "/api/v1") return json(resourceList("v1"));
        const m = /^\/apis\/([^/]+)\/([^/]+)$/.exec(path);
        if (m && gvs.includes(`${m[1]}/${m[2]}`)) return json(resourceList(`${m[1]}/${m[2]}`));
        if (opts.openapi !== false) {
          if (path === "/openapi/v2" || path === "/swagger-2.0.0.pb-v1") {
            return new Response(openApiV2Protobuf(rs).bytes as unknown as BodyInit, { headers: { "Content-Type": "application/octet-stream" } });
          }
          if (path === "/openapi/v3") return json(openApiV3Root(v3Docs()));
          if (path.startsWith("/openapi/v3/")) {
            const gv = groupVersionOfV3Path(path.slice("/openapi/v3/".length));
            const doc = v3Docs().find((d) => d.groupVersion === gv);
            if (doc) {
              const h = v3CacheHeaders(doc, url.searchParams.get("hash"));
              return new Response(h.status === 200 ? doc.json : null, { status: h.status, headers: h.headers });
            }
          }
        }
        return json({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: "the server could not find the requested resource", reason: "NotFound", code: 404 }, 404);
      }
      const body = new Uint8Array(await req.arrayBuffer());
      const rec: Recorded = { method: req.method, path, query: Object.fromEntries(url.searchParams), contentType: req.headers.get("content-type") ?? "", body };
      recorded.push(rec);
      const target = resourceOf(rs, path);
      const answer = opts.answer ? opts.answer(rec, target) : defaultAnswer(rec, target);
      // Remember created JSON objects so that a later GET (kubectl apply's) finds them.
      const name = (answer as { metadata?: { name?: string } } | null)?.metadata?.name;
      if (req.method === "POST" && name && target && path.endsWith(`/${target.plural}`) && rec.contentType.startsWith("application/json")) objects.set(`${path}/${name}`, answer);
      if (req.method === "PATCH" && objects.has(path)) return json(objects.get(path));
      return json(answer, 201);
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, port: server.port!, recorded, seen, stop: () => server.stop(true) };
}

/** The resource a request path addresses: `/apis/g/v[/namespaces/ns]/plural[/name[/sub]]`. */
function resourceOf(rs: StubResource[], path: string): StubResource | undefined {
  const m = /^\/(?:api\/([^/]+)|apis\/([^/]+)\/([^/]+))(?:\/namespaces\/[^/]+(?=\/))?\/([^/]+)/.exec(path);
  if (!m) return undefined;
  const [group, version] = m[1] ? ["", m[1]] : [m[2]!, m[3]!];
  return rs.find((r) => r.group === group && r.version === version && r.plural === m[4]);
}

function defaultAnswer(rec: Recorded, r: StubResource | undefined): unknown {
  if (rec.contentType.startsWith("application/json")) {
    try { return JSON.parse(new TextDecoder().decode(rec.body)); } catch { /* fall through */ }
  }
  const parts = rec.path.split("/");
  return { apiVersion: r ? groupVersionOf(r.group, r.version) : "v1", kind: r?.kind ?? "Status", metadata: { name: parts[parts.length - 1] } };
}

/** Directory of the versioned kubectl binaries (kubectl.1.27 … kubectl.1.33), or undefined. */
export function kubectlDir(): string | undefined {
  const k = Bun.which("kubectl");
  return k ? dirname(realpathSync(k)) : undefined;
}

export function kubectlBinary(minor: number): string | undefined {
  const dir = kubectlDir();
  if (!dir) return undefined;
  const p = join(dir, `kubectl.1.${minor}`);
  return Bun.file(p).size > 0 ? p : undefined;
}

export interface KubectlEnv {
  dir: string;
  kubeconfig: string;
  /** Runs kubectl (asynchronously: the stub answers from this process's event loop). */
  run(bin: string, args: string[], opts?: { timeoutMs?: number; stdin?: string; env?: Record<string, string> }): Promise<{ code: number; stdout: string; stderr: string }>;
  cleanup(): void;
}

/** A temp HOME with a kubeconfig for `url` and its own kubectl cache. */
export function kubectlEnv(url: string): KubectlEnv {
  const dir = mkdtempSync(join(tmpdir(), "kite-kubectl-"));
  const kubeconfig = join(dir, "config");
  writeFileSync(kubeconfig, [
    "apiVersion: v1", "kind: Config", "current-context: stub",
    "clusters:", "- name: stub", "  cluster:", `    server: ${url}`,
    "contexts:", "- name: stub", "  context:", "    cluster: stub", "    user: stub", "    namespace: default",
    "users:", "- name: stub", "  user: {}", "",
  ].join("\n"));
  return {
    dir,
    kubeconfig,
    async run(bin, args, o = {}) {
      const p = Bun.spawn([bin, "--kubeconfig", kubeconfig, "--cache-dir", join(dir, "cache"), ...args], {
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, KUBECTL_COMMAND_HEADERS: "false", ...(o.env ?? {}) },
        stdin: o.stdin === undefined ? "ignore" : new TextEncoder().encode(o.stdin),
        stdout: "pipe",
        stderr: "pipe",
      });
      const timer = setTimeout(() => p.kill("SIGKILL"), o.timeoutMs ?? 30_000);
      try {
        const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
        return { code, stdout, stderr };
      } finally {
        clearTimeout(timer);
      }
    },
    cleanup() { rmSync(dir, { recursive: true, force: true }); },
  };
}

export { v3PathOf };
