/**
 * @module tunnel/mux
 * Multiplexes streams over one message transport (a WebSocket) with per-stream,
 * credit-based flow control: a sender may have at most `window` unacknowledged DATA
 * bytes on a stream, and the receiver grants more (WINDOW) only as its consumer calls
 * `consumed(n)`. A slow reader therefore stops the writer after one window instead of
 * making either side buffer without bound. Writes also wait while the transport itself
 * holds more than `highWater` bytes. Only the server opens streams; the agent answers.
 * Keepalive: each side PINGs every `pingIntervalMs` and drops the tunnel after
 * `idleTimeoutMs` without any frame from the peer.
 */
import { Channel, decodeFrame, encodeData, encodeEof, encodeJson, encodePing, encodeWindow, type Frame, FrameType, TunnelProtocolError } from "./frames.ts";
import { parseExit, parseReply, parseSize, parseStreamRequest, type RemoteStatus, type StreamExit, type StreamRequest, type TerminalSize } from "./types.ts";

/** The connection under the mux; adapters exist for Bun's server and client WebSockets. */
export interface MessageTransport {
  send(msg: Uint8Array): void;
  /** Bytes accepted by send() but not yet handed to the network. */
  buffered(): number;
  close(code: number, reason: string): void;
  /** The transport has no drain event: the mux polls buffered() while it waits. */
  readonly pollsForDrain?: boolean;
}

export interface MuxOptions {
  role: "server" | "agent";
  /** Agent side: called for each stream the server opens; call accept() or reject(). */
  onStream?: (s: TunnelStream) => void;
  /** Called once when the tunnel is gone (transport closed, keepalive lost, protocol error). */
  onClose?: (reason: string) => void;
  /** Per-stream receive window in bytes (both directions use the same size). */
  window?: number;
  /** Largest DATA payload per frame. */
  maxFrame?: number;
  /** Writers wait while the transport buffers more than this. */
  highWater?: number;
  pingIntervalMs?: number;
  idleTimeoutMs?: number;
  /** How long open() waits for the agent's REPLY. */
  openTimeoutMs?: number;
}

export const DEFAULT_WINDOW = 256 * 1024;
const DEFAULT_MAX_FRAME = 32 * 1024;
const DEFAULT_HIGH_WATER = 1024 * 1024;

export class TunnelClosedError extends Error {
  override name = "TunnelClosedError";
}
/** The stream ended (reset, exited or the tunnel closed) while writing to it. */
export class StreamClosedError extends Error {
  override name = "StreamClosedError";
}
/** The agent refused to open the stream; `status` says why (Kubernetes style). */
export class StreamRejectedError extends Error {
  override name = "StreamRejectedError";
  constructor(readonly status: RemoteStatus) {
    super(status.message);
  }
}
export class OpenTimeoutError extends Error {
  override name = "OpenTimeoutError";
}

export interface StreamHandlers {
  data(channel: number, bytes: Uint8Array): void;
  eof(channel: number): void;
  /** Server side: the agent's final outcome (the stream is over). */
  exit(e: StreamExit): void;
  /** The stream was aborted by the peer, or the tunnel closed. */
  reset(reason: string): void;
  /** Agent side: terminal size from the client. */
  resize(size: TerminalSize): void;
}

type Event = { k: "data"; ch: number; b: Uint8Array } | { k: "eof"; ch: number } | { k: "exit"; e: StreamExit } | { k: "reset"; r: string } | { k: "resize"; s: TerminalSize };

export class TunnelStream {
  private handlers: Partial<StreamHandlers> | null = null;
  private queued: Event[] = [];
  private sendCredit: number;
  private recvWindow: number;
  private recvPendingCredit = 0;
  private creditWaiters: (() => void)[] = [];
  private finished = false;
  private finishReason = "";
  private resolveDone!: () => void;
  /** Resolves when the stream is over on this side. */
  readonly done = new Promise<void>((r) => (this.resolveDone = r));
  /** Bytes this side sent / received as DATA (for tests and metrics). */
  sentBytes = 0;
  receivedBytes = 0;

  constructor(
    private readonly mux: TunnelMux,
    readonly id: number,
    readonly request: StreamRequest,
    private readonly window: number,
  ) {
    this.sendCredit = window;
    this.recvWindow = window;
  }

  get isOpen(): boolean {
    return !this.finished;
  }

  /** Installs the consumer; events that arrived earlier are delivered now, in order. */
  setHandlers(h: Partial<StreamHandlers>): void {
    this.handlers = h;
    const q = this.queued;
    this.queued = [];
    for (const e of q) this.dispatch(e);
  }

