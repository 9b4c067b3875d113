/**
 * @module api/streaming/tunnel-route
 * `GET /kite/v1/tunnel` (WebSocket): where node agents connect. The caller must present
 * a node credential (user `system:node:<name>`); the tunnel is registered for that node
 * only, so an agent can never receive another node's streams. The route authenticates
 * itself (kite's /kite/ routes bypass the API's middleware).
 */
import type { Hono } from "hono";
import type { Env, WsHandler } from "../app.ts";
import { errors } from "../errors.ts";
import { errorResponse } from "../http/respond.ts";
import type { UserInfo } from "../registry/types.ts";
import { TUNNEL_PATH, TUNNEL_SUBPROTOCOL } from "../../tunnel/frames.ts";
import { type MuxOptions, TunnelMux } from "../../tunnel/mux.ts";
import { serverWebSocketTransport } from "../../tunnel/transport.ts";
import type { TunnelRegistry } from "./tunnels.ts";
import { offeredProtocols } from "./upgrade.ts";

export interface TunnelRouteDeps {
  tunnels: TunnelRegistry;
  authenticate(req: Request): Promise<UserInfo | null>;
  /** Mux tuning (tests shorten keepalives). */
  mux?: Partial<Omit<MuxOptions, "role">>;
}

const NODE_USER = /^system:node:([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/;

/** The node a user may open a tunnel for, or null. */
export function tunnelNodeOf(user: UserInfo): string | null {
  return NODE_USER.exec(user.username)?.[1] ?? null;
}

export function mountTunnelRoute(app: Hono<Env>, deps: TunnelRouteDeps): void {
  app.get(TUNNEL_PATH, async (c) => {
    const req = c.req.raw;
    const user = await deps.authenticate(req);
    if (!user) return errorResponse(errors.unauthorized());
    const node = tunnelNodeOf(user);
    if (!node) return errorResponse(errors.forbidden(`User "${user.username}" cannot open a node tunnel: only node credentials (system:node:<name>) may`));
    if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") return errorResponse(errors.badRequest("the node tunnel is a WebSocket: send Upgrade: websocket"));
    if (!offeredProtocols(req.headers).includes(TUNNEL_SUBPROTOCOL)) return errorResponse(errors.badRequest(`unsupported tunnel protocol: this server speaks ${TUNNEL_SUBPROTOCOL}`));
    const server = c.env;
    if (!server) return errorResponse(errors.internal("WebSocket upgrades are not available on this listener"));
    let mux: TunnelMux | null = null;
    const handler: WsHandler = {
      open(ws) {
        const m: TunnelMux = new TunnelMux(serverWebSocketTransport(ws as never), { ...deps.mux, role: "server", onClose: () => deps.tunnels.unregister(node, m) });
        mux = m;
        deps.tunnels.register(node, m);
      },
      message(_ws, msg) {
        if (typeof msg === "string") mux?.close("protocol error: text message", 1003);
        else mux?.receive(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength));
      },
      drain() {
        mux?.drained();
      },
      close(_ws, code, reason) {
        mux?.transportClosed(`connection closed (${code}${reason ? ` ${reason}` : ""})`);
      },
    };
    if (!server.upgrade(req, { data: { handler }, headers: { "Sec-WebSocket-Protocol": TUNNEL_SUBPROTOCOL } })) return errorResponse(errors.badRequest("WebSocket upgrade failed"));
    return new Response(null, { status: 101 });
  });
}
