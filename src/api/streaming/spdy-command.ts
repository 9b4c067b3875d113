/**
 * @module api/streaming/spdy-command
 * exec/attach over SPDY/3.1 (kubectl 1.27–1.29 by default, and every version's fallback):
 * after the 101 the client opens one SPDY stream per channel, named by its `streamtype`
 * header (error, stdin, stdout, stderr, resize). Once every expected stream is there, they
 * are bridged to the tunnel stream; at the end the Status goes on the error stream, every
 * stream is finished and the connection closed, as the kubelet does.
 */
import { Channel, type TunnelStream } from "../../tunnel/mux.ts";
import type { StreamExit } from "../../tunnel/types.ts";
import { InboundGate } from "./inbound-gate.ts";
import { type CommandKind, finalStatus, parseResize } from "./remotecommand.ts";
import { type ByteTransport, SpdySession, type SpdyStream } from "./spdy/session.ts";
import type { RawConnection } from "./upgrade.ts";

const STREAMS_TIMEOUT_MS = 30_000;

export interface SpdyCommandOptions {
  protocol: string;
  kind: CommandKind;
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** Serves one upgraded connection; returns the byte pipe the listener drives. */
export function spdyCommandConnection(stream: TunnelStream, o: SpdyCommandOptions, transport: ByteTransport): RawConnection {
  const want = new Set(["error", ...(o.stdin ? ["stdin"] : []), ...(o.stdout ? ["stdout"] : []), ...(o.stderr ? ["stderr"] : []), ...(o.tty ? ["resize"] : [])]);
  const got = new Map<string, SpdyStream>();
  let started = false;
  let done = false;
  let stdinChain: Promise<void> = Promise.resolve();
  const gate = new InboundGate(
    () => transport.pauseInput?.(),
    () => transport.resumeInput?.(),
  );

  const session = new SpdySession(transport, {
    onStream(s) {
      const type = s.header("streamtype") ?? "";
      if (!want.has(type) || got.has(type)) {
        s.reset();
        return;
      }
      got.set(type, s);
      if (got.size === want.size) start();
    },
    onClose() {
      clearTimeout(timer);
      if (stream.isOpen) stream.reset("the client closed the connection");
    },
  });
  const timer = setTimeout(() => {
    if (!started) session.close("timed out waiting for the client's streams");
  }, STREAMS_TIMEOUT_MS);

  const finish = (exit: StreamExit) => {
    if (done) return;
    done = true;
    const err = got.get("error");
    const status = finalStatus(o.kind, o.command, exit, o.protocol);
    if (err && status !== null) err.write(new TextEncoder().encode(status));
    for (const s of got.values()) s.end();
    session.close("command finished");
  };

  function start() {
    started = true;
    clearTimeout(timer);
    const stdin = got.get("stdin");
    stdin?.setHandlers({
      data(b) {
        gate.add(b.length);
        stdinChain = stdinChain
          .then(() => stream.write(Channel.STDIN, b))
          .catch(() => {})
          .finally(() => gate.done(b.length));
      },
      end() {
        stdinChain = stdinChain.then(() => stream.end(Channel.STDIN));
      },
    });
    let resizeBuf = "";
    got.get("resize")?.setHandlers({
      data(b) {
        resizeBuf += new TextDecoder().decode(b);
        let nl: number;
        while ((nl = resizeBuf.indexOf("\n")) >= 0) {
          const size = parseResize(resizeBuf.slice(0, nl));
          resizeBuf = resizeBuf.slice(nl + 1);
          if (size) stream.resize(size);
        }
        const size = parseResize(resizeBuf); // an encoder without trailing newline
        if (size) {
          resizeBuf = "";
          stream.resize(size);
        }
      },
    });
    const out = got.get("stdout");
    const errOut = got.get("stderr");
    stream.setHandlers({
      data(ch, b) {
        const target = ch === Channel.STDOUT ? out : ch === Channel.STDERR ? errOut : undefined;
        target?.write(b);
        const room = session.waitForRoom();
        if (room) void room.then(() => stream.consumed(b.length));
        else stream.consumed(b.length);
      },
      exit: (e) => void stdinChain.finally(() => finish(e)),
      reset: (reason) => finish({ error: { code: 500, reason: "InternalError", message: `error: the stream to the node was lost: ${reason}` } }),
    });
  }

  return {
    receive: (b) => session.receive(b),
    drained: () => session.drained(),
    closed: (reason) => session.transportClosed(reason),
  };
}