  /** Agent: accept the stream (the server's open() resolves). */
  accept(): void {
    if (!this.finished) this.mux.sendRaw(encodeJson(FrameType.REPLY, this.id, { ok: true }));
  }

  /** Agent: refuse the stream with a Kubernetes-style status. */
  reject(status: RemoteStatus): void {
    if (this.finished) return;
    this.mux.sendRaw(encodeJson(FrameType.REPLY, this.id, { ok: false, status }));
    this.finish("rejected");
  }

  /**
   * Sends bytes on a channel, waiting for window credit and transport room. Rejects
   * with StreamClosedError once the stream is over.
   */
  async write(channel: number, bytes: Uint8Array): Promise<void> {
    let off = 0;
    while (off < bytes.length) {
      if (this.finished) throw new StreamClosedError(`stream ${this.id} is closed (${this.finishReason})`);
      if (this.sendCredit <= 0) {
        await new Promise<void>((r) => this.creditWaiters.push(r));
        continue;
      }
      const n = Math.min(this.sendCredit, this.mux.maxFrame, bytes.length - off);
      this.sendCredit -= n;
      this.sentBytes += n;
      this.mux.sendRaw(encodeData(this.id, channel, bytes.subarray(off, off + n)));
      off += n;
      await this.mux.waitForRoom();
    }
  }

  /** No more bytes on this channel from this side. */
  end(channel: number): void {
    if (!this.finished) this.mux.sendRaw(encodeEof(this.id, channel));
  }

  /** The consumer passed on `n` received bytes: grant the peer that much more. */
  consumed(n: number): void {
    if (this.finished || n <= 0) return;
    this.recvPendingCredit += n;
    if (this.recvPendingCredit >= this.window / 4) {
      const c = this.recvPendingCredit;
      this.recvPendingCredit = 0;
      this.recvWindow += c;
      this.mux.sendRaw(encodeWindow(this.id, c));
    }
  }

  /** Agent: the final outcome; ends the stream. */
  exit(e: StreamExit): void {
    if (this.finished) return;
    this.mux.sendRaw(encodeJson(FrameType.EXIT, this.id, e));
    this.finish("exited");
  }

  /** Abort the stream (the peer's reset handler runs). */
  reset(reason: string): void {
    if (this.finished) return;
    this.mux.sendRaw(encodeJson(FrameType.RESET, this.id, { reason }));
    this.finish(`reset: ${reason}`);
  }

  /** Server: forward a terminal size. */
  resize(size: TerminalSize): void {
    if (!this.finished) this.mux.sendRaw(encodeJson(FrameType.RESIZE, this.id, size));
  }

  /** Credit this side may still send, and the window it still grants (tests, metrics). */
  flowState(): { sendCredit: number; recvWindow: number } {
    return { sendCredit: this.sendCredit, recvWindow: this.recvWindow };
  }

  // ------------------------------------------------------------ called by the mux

  /** @internal */
  onFrame(f: Frame): void {
    switch (f.type) {
      case FrameType.DATA:
        this.recvWindow -= f.data.length;
        this.receivedBytes += f.data.length;
        if (this.recvWindow < 0) {
          this.reset("flow control violated: more DATA than the window allows");
          this.dispatch({ k: "reset", r: "flow control violated" });
          return;
        }
        this.dispatch({ k: "data", ch: f.channel, b: f.data });
        return;
      case FrameType.WINDOW:
        this.sendCredit += f.credit;
        for (const w of this.creditWaiters.splice(0)) w();
        return;
      case FrameType.EOF:
        this.dispatch({ k: "eof", ch: f.channel });
        return;
      case FrameType.EXIT:
        if (this.mux.role !== "server") return;
        this.finish("exited");
        this.dispatch({ k: "exit", e: parseExit(f.json) });
        return;
      case FrameType.RESET: {
        const reason = String((f.json as { reason?: unknown })?.reason ?? "reset by peer");
        this.finish(`reset by peer: ${reason}`);
        this.dispatch({ k: "reset", r: reason });
        return;
      }
      case FrameType.RESIZE: {
        const s = parseSize(f.json);
        if (s && this.mux.role === "agent") this.dispatch({ k: "resize", s });
        return;
      }
    }
  }

  /** @internal The tunnel is gone. */
  onTunnelClosed(reason: string): void {
    if (this.finished) return;
    this.finish(`tunnel closed: ${reason}`);
    this.dispatch({ k: "reset", r: `tunnel closed: ${reason}` });
  }

