/**
 * @module api/app
 * Assembles the API server's HTTP surface with hono: health, version, discovery, OpenAPI,
 * metrics, the generic resource path, and WebSocket upgrades. Kite's own endpoints
 * (/cacerts, joining, Raft peer traffic, agent tunnels) are mounted by the server through
 * `extraRoutes` so this module stays about the Kubernetes API.
 */
import { Hono, type Context } from "hono";
import type { Server, ServerWebSocket } from "bun";
import { ApiError, errors } from "./errors.ts";
import type { Catalog } from "./registry/catalog.ts";
import type { UserInfo } from "./registry/types.ts";
import { aggregatedDiscovery, AGGREGATED_CT, apiResourceList, legacyApiGroup, legacyApiGroupList, legacyApiVersions, negotiateDiscovery } from "./discovery.ts";
import { parseRequestInfo, type RequestInfo } from "./http/request-info.ts";
import { errorResponse, json, text } from "./http/respond.ts";
import { handleResource } from "./http/resources.ts";
import { versionInfo } from "../version.ts";
import type { Authenticator } from "./auth/authn.ts";
import { Metrics } from "./metrics.ts";
import { logger, isDebug } from "../util/log.ts";

const log = logger("api");

/** Handlers a WebSocket upgrade carries in ws.data. */
export interface WsHandler {
  open?(ws: ServerWebSocket<WsData>): void;
  message?(ws: ServerWebSocket<WsData>, msg: string | Buffer): void;
  close?(ws: ServerWebSocket<WsData>, code: number, reason: string): void;
  drain?(ws: ServerWebSocket<WsData>): void;
}
export interface WsData {
  handler: WsHandler;
}

export interface HealthCheck {
  name: string;
  check(): boolean | string;
}

export interface OpenApiProvider {
  v2(): { bytes: Uint8Array; hash: string };
  v3Root(): unknown;
  /** The serialised document at /openapi/v3/<path> and its hash. */
  v3Doc(path: string): { json: string; hash: string; path: string } | null;
}

export interface ApiServerOptions {
  catalog: Catalog;
  authenticator: Authenticator;
  /** host:port clients use, for legacy discovery's serverAddressByClientCIDRs. */
  serverAddress: string;
  health: HealthCheck[];
  openapi?: OpenApiProvider;
  metrics?: Metrics;
  /** Mount kite's own routes (they authenticate themselves). */
  extraRoutes?: (app: Hono<Env>) => void;
}

export type Env = { Bindings: Server<WsData> | undefined; Variables: { user: UserInfo; info: RequestInfo } };

const ANONYMOUS_PATHS = new Set(["/livez", "/readyz", "/healthz", "/version", "/cacerts"]);

