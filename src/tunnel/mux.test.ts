import { describe, expect, test } from "bun:test";
import { decodeFrame, encodeData, encodeJson, encodePing, encodeWindow, FrameType, TunnelProtocolError } from "./frames.ts";
import { type MessageTransport, OpenTimeoutError, StreamClosedError, StreamRejectedError, TunnelClosedError, TunnelMux, type TunnelStream } from "./mux.ts";
import { memoryTransportPair } from "./transport.ts";
import { InvalidStreamRequestError, parseStreamRequest, type StreamRequest } from "./types.ts";

const execReq: StreamRequest = {
  kind: "exec",
  pod: { namespace: "default", name: "web", uid: "u1" },
  container: "c",
  exec: { command: ["sh"], stdin: true, stdout: true, stderr: true, tty: false },
};

function pair(onStream: (s: TunnelStream) => void, opts: { window?: number; pingIntervalMs?: number; idleTimeoutMs?: number } = {}) {
  const p = memoryTransportPair();
  const closes: string[] = [];
  const server = new TunnelMux(p.a, { role: "server", pingIntervalMs: 0, ...opts, onClose: (r) => closes.push(`server:${r}`) });
  const agent = new TunnelMux(p.b, { role: "agent", pingIntervalMs: 0, ...opts, onStream, onClose: (r) => closes.push(`agent:${r}`) });
  p.connect(server, agent);
  return { server, agent, closes };
}

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe("frames", () => {
  test("round-trip every frame type", () => {
    const d = decodeFrame(encodeData(7, 2, bytes("hi")));
    expect(d).toMatchObject({ type: FrameType.DATA, stream: 7, channel: 2 });
    expect(text((d as { data: Uint8Array }).data)).toBe("hi");
    expect(decodeFrame(encodeJson(FrameType.OPEN, 3, { a: 1 }))).toEqual({ type: FrameType.OPEN, stream: 3, json: { a: 1 } });
    expect(decodeFrame(encodeWindow(9, 65536))).toEqual({ type: FrameType.WINDOW, stream: 9, credit: 65536 });
    const nonce = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(decodeFrame(encodePing(FrameType.PING, nonce))).toEqual({ type: FrameType.PING, stream: 0, nonce });
  });

  test("malformed frames raise TunnelProtocolError only", () => {
    const bad = [new Uint8Array([]), new Uint8Array([3, 0, 0, 0, 1]), new Uint8Array([99, 0, 0, 0, 1, 0]), new Uint8Array([1, 0, 0, 0, 1, 0x7b]), new Uint8Array([4, 0, 0, 0, 1, 0, 0, 0, 0]), new Uint8Array([3, 0, 0, 0, 0, 1])];
    for (const b of bad) expect(() => decodeFrame(b)).toThrow(TunnelProtocolError);
    // Random garbage never throws anything else.
    for (let i = 0; i < 2000; i++) {
      const b = crypto.getRandomValues(new Uint8Array(Math.floor(Math.random() * 24)));
      try {
        decodeFrame(b);
      } catch (e) {
        expect(e).toBeInstanceOf(TunnelProtocolError);
      }
    }
  });

  test("stream requests are validated", () => {
    expect(parseStreamRequest(execReq)).toMatchObject({ kind: "exec", container: "c" });
    expect(() => parseStreamRequest({ ...execReq, kind: "shell" })).toThrow(InvalidStreamRequestError);
    expect(() => parseStreamRequest({ ...execReq, exec: { command: [] } })).toThrow(/must not be empty/);
    expect(() => parseStreamRequest({ kind: "portforward", pod: execReq.pod, port: 70000 })).toThrow(/port/);
    expect(() => parseStreamRequest({ kind: "log", pod: execReq.pod, container: "c", log: { tailLines: -1 } })).toThrow(/tailLines/);
    expect(() => parseStreamRequest({ kind: "log", pod: execReq.pod, container: "c", log: { sinceTime: "yesterday" } })).toThrow(/sinceTime/);
  });
});

