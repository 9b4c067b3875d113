/**
 * The client-facing protocol bridges, each driven by a scripted client and an
 * in-process agent: the WebSocket channel protocol (v5/v4), SPDY exec (as kubectl 1.27
 * speaks it), and SPDY port-forward pairs.
 */
import { describe, expect, test } from "bun:test";
import type { ServerWebSocket } from "bun";
import type { WsData } from "../app.ts";
import type { TunnelStream } from "../../tunnel/mux.ts";
import type { StreamRequest } from "../../tunnel/types.ts";
import { spdyCommandConnection } from "./spdy-command.ts";
import { spdyPortForwardConnection } from "./portforward.ts";
import { SpdyFrameParser, SpdyFrameWriter, type SpdyFrame } from "./spdy/frames.ts";
import type { ByteTransport } from "./spdy/session.ts";
import { TunnelRegistry } from "./tunnels.ts";
import { wsCommandHandler } from "./ws-channels.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const execReq: StreamRequest = { kind: "exec", pod: { namespace: "d", name: "p", uid: "u" }, container: "c", exec: { command: ["sh"], stdin: true, stdout: true, stderr: true, tty: true } };

/** An agent that records what it gets and runs a scripted "command". */
function agent(script: (s: TunnelStream, log: string[]) => void) {
  const log: string[] = [];
  const tunnels = new TunnelRegistry();
  tunnels.connectLocal("n1", (s) => {
    s.accept();
    script(s, log);
  });
  return { tunnels, log };
}

function fakeSocket() {
  const sent: Uint8Array[] = [];
  let closed: number | null = null;
  let buffered = 0;
  const flow: string[] = [];
  const ws = {
    pause: () => flow.push("pause"),
    resume: () => flow.push("resume"),
    sendBinary: (b: Uint8Array) => {
      sent.push(b.slice());
      return b.length;
    },
    close: (code: number) => {
      closed = code;
    },
    getBufferedAmount: () => buffered,
  } as unknown as ServerWebSocket<WsData>;
  return { ws, sent, flow, closed: () => closed, setBuffered: (n: number) => (buffered = n) };
}

const msg = (ch: number, s: string | Uint8Array) => Buffer.concat([Buffer.from([ch]), typeof s === "string" ? Buffer.from(s) : Buffer.from(s)]);