export function createApiApp(opts: ApiServerOptions) {
  const app = new Hono<Env>();
  const metrics = opts.metrics ?? new Metrics();
  const { catalog } = opts;

  app.onError((err, c) => {
    if (!(err instanceof ApiError)) log.error("request failed", { method: c.req.method, path: c.req.path, error: err });
    return errorResponse(err);
  });
  app.notFound(() => errorResponse(errors.notFoundPath()));

  // Logging, metrics and authentication for every request.
  app.use("*", async (c, next) => {
    const start = performance.now();
    const path = c.req.path;
    let user: UserInfo | null = null;
    if (!ANONYMOUS_PATHS.has(path) && !path.startsWith("/livez/") && !path.startsWith("/readyz/") && !path.startsWith("/healthz/") && !path.startsWith("/kite/")) {
      user = await opts.authenticator.authenticate(c.req.raw);
      if (!user) {
        const res = errorResponse(errors.unauthorized());
        observe(c, start, res.status, null);
        return res;
      }
      c.set("user", user);
    }
    await next();
    observe(c, start, c.res.status, user);
  });

  function observe(c: Context<Env>, start: number, code: number, user: UserInfo | null) {
    const secs = (performance.now() - start) / 1000;
    const url = c.req.url;
    const qi = url.indexOf("?");
    // Resource requests carry their parsed RequestInfo; others are parsed here.
    const info = c.get("info") ?? parseRequestInfo(c.req.method, c.req.path, new URLSearchParams(qi < 0 ? "" : url.slice(qi + 1)));
    metrics.observeRequest(info, code, secs);
    if (isDebug()) log.debug("request", { method: c.req.method, path: c.req.path + (qi < 0 ? "" : url.slice(qi)), user: user?.username ?? "anonymous", code, ms: Math.round(secs * 10000) / 10 });
  }

  // Health, like kube-apiserver: "ok" once ready; ?verbose lists the checks.
  const health = (c: Context<Env>, checks: HealthCheck[]) => {
    const results = checks.map((h) => ({ name: h.name, r: h.check() }));
    const ok = results.every((x) => x.r === true);
    if (c.req.query("verbose") !== undefined) {
      const lines = results.map((x) => (x.r === true ? `[+]${x.name} ok` : `[-]${x.name} failed: ${x.r === false ? "reason withheld" : x.r}`));
      lines.push(ok ? `${c.req.path.slice(1)} check passed` : `${c.req.path.slice(1)} check failed`);
      return text(lines.join("\n") + "\n", ok ? 200 : 500);
    }
    return text(ok ? "ok" : `[-]${results.find((x) => x.r !== true)!.name} failed: reason withheld\n${c.req.path.slice(1)} check failed`, ok ? 200 : 500);
  };
  app.get("/livez", (c) => health(c, []));
  app.get("/livez/*", (c) => health(c, []));
  app.get("/readyz", (c) => health(c, opts.health));
  app.get("/readyz/*", (c) => health(c, opts.health));
  app.get("/healthz", (c) => health(c, opts.health));
  app.get("/healthz/*", (c) => health(c, opts.health));
  app.get("/version", () => json(versionInfo()));
  app.get("/metrics", () => text(metrics.render(), 200, "text/plain; version=0.0.4; charset=utf-8"));

  // Discovery.
  app.get("/api", (c) => {
    const v = negotiateDiscovery(c.req.header("accept") ?? null);
    if (v) return json(aggregatedDiscovery(catalog, true, v), 200, { "Content-Type": AGGREGATED_CT(v) });
    return json(legacyApiVersions(opts.serverAddress));
  });
  app.get("/apis", (c) => {
    const v = negotiateDiscovery(c.req.header("accept") ?? null);
    if (v) return json(aggregatedDiscovery(catalog, false, v), 200, { "Content-Type": AGGREGATED_CT(v) });
    return json(legacyApiGroupList(catalog));
  });
  app.get("/api/v1", () => json(apiResourceList(catalog, "", "v1")));
  app.get("/apis/:group", (c) => {
    const g = legacyApiGroup(catalog, c.req.param("group"));
    if (!g) throw errors.notFoundPath();
    return json(g);
  });
  app.get("/apis/:group/:version", (c) => {
    const l = apiResourceList(catalog, c.req.param("group"), c.req.param("version"));
    if (!l) throw errors.notFoundPath();
    return json(l);
  });

  // OpenAPI: v2 as gnostic protobuf (kubectl 1.27/1.28), v3 per group-version with kube-openapi's caching.
  if (opts.openapi) {
    const oa = opts.openapi;
    const v2 = (c: Context<Env>) => {
      const { bytes, hash } = oa.v2();
      if (c.req.header("if-none-match") === `"${hash}"`) return new Response(null, { status: 304, headers: { ETag: `"${hash}"` } });
      return new Response(bytes as unknown as BodyInit, { headers: { "Content-Type": "application/octet-stream", ETag: `"${hash}"` } });
    };
    app.get("/openapi/v2", v2);
    app.get("/swagger-2.0.0.pb-v1", v2);
    app.get("/openapi/v3", () => json(oa.v3Root()));
    app.get("/openapi/v3/*", (c) => {
      const doc = oa.v3Doc(c.req.path.slice("/openapi/v3/".length));
      if (!doc) throw errors.notFoundPath();
      const want = c.req.query("hash");
      if (want && want !== doc.hash) return new Response(null, { status: 301, headers: { Location: `/openapi/v3/${doc.path}?hash=${doc.hash}` } });
      const headers: Record<string, string> = { "Content-Type": "application/json", ETag: `"${doc.hash}"` };
      if (want) {
        headers["Cache-Control"] = "public, immutable";
        headers["Expires"] = new Date(Date.now() + 365 * 86400_000).toUTCString();
      } else headers["Cache-Control"] = "no-cache, private";
      return new Response(doc.json, { headers });
    });
  }

  opts.extraRoutes?.(app);

  // The generic resource path.
  const resourceHandler = async (c: Context<Env>) => {
    const req = c.req.raw;
    const url = new URL(req.url);
    const info = parseRequestInfo(req.method, url.pathname, url.searchParams);
    c.set("info", info);
    if (!info.isResourceRequest || !info.resource) throw errors.notFoundPath();
    const entry = catalog.lookup(info.group, info.version, info.resource);
    if (!entry) throw errors.notFoundPath();
    const server = c.env;
    const upgrade = server
      ? (data: unknown, protocols: string[]) => {
          const headers: Record<string, string> = {};
          if (protocols.length) headers["Sec-WebSocket-Protocol"] = protocols[0]!;
          const ok = server.upgrade(req, { data: data as WsData, headers });
          return ok ? new Response(null, { status: 101 }) : undefined;
        }
      : undefined;
    return handleResource({ req, url, info, entry, user: c.get("user"), upgrade });
  };
  app.all("/api/*", resourceHandler);
  app.all("/apis/*", resourceHandler);

  return { app, metrics };
}

/** Bun.serve websocket handlers dispatching to the handler carried by each socket. */
export const websocketHandlers = {
  open(ws: ServerWebSocket<WsData>) {
    ws.data.handler.open?.(ws);
  },
  message(ws: ServerWebSocket<WsData>, msg: string | Buffer) {
    ws.data.handler.message?.(ws, msg);
  },
  close(ws: ServerWebSocket<WsData>, code: number, reason: string) {
    ws.data.handler.close?.(ws, code, reason);
  },
  drain(ws: ServerWebSocket<WsData>) {
    ws.data.handler.drain?.(ws);
  },
  maxPayloadLength: 64 * 1024 * 1024,
  idleTimeout: 0,
  perMessageDeflate: false,
};
