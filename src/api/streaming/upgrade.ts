/**
 * @module api/streaming/upgrade
 * Protocol negotiation for the streaming subresources: which upgrade a request asks for
 * (WebSocket, or SPDY/3.1 from older kubectl), the offered subprotocols, and the hook a
 * raw-socket listener uses to serve SPDY upgrades (Bun.serve can only upgrade to
 * WebSocket): the handler passed to `upgrade()` carries `raw`; a listener that owns its
 * sockets writes the 101 with `raw.headers` and hands the socket to `raw.start`.
 */
import type { WsHandler } from "../app.ts";
import type { ByteTransport } from "./spdy/session.ts";

export type UpgradeKind = "websocket" | "spdy" | null;

export function upgradeKind(h: Headers): UpgradeKind {
  const u = (h.get("upgrade") ?? "").toLowerCase();
  if (u === "websocket") return "websocket";
  if (u.split(",").some((p) => p.trim() === "spdy/3.1")) return "spdy";
  return null;
}

function list(v: string | null): string[] {
  return (v ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Sec-WebSocket-Protocol values, in the client's order. */
export function offeredProtocols(h: Headers): string[] {
  return list(h.get("sec-websocket-protocol"));
}

/** X-Stream-Protocol-Version values (SPDY), in the client's order. */
export function streamProtocolVersions(h: Headers): string[] {
  return list(h.get("x-stream-protocol-version"));
}

/** Picks the server's most preferred protocol among the offered ones. */
export function negotiate(offered: string[], serverPreference: readonly string[]): string | null {
  for (const p of serverPreference) if (offered.includes(p)) return p;
  return null;
}

/** The byte pipe a raw-socket listener drives after writing the 101. */
export interface RawConnection {
  receive(b: Uint8Array): void;
  drained(): void;
  closed(reason: string): void;
}

export interface RawUpgradeHandler {
  /** Headers of the 101 response (Connection, Upgrade, X-Stream-Protocol-Version). */
  headers: Record<string, string>;
  start(transport: ByteTransport): RawConnection;
}

/** The `data.handler` of an upgrade; `raw` is set for SPDY upgrades. */
export type StreamingUpgradeHandler = WsHandler & { raw?: RawUpgradeHandler };
