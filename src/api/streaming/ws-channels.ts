/**
 * @module api/streaming/ws-channels
 * exec/attach over WebSocket, Kubernetes' channel protocol (`v5.channel.k8s.io` … `channel.k8s.io`):
 * every binary message starts with a channel byte — 0 stdin, 1 stdout, 2 stderr, 3 error
 * (the final Status), 4 resize (`{"Width":..,"Height":..}`), and in v5 255 = close
 * (`[255, ch]`, kubectl sends `ff 00` at stdin EOF). Bridges the socket to a tunnel
 * stream: output is acknowledged to the agent only once the socket has room, so a slow
 * client slows the command down instead of filling the server's memory.
 */
import type { ServerWebSocket } from "bun";
import type { WsData, WsHandler } from "../app.ts";
import { Channel, type TunnelStream } from "../../tunnel/mux.ts";
import type { StreamExit } from "../../tunnel/types.ts";
import { InboundGate } from "./inbound-gate.ts";
import { type CommandKind, finalStatus, parseResize } from "./remotecommand.ts";

const ERROR_CHANNEL = 3;
const RESIZE_CHANNEL = 4;
const CLOSE_SIGNAL = 255;
const HIGH_WATER = 1024 * 1024;

export interface WsCommandOptions {
  protocol: string;
  kind: CommandKind;
  command: string[];
}

function framed(ch: number, b: Uint8Array): Uint8Array {
  const m = new Uint8Array(b.length + 1);
  m[0] = ch;
  m.set(b, 1);
  return m;
}

export function wsCommandHandler(stream: TunnelStream, o: WsCommandOptions): WsHandler {
  const v5 = o.protocol.startsWith("v5.");
  let socket: ServerWebSocket<WsData> | null = null;
  let heldCredit = 0;
  let stdinChain: Promise<void> = Promise.resolve();
  let finished = false;
  let gate: InboundGate | null = null;

  const finish = (exit: StreamExit) => {
    if (finished || !socket) return;
    finished = true;
    const status = finalStatus(o.kind, o.command, exit, o.protocol);
    if (status !== null) socket.sendBinary(framed(ERROR_CHANNEL, new TextEncoder().encode(status)));
    socket.close(1000, "");
  };

  return {
    open(ws) {
      socket = ws;
      gate = new InboundGate(
        () => ws.pause(),
        () => ws.resume(),
      );
      stream.setHandlers({
        data(ch, b) {
          if (ch !== Channel.STDOUT && ch !== Channel.STDERR) {
            stream.consumed(b.length);
            return;
          }
          ws.sendBinary(framed(ch, b));
          if (ws.getBufferedAmount() > HIGH_WATER) heldCredit += b.length;
          else stream.consumed(b.length);
        },
        exit: (e) => void stdinChain.finally(() => finish(e)),
        reset: (reason) => finish({ error: { code: 500, reason: "InternalError", message: `error: the stream to the node was lost: ${reason}` } }),
      });
    },
    drain(ws) {
      if (heldCredit && ws.getBufferedAmount() <= HIGH_WATER) {
        const c = heldCredit;
        heldCredit = 0;
        stream.consumed(c);
      }
    },
    message(_ws, msg) {
      if (typeof msg === "string" || msg.length === 0) return;
      const ch = msg[0]!;
      const payload = new Uint8Array(msg.buffer, msg.byteOffset + 1, msg.byteLength - 1).slice();
      if (ch === Channel.STDIN) {
        if (!payload.length) return;
        gate?.add(payload.length);
        stdinChain = stdinChain
          .then(() => stream.write(Channel.STDIN, payload))
          .catch(() => {})
          .finally(() => gate?.done(payload.length));
      } else if (ch === RESIZE_CHANNEL) {
        const size = parseResize(new TextDecoder().decode(payload));
        if (size) stream.resize(size);
      } else if (ch === CLOSE_SIGNAL && v5 && payload[0] === Channel.STDIN) {
        stdinChain = stdinChain.then(() => stream.end(Channel.STDIN));
      }
    },
    close() {
      finished = true;
      if (stream.isOpen) stream.reset("the client closed the connection");
    },
  };
}
