/**
 * @module api/streaming/raw-upgrade
 * SPDY/3.1 upgrades on a listener that owns its sockets (a node:http/https server's
 * `upgrade` event, or any TLS front). Bun.serve can only upgrade to WebSocket, so kubectl
 * 1.27–1.29 exec/attach/cp and ≤1.30 port-forward need this path. The request goes through
 * the normal API handler (authentication, the subresource's checks, opening the tunnel
 * stream); if the handler accepts, its `raw` starter gets the socket after the 101,
 * otherwise the handler's response (a Status) is written and the socket closed.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { ByteTransport } from "./spdy/session.ts";
import type { RawUpgradeHandler, StreamingUpgradeHandler } from "./upgrade.ts";

/** The API's fetch (hono's app.fetch): called with a stand-in server whose upgrade() takes the socket. */
export type ApiFetch = (req: Request, server: unknown) => Response | Promise<Response>;

const REASONS: Record<number, string> = { 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 500: "Internal Server Error", 503: "Service Unavailable", 504: "Gateway Timeout" };

function toRequest(req: IncomingMessage, secure: boolean): Request {
  const headers = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
  const url = `${secure ? "https" : "http"}://${req.headers.host ?? "localhost"}${req.url ?? "/"}`;
  return new Request(url, { method: req.method ?? "GET", headers });
}

async function writeResponse(socket: Duplex, res: Response): Promise<void> {
  const body = new Uint8Array(await res.arrayBuffer());
  let head = `HTTP/1.1 ${res.status} ${REASONS[res.status] ?? "Error"}\r\n`;
  res.headers.forEach((v, k) => {
    if (k !== "content-length" && k !== "connection" && k !== "transfer-encoding") head += `${k}: ${v}\r\n`;
  });
  head += `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
  socket.write(head);
  socket.end(body);
}

/** Serves one upgrade request on a raw socket. Resolves once the request is answered or handed over. */
export async function handleRawUpgrade(fetch: ApiFetch, req: IncomingMessage, socket: Duplex, head: Uint8Array, opts: { secure: boolean }): Promise<void> {
  let raw: RawUpgradeHandler | undefined;
  const standIn = {
    upgrade(_r: Request, o: { data?: { handler?: StreamingUpgradeHandler } }) {
      raw = o?.data?.handler?.raw;
      return raw !== undefined;
    },
  };
  let res: Response;
  try {
    res = await fetch(toRequest(req, opts.secure), standIn);
  } catch (e) {
    res = new Response(JSON.stringify({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: (e as Error).message, reason: "InternalError", code: 500 }), { status: 500, headers: { "Content-Type": "application/json" } });
  }
  if (!raw || res.status !== 101) {
    await writeResponse(socket, res);
    return;
  }
  let head101 = "HTTP/1.1 101 Switching Protocols\r\n";
  for (const [k, v] of Object.entries(raw.headers)) head101 += `${k}: ${v}\r\n`;
  socket.write(head101 + "\r\n");
  const transport: ByteTransport = {
    write: (b) => void socket.write(b),
    buffered: () => (socket as Duplex & { writableLength: number }).writableLength,
    close: () => {
      socket.end();
      setTimeout(() => socket.destroy(), 5000).unref?.();
    },
    pauseInput: () => void socket.pause(),
    resumeInput: () => void socket.resume(),
  };
  const conn = raw.start(transport);
  if (head.length) conn.receive(head);
  socket.on("data", (b: Uint8Array) => conn.receive(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)));
  socket.on("drain", () => conn.drained());
  socket.on("error", () => {});
  socket.on("close", () => conn.closed("connection closed"));
}