describe("WebSocket channel protocol", () => {
  test("v5: stdin, resize and the close signal reach the agent; output, then the Status, then close", async () => {
    const { tunnels, log } = agent((s, log) =>
      s.setHandlers({
        data(_c, b) {
          log.push(`stdin:${dec.decode(b)}`);
          s.consumed(b.length);
        },
        resize: (z) => log.push(`resize:${z.width}x${z.height}`),
        async eof() {
          log.push("eof");
          await s.write(1, enc.encode("out"));
          await s.write(2, enc.encode("err"));
          s.exit({ exitCode: 7 });
        },
      }),
    );
    const stream = await tunnels.open("n1", execReq);
    const sock = fakeSocket();
    const h = wsCommandHandler(stream, { protocol: "v5.channel.k8s.io", kind: "exec", command: ["sh"] });
    h.open!(sock.ws);
    h.message!(sock.ws, msg(4, '{"Width":120,"Height":40}'));
    h.message!(sock.ws, msg(0, "ls\n"));
    h.message!(sock.ws, Buffer.from([255, 0]));
    for (let i = 0; i < 100 && sock.closed() === null; i++) await Bun.sleep(5);
    expect(log).toEqual(["resize:120x40", "stdin:ls\n", "eof"]);
    expect(sock.sent.map((b) => [b[0], dec.decode(b.subarray(1))])).toEqual([
      [1, "out"],
      [2, "err"],
      [3, JSON.stringify({ metadata: {}, status: "Failure", message: "command terminated with non-zero exit code: error executing command [sh], exit code 7", reason: "NonZeroExitCode", details: { causes: [{ reason: "ExitCode", message: "7" }] } })],
    ]);
    expect(sock.closed()).toBe(1000);
  });

  test("v4 ignores the v5 close signal; a client that goes away resets the agent's stream", async () => {
    let resetReason = "";
    const { tunnels, log } = agent((s, log) => s.setHandlers({ eof: () => log.push("eof"), reset: (r) => (resetReason = r) }));
    const stream = await tunnels.open("n1", execReq);
    const sock = fakeSocket();
    const h = wsCommandHandler(stream, { protocol: "v4.channel.k8s.io", kind: "exec", command: ["sh"] });
    h.open!(sock.ws);
    h.message!(sock.ws, Buffer.from([255, 0]));
    h.close!(sock.ws, 1006, "");
    await Bun.sleep(20);
    expect(log).toEqual([]);
    expect(resetReason).toBe("the client closed the connection");
  });

  test("stdin the agent has not taken yet pauses the client's socket, and resumes it once taken", async () => {
    const held: { s: TunnelStream; n: number }[] = [];
    const { tunnels } = agent((s) => s.setHandlers({ data: (_c, b) => held.push({ s, n: b.length }) }));
    const stream = await tunnels.open("n1", execReq);
    const sock = fakeSocket();
    const h = wsCommandHandler(stream, { protocol: "v5.channel.k8s.io", kind: "exec", command: ["cat"] });
    h.open!(sock.ws);
    for (let i = 0; i < 64; i++) h.message!(sock.ws, msg(0, new Uint8Array(32 * 1024))); // 2 MiB, the agent takes 256 KiB
    await Bun.sleep(20);
    expect(sock.flow).toEqual(["pause"]);
    // The agent consumes everything it gets: the rest flows and reading resumes.
    const consumeAll = () => {
      for (const x of held.splice(0)) x.s.consumed(x.n);
    };
    for (let i = 0; i < 100 && sock.flow.length < 2; i++) {
      consumeAll();
      await Bun.sleep(5);
    }
    expect(sock.flow).toEqual(["pause", "resume"]);
  });

  test("output is acknowledged to the agent only while the socket has room", async () => {
    let written = 0;
    const { tunnels } = agent((s) => {
      void (async () => {
        const chunk = new Uint8Array(32 * 1024);
        for (let i = 0; i < 64; i++) {
          await s.write(1, chunk);
          written += chunk.length;
        }
        s.exit({ exitCode: 0 });
      })();
    });
    const stream = await tunnels.open("n1", execReq);
    const sock = fakeSocket();
    sock.setBuffered(10 * 1024 * 1024); // the client is not reading
    const h = wsCommandHandler(stream, { protocol: "v5.channel.k8s.io", kind: "exec", command: ["sh"] });
    h.open!(sock.ws);
    await Bun.sleep(50);
    expect(written).toBe(256 * 1024); // one window, then the agent waits
    sock.setBuffered(0);
    h.drain!(sock.ws);
    for (let i = 0; i < 200 && sock.closed() === null; i++) await Bun.sleep(5);
    expect(written).toBe(64 * 32 * 1024);
    expect(sock.closed()).toBe(1000);
  });
});

/** A scripted SPDY client (what kubectl does), talking to a server-side connection. */
function spdyClient(start: (t: ByteTransport) => { receive(b: Uint8Array): void }) {
  const w = new SpdyFrameWriter();
  const parser = new SpdyFrameParser();
  const frames: SpdyFrame[] = [];
  let closed = false;
  const conn = start({ write: (b) => frames.push(...parser.push(b)), buffered: () => 0, close: () => (closed = true) });
  let next = 1;
  return {
    frames,
    closed: () => closed,
    open(headers: Record<string, string>) {
      const id = next;
      next += 2;
      conn.receive(w.synStream(id, headers));
      return id;
    },
    send: (id: number, s: string, fin = false) => conn.receive(w.data(id, enc.encode(s), fin)),
    dataOn: (id: number) =>
      frames
        .filter((f): f is Extract<SpdyFrame, { kind: "data" }> => f.kind === "data" && f.streamId === id)
        .map((f) => dec.decode(f.data))
        .join(""),
    finished: (id: number) => frames.some((f) => f.kind === "data" && f.streamId === id && f.fin),
  };
}

