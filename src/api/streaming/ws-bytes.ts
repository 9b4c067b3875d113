/**
 * @module api/streaming/ws-bytes
 * A WebSocket used as a plain byte pipe (binary messages, boundaries meaningless), the way
 * client-go tunnels SPDY through WebSocket for port-forward (`SPDY/3.1+portforward.k8s.io`,
 * kubectl 1.31+). Wraps a raw-connection starter in a WsHandler.
 */
import type { WsHandler } from "../app.ts";
import type { ByteTransport } from "./spdy/session.ts";
import type { RawConnection } from "./upgrade.ts";

export function wsBytePipe(start: (t: ByteTransport) => RawConnection): WsHandler {
  let conn: RawConnection | null = null;
  return {
    open(ws) {
      conn = start({
        write: (b) => void ws.sendBinary(b),
        buffered: () => ws.getBufferedAmount(),
        close: () => ws.close(1000, ""),
        pauseInput: () => ws.pause(),
        resumeInput: () => ws.resume(),
      });
    },
    message(ws, msg) {
      if (typeof msg === "string") {
        ws.close(1003, "binary messages only");
        return;
      }
      conn?.receive(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength));
    },
    drain() {
      conn?.drained();
    },
    close(_ws, code, reason) {
      conn?.closed(`connection closed (${code}${reason ? ` ${reason}` : ""})`);
    },
  };
}
