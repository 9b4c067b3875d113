/**
 * @module tunnel/transport
 * MessageTransport adapters for the tunnel mux: Bun's ServerWebSocket (the API server's
 * end), the WebSocket client (the agent's end), and an in-memory pair joining two muxes
 * in one process (tests, and an agent running inside `kite server`).
 */
import type { ServerWebSocket } from "bun";
import type { MessageTransport, TunnelMux } from "./mux.ts";

/** The server end: Bun reports backpressure through getBufferedAmount() and the drain handler. */
export function serverWebSocketTransport(ws: ServerWebSocket<unknown>): MessageTransport {
  return {
    send(msg) {
      ws.sendBinary(msg);
    },
    buffered() {
      return ws.getBufferedAmount();
    },
    close(code, reason) {
      ws.close(code, reason);
    },
  };
}

/** The agent end: a WebSocket client has no drain event, so the mux polls bufferedAmount. */
export function clientWebSocketTransport(ws: WebSocket): MessageTransport {
  return {
    pollsForDrain: true,
    send(msg) {
      if (ws.readyState === WebSocket.OPEN) ws.send(msg as Uint8Array<ArrayBuffer>);
    },
    buffered() {
      return ws.bufferedAmount;
    },
    close(code, reason) {
      try {
        ws.close(code, reason);
      } catch {
        ws.close();
      }
    },
  };
}

/**
 * Two transports wired back to back. Messages are delivered asynchronously (a
 * microtask later) and copied, like a network would. `connect` attaches the muxes.
 */
export function memoryTransportPair(): { a: MessageTransport; b: MessageTransport; connect(a: TunnelMux, b: TunnelMux): void } {
  let muxA: TunnelMux | null = null;
  let muxB: TunnelMux | null = null;
  let closed = false;
  const closeBoth = (reason: string) => {
    if (closed) return;
    closed = true;
    queueMicrotask(() => {
      muxA?.transportClosed(reason);
      muxB?.transportClosed(reason);
    });
  };
  const side = (to: () => TunnelMux | null): MessageTransport => ({
    send(msg) {
      if (closed) return;
      const copy = msg.slice();
      queueMicrotask(() => {
        if (!closed) to()?.receive(copy);
      });
    },
    buffered: () => 0,
    close: (_code, reason) => closeBoth(reason),
  });
  return {
    a: side(() => muxB),
    b: side(() => muxA),
    connect(a, b) {
      muxA = a;
      muxB = b;
    },
  };
}