  private finish(reason: string): void {
    if (this.finished) return;
    this.finished = true;
    this.finishReason = reason;
    for (const w of this.creditWaiters.splice(0)) w();
    this.mux.forget(this.id);
    this.resolveDone();
  }

  private dispatch(e: Event): void {
    const h = this.handlers;
    if (!h) {
      this.queued.push(e);
      return;
    }
    try {
      switch (e.k) {
        case "data":
          if (h.data) h.data(e.ch, e.b);
          else this.consumed(e.b.length);
          break;
        case "eof":
          h.eof?.(e.ch);
          break;
        case "exit":
          h.exit?.(e.e);
          break;
        case "reset":
          h.reset?.(e.r);
          break;
        case "resize":
          h.resize?.(e.s);
          break;
      }
    } catch (err) {
      // A consumer bug must not take the tunnel down; abort just this stream.
      this.reset(`handler failed: ${(err as Error).message}`);
    }
  }
}

export class TunnelMux {
  readonly role: "server" | "agent";
  readonly maxFrame: number;
  private readonly window: number;
  private readonly highWater: number;
  private readonly streams = new Map<number, TunnelStream>();
  private readonly pendingOpens = new Map<number, { resolve: (s: TunnelStream) => void; reject: (e: Error) => void; timer: ReturnType<typeof setTimeout> }>();
  private nextId = 1;
  private closedReason: string | null = null;
  private lastHeard = Date.now();
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private roomWaiters: (() => void)[] = [];
  private pollTimer: ReturnType<typeof setInterval> | null = null;
  private pingSeq = 0n;

  constructor(
    private readonly transport: MessageTransport,
    private readonly opts: MuxOptions,
  ) {
    this.role = opts.role;
    this.window = opts.window ?? DEFAULT_WINDOW;
    this.maxFrame = opts.maxFrame ?? DEFAULT_MAX_FRAME;
    this.highWater = opts.highWater ?? DEFAULT_HIGH_WATER;
    const every = opts.pingIntervalMs ?? 10_000;
    const idle = opts.idleTimeoutMs ?? 30_000;
    if (every > 0) {
      this.pingTimer = setInterval(() => {
        if (Date.now() - this.lastHeard > idle) {
          this.close(`no frame from the peer for ${idle} ms`);
          return;
        }
        const nonce = new Uint8Array(8);
        new DataView(nonce.buffer).setBigUint64(0, this.pingSeq++);
        this.sendRaw(encodePing(FrameType.PING, nonce));
      }, every);
      (this.pingTimer as { unref?: () => void }).unref?.();
    }
  }

  get isClosed(): boolean {
    return this.closedReason !== null;
  }

  get closeReason(): string | null {
    return this.closedReason;
  }

  /** Open streams (tests, metrics). */
  get streamCount(): number {
    return this.streams.size;
  }