describe("TunnelMux", () => {
  test("open, data both ways, EOF and exit", async () => {
    const { server } = pair((s) => {
      expect(s.request).toMatchObject({ kind: "exec", pod: { name: "web" } });
      s.accept();
      let got = "";
      s.setHandlers({
        data(ch, b) {
          expect(ch).toBe(0);
          got += text(b);
          s.consumed(b.length);
        },
        async eof(ch) {
          expect(ch).toBe(0);
          await s.write(1, bytes(got.toUpperCase()));
          await s.write(2, bytes("err"));
          s.end(1);
          s.exit({ exitCode: 3 });
        },
      });
    });
    const st = await server.open(execReq);
    const out: string[] = [];
    const exited = new Promise<unknown>((resolve) =>
      st.setHandlers({
        data(ch, b) {
          out.push(`${ch}:${text(b)}`);
          st.consumed(b.length);
        },
        eof(ch) {
          out.push(`eof${ch}`);
        },
        exit: resolve,
      }),
    );
    await st.write(0, bytes("hello "));
    await st.write(0, bytes("world"));
    st.end(0);
    expect(await exited).toEqual({ exitCode: 3 });
    expect(out).toEqual(["1:HELLO WORLD", "2:err", "eof1"]);
    expect(st.isOpen).toBe(false);
    expect(server.streamCount).toBe(0);
  });

  test("a rejected open carries the agent's status", async () => {
    const { server } = pair((s) => s.reject({ code: 400, reason: "BadRequest", message: 'container "x" in pod "y" is waiting to start: ContainerCreating' }));
    const err = await server.open(execReq).catch((e) => e);
    expect(err).toBeInstanceOf(StreamRejectedError);
    expect((err as StreamRejectedError).status).toEqual({ code: 400, reason: "BadRequest", message: 'container "x" in pod "y" is waiting to start: ContainerCreating' });
  });

  test("a malformed request is refused with 400 before the handler sees it", async () => {
    let called = false;
    const { server } = pair(() => (called = true));
    const err = await server.open({ ...execReq, exec: { ...execReq.exec!, command: [] } }).catch((e) => e);
    expect(err).toBeInstanceOf(StreamRejectedError);
    expect((err as StreamRejectedError).status.code).toBe(400);
    expect(called).toBe(false);
  });

  test("flow control: a reader that does not consume stops the writer after one window", async () => {
    const WINDOW = 64 * 1024;
    let agentStream!: TunnelStream;
    let writeDone = false;
    const total = 1024 * 1024;
    const { server } = pair(
      (s) => {
        agentStream = s;
        s.accept();
        void s.write(1, new Uint8Array(total)).then(() => (writeDone = true));
      },
      { window: WINDOW },
    );
    const st = await server.open(execReq);
    const chunks: Uint8Array[] = [];
    st.setHandlers({ data: (_c, b) => chunks.push(b) });
    await Bun.sleep(30);
    const received = chunks.reduce((n, c) => n + c.length, 0);
    expect(received).toBe(WINDOW);
    expect(writeDone).toBe(false);
    expect(agentStream.flowState().sendCredit).toBe(0);
    // Consume everything as it arrives: the writer finishes.
    let got = received;
    st.setHandlers({
      data(_c, b) {
        got += b.length;
        st.consumed(b.length);
      },
    });
    st.consumed(received);
    for (let i = 0; i < 100 && !writeDone; i++) await Bun.sleep(5);
    expect(writeDone).toBe(true);
    expect(got).toBe(total);
  });

  test("a peer that ignores the window gets its stream reset", async () => {
    let agentStream!: TunnelStream;
    const resets: string[] = [];
    const { server, agent } = pair(
      (s) => {
        agentStream = s;
        s.accept();
      },
      { window: 1024 },
    );
    const st = await server.open(execReq);
    st.setHandlers({ reset: (r) => resets.push(r) });
    // Bypass write(): inject 2 KiB of DATA at once from the agent side.
    agent.sendRaw(encodeData(agentStream.id, 1, new Uint8Array(2048)));
    await Bun.sleep(5);
    expect(resets).toEqual(["flow control violated"]);
    expect(st.isOpen).toBe(false);
  });

  test("reset from the server reaches the agent and fails its writes", async () => {
    let agentStream!: TunnelStream;
    const agentResets: string[] = [];
    const { server } = pair(
      (s) => {
        agentStream = s;
        s.accept();
        s.setHandlers({ reset: (r) => agentResets.push(r) });
      },
      { window: 1024 },
    );
    const st = await server.open(execReq);
    const pending = agentStream.write(1, new Uint8Array(4096)).catch((e) => e); // blocks after 1 KiB
    st.reset("client went away");
    await Bun.sleep(5);
    expect(agentResets).toEqual(["client went away"]);
    expect(await pending).toBeInstanceOf(StreamClosedError);
  });

  test("closing the transport resets streams and fails pending and later opens", async () => {
    let hold!: TunnelStream;
    const { server, agent, closes } = pair((s) => {
      if (s.request.container === "slow") return; // never answers
      hold = s;
      s.accept();
    });
    const st = await server.open(execReq);
    const resets: string[] = [];
    st.setHandlers({ reset: (r) => resets.push(r) });
    const pending = server.open({ ...execReq, container: "slow" });
    await Bun.sleep(5);
    agent.close("agent stopping");
    expect(await pending.catch((e) => e)).toBeInstanceOf(TunnelClosedError);
    await Bun.sleep(5);
    expect(resets[0]).toContain("tunnel closed");
    expect(hold.isOpen).toBe(false);
    expect(closes.sort()).toEqual(["agent:agent stopping", "server:agent stopping"]);
    expect(await server.open(execReq).catch((e) => e)).toBeInstanceOf(TunnelClosedError);
  });

  test("open times out when the agent never answers", async () => {
    const p = memoryTransportPair();
    const server = new TunnelMux(p.a, { role: "server", pingIntervalMs: 0, openTimeoutMs: 30 });
    const agent = new TunnelMux(p.b, { role: "agent", pingIntervalMs: 0, onStream: () => {} });
    p.connect(server, agent);
    expect(await server.open(execReq).catch((e) => e)).toBeInstanceOf(OpenTimeoutError);
    expect(server.streamCount).toBe(0);
  });

  test("keepalive: a silent peer is dropped, a live one is kept", async () => {
    // A transport that swallows everything: the server hears nothing back.
    const sent: Uint8Array[] = [];
    let closed = "";
    const blackHole: MessageTransport = { send: (m) => sent.push(m), buffered: () => 0, close: (_c, r) => (closed = r) };
    const lonely = new TunnelMux(blackHole, { role: "server", pingIntervalMs: 10, idleTimeoutMs: 40 });
    await Bun.sleep(120);
    expect(lonely.isClosed).toBe(true);
    expect(closed).toContain("no frame from the peer");
    expect(sent.some((m) => m[0] === FrameType.PING)).toBe(true);

    const { server, agent } = pair(() => {}, { pingIntervalMs: 10, idleTimeoutMs: 40 });
    await Bun.sleep(120);
    expect(server.isClosed).toBe(false);
    expect(agent.isClosed).toBe(false);
    server.close("done");
  });

  test("garbage from the peer closes the tunnel", async () => {
    const { server, agent } = pair(() => {});
    agent.sendRaw(new Uint8Array([42, 0, 0]));
    await Bun.sleep(5);
    expect(server.isClosed).toBe(true);
    expect(server.closeReason).toContain("protocol error");
  });

  test("the agent may not open streams", async () => {
    const { server, agent } = pair(() => {});
    agent.sendRaw(encodeJson(FrameType.OPEN, 2, execReq));
    await Bun.sleep(5);
    expect(server.isClosed).toBe(true);
  });
});