describe("SPDY exec (kubectl 1.27-1.29)", () => {
  test("streams by streamtype, stdin FIN is EOF, the v4 Status on the error stream, then GOAWAY and close", async () => {
    const { tunnels, log } = agent((s, log) =>
      s.setHandlers({
        data(_c, b) {
          log.push(dec.decode(b));
          s.consumed(b.length);
        },
        resize: (z) => log.push(`resize:${z.width}x${z.height}`),
        async eof() {
          await s.write(1, enc.encode("hello"));
          s.exit({ exitCode: 3 });
        },
      }),
    );
    const stream = await tunnels.open("n1", execReq);
    const c = spdyClient((t) => spdyCommandConnection(stream, { protocol: "v4.channel.k8s.io", kind: "exec", command: ["sh", "-c", "exit 3"], stdin: true, stdout: true, stderr: false, tty: true }, t));
    const error = c.open({ streamtype: "error" });
    const stdin = c.open({ streamtype: "stdin" });
    const stdout = c.open({ streamtype: "stdout" });
    const resize = c.open({ streamtype: "resize" });
    expect(c.frames.filter((f) => f.kind === "syn_reply").length).toBe(4);
    c.send(resize, '{"Width":80,"Height":25}\n');
    c.send(stdin, "input");
    c.send(stdin, "", true);
    for (let i = 0; i < 100 && !c.closed(); i++) await Bun.sleep(5);
    expect(log).toEqual(["resize:80x25", "input"]);
    expect(c.dataOn(stdout)).toBe("hello");
    expect(JSON.parse(c.dataOn(error))).toMatchObject({ status: "Failure", reason: "NonZeroExitCode", details: { causes: [{ reason: "ExitCode", message: "3" }] } });
    expect(c.finished(error) && c.finished(stdout)).toBe(true);
    expect(c.frames.at(-1)?.kind).toBe("goaway");
    expect(c.closed()).toBe(true);
  });
});

describe("SPDY port-forward", () => {
  test("each error/data pair becomes one tunnel stream; failures go to the error stream as text", async () => {
    const tunnels = new TunnelRegistry();
    const opened: number[] = [];
    tunnels.connectLocal("n1", (s) => {
      opened.push(s.request.port!);
      if (s.request.port === 81) {
        s.reject({ code: 500, reason: "InternalError", message: "error forwarding port 81 to pod p_d, uid u: dial tcp 10.0.0.5:81: connect: connection refused" });
        return;
      }
      s.accept();
      s.setHandlers({
        async data(_c, b) {
          s.consumed(b.length);
          await s.write(1, enc.encode(`echo:${dec.decode(b)}`));
        },
        eof() {
          s.end(1);
          s.exit({ exitCode: 0 });
        },
      });
    });
    const open = (port: number) => tunnels.open("n1", { kind: "portforward", pod: { namespace: "d", name: "p", uid: "u" }, port, podIP: "10.0.0.5" });
    const c = spdyClient((t) => spdyPortForwardConnection(open, t));
    const e1 = c.open({ streamtype: "error", port: "80", requestid: "0" });
    const d1 = c.open({ streamtype: "data", port: "80", requestid: "0" });
    c.send(d1, "GET /"); // may arrive before the agent answered: kept in order
    c.send(d1, "", true);
    const e2 = c.open({ streamtype: "error", port: "81", requestid: "1" });
    const d2 = c.open({ streamtype: "data", port: "81", requestid: "1" });
    for (let i = 0; i < 100 && !(c.finished(e1) && c.finished(e2)); i++) await Bun.sleep(5);
    expect(opened.sort()).toEqual([80, 81]);
    expect(c.dataOn(d1)).toBe("echo:GET /");
    expect(c.finished(d1)).toBe(true);
    expect(c.dataOn(e1)).toBe("");
    expect(c.dataOn(e2)).toContain("dial tcp 10.0.0.5:81: connect: connection refused");
    expect(c.finished(d2)).toBe(true);
    expect(c.closed()).toBe(false); // the connection stays up for the next local connection
  });
});
