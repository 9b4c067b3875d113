/**
 * @module server/peer-listener
 * While a server starts, the API port serves only Raft peer traffic (and /cacerts): a
 * member must take part in its cluster (receive its snapshot as a new learner, help
 * elect a leader after a full restart) before its API can be built, because building it
 * reads the replicated store. The real API server replaces this listener on the same
 * port once it is ready; peers redial across the short gap.
 */
import type { Server } from "bun";
import { websocketHandlers, type WsData } from "../api/app.ts";
import { RAFT_PATH, type PeerTransport } from "../cluster/transport.ts";

export interface PeerListener {
  /** Routes peer connections to `transport` (until then they are refused with 503). */
  attach(transport: PeerTransport): void;
  stop(): Promise<void>;
}

export function startPeerListener(opts: { hostname: string; port: number; cert: string; key: string; caPem: string }): PeerListener {
  let transport: PeerTransport | null = null;
  let server: Server<WsData>;
  try {
    server = serve();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EADDRINUSE") throw new Error(`invalid --https-listen-port: ${opts.hostname}:${opts.port} is already in use`);
    throw e;
  }
  function serve(): Server<WsData> {
    return Bun.serve<WsData>({
    hostname: opts.hostname,
    port: opts.port,
    tls: { cert: opts.cert, key: opts.key },
    fetch(req, srv) {
      const path = new URL(req.url).pathname;
      if (path === RAFT_PATH && transport) return transport.accept(req, srv) ?? new Response(null, { status: 101 });
      if (path === "/cacerts") return new Response(opts.caPem, { headers: { "Content-Type": "application/x-pem-file" } });
      return new Response("kite server is starting (waiting for its raft cluster)\n", { status: 503, headers: { "Retry-After": "1" } });
    },
    websocket: websocketHandlers,
    });
  }
  return {
    attach(t) {
      transport = t;
    },
    async stop() {
      await server.stop(true);
    },
  };
}