  /** Server: open a stream and wait for the agent to accept it. */
  open(request: StreamRequest): Promise<TunnelStream> {
    if (this.role !== "server") return Promise.reject(new Error("only the server opens tunnel streams"));
    if (this.closedReason !== null) return Promise.reject(new TunnelClosedError(`tunnel closed: ${this.closedReason}`));
    const id = this.nextId;
    this.nextId = this.nextId >= 0x7ffffffe ? 1 : this.nextId + 2;
    const stream = new TunnelStream(this, id, request, this.window);
    this.streams.set(id, stream);
    return new Promise<TunnelStream>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pendingOpens.delete(id);
        stream.reset("open timed out");
        reject(new OpenTimeoutError(`the node agent did not answer within ${this.opts.openTimeoutMs ?? 30_000} ms`));
      }, this.opts.openTimeoutMs ?? 30_000);
      this.pendingOpens.set(id, { resolve, reject, timer });
      this.sendRaw(encodeJson(FrameType.OPEN, id, request));
    });
  }

  /** Feed one transport message. Protocol violations close the tunnel. */
  receive(msg: Uint8Array): void {
    if (this.closedReason !== null) return;
    this.lastHeard = Date.now();
    let f: Frame;
    try {
      f = decodeFrame(msg);
    } catch (e) {
      this.close(e instanceof TunnelProtocolError ? `protocol error: ${e.message}` : String(e));
      return;
    }
    switch (f.type) {
      case FrameType.PING:
        this.sendRaw(encodePing(FrameType.PONG, f.nonce));
        return;
      case FrameType.PONG:
        return;
      case FrameType.OPEN:
        this.onOpen(f.stream, f.json);
        return;
      case FrameType.REPLY:
        this.onReply(f.stream, f.json);
        return;
    }
    const s = this.streams.get(f.stream);
    if (s) s.onFrame(f); // frames for forgotten streams (after reset/exit) are dropped
  }

  /** The transport drained below its high-water mark. */
  drained(): void {
    if (this.transport.buffered() <= this.highWater) for (const w of this.roomWaiters.splice(0)) w();
  }

  /** The transport closed under us. */
  transportClosed(reason: string): void {
    this.shutdown(reason);
  }

  /** Close the tunnel and end every stream. */
  close(reason: string, code = 1000): void {
    if (this.closedReason !== null) return;
    try {
      this.transport.close(code, reason.slice(0, 120));
    } catch {
      /* already closed */
    }
    this.shutdown(reason);
  }

  // ------------------------------------------------------------ internals used by streams

  /** @internal */
  sendRaw(frame: Uint8Array): void {
    if (this.closedReason !== null) return;
    try {
      this.transport.send(frame);
    } catch (e) {
      this.shutdown(`send failed: ${(e as Error).message}`);
    }
  }

  /** @internal Resolves when the transport has room (or the tunnel is closed). */
  waitForRoom(): Promise<void> | void {
    if (this.closedReason !== null || this.transport.buffered() <= this.highWater) return;
    const p = new Promise<void>((r) => this.roomWaiters.push(r));
    if (this.transport.pollsForDrain && !this.pollTimer) {
      this.pollTimer = setInterval(() => {
        if (this.closedReason !== null || this.transport.buffered() <= this.highWater / 2) {
          clearInterval(this.pollTimer!);
          this.pollTimer = null;
          for (const w of this.roomWaiters.splice(0)) w();
        }
      }, 5);
    }
    return p;
  }

  /** @internal */
  forget(id: number): void {
    this.streams.delete(id);
    const p = this.pendingOpens.get(id);
    if (p) {
      clearTimeout(p.timer);
      this.pendingOpens.delete(id);
      p.reject(new StreamClosedError(`stream ${id} closed before the agent answered`));
    }
  }

  private onOpen(id: number, json: unknown): void {
    if (this.role !== "agent") {
      this.close("protocol error: the agent may not open streams");
      return;
    }
    if (this.streams.has(id)) {
      this.close(`protocol error: stream ${id} opened twice`);
      return;
    }
    let req: StreamRequest;
    try {
      req = parseStreamRequest(json);
    } catch (e) {
      this.sendRaw(encodeJson(FrameType.REPLY, id, { ok: false, status: { code: 400, reason: "BadRequest", message: (e as Error).message } }));
      return;
    }
    const s = new TunnelStream(this, id, req, this.window);
    this.streams.set(id, s);
    if (!this.opts.onStream) {
      s.reject({ code: 501, reason: "NotImplemented", message: "this node does not serve streams" });
      return;
    }
    try {
      this.opts.onStream(s);
    } catch (e) {
      s.reject({ code: 500, reason: "InternalError", message: (e as Error).message });
    }
  }

  private onReply(id: number, json: unknown): void {
    const p = this.pendingOpens.get(id);
    if (!p) return;
    clearTimeout(p.timer);
    this.pendingOpens.delete(id);
    const s = this.streams.get(id);
    let reply;
    try {
      reply = parseReply(json);
    } catch (e) {
      s?.reset("malformed reply");
      p.reject(e as Error);
      return;
    }
    if (!s) {
      p.reject(new StreamClosedError(`stream ${id} is gone`));
      return;
    }
    if (reply.ok) p.resolve(s);
    else {
      this.streams.delete(id);
      p.reject(new StreamRejectedError(reply.status));
    }
  }

  private shutdown(reason: string): void {
    if (this.closedReason !== null) return;
    this.closedReason = reason;
    if (this.pingTimer) clearInterval(this.pingTimer);
    if (this.pollTimer) clearInterval(this.pollTimer);
    for (const w of this.roomWaiters.splice(0)) w();
    for (const [id, p] of this.pendingOpens) {
      clearTimeout(p.timer);
      p.reject(new TunnelClosedError(`tunnel closed: ${reason}`));
      this.pendingOpens.delete(id);
    }
    for (const s of [...this.streams.values()]) s.onTunnelClosed(reason);
    this.streams.clear();
    this.opts.onClose?.(reason);
  }
}

export { Channel };
