/**
 * @module api/streaming/spdy/session
 * The server side of a SPDY/3.1 connection as kubectl's client (moby/spdystream) uses it:
 * the client opens every stream (SYN_STREAM with a `streamtype` header), the server
 * answers each with an empty SYN_REPLY, DATA flows both ways, FIN half-closes, RST_STREAM
 * aborts, client PINGs are echoed. spdystream does not implement SPDY/3.1 flow control
 * (it ignores WINDOW_UPDATE and never sends one), so neither do we: backpressure comes
 * from the transport (callers wait on waitForRoom()).
 */
import { FLAG_FIN, RstStatus, type SpdyFrame, SpdyFrameParser, SpdyFrameWriter, type SpdyHeaders, SpdyProtocolError } from "./frames.ts";

/** The byte stream under the session (a raw socket, or WebSocket messages). */
export interface ByteTransport {
  write(b: Uint8Array): void;
  /** Bytes accepted but not yet sent. */
  buffered(): number;
  close(): void;
  /** No drain notifications: poll buffered(). */
  readonly pollsForDrain?: boolean;
  /** Stop / restart reading from the client (inbound backpressure), when the transport can. */
  pauseInput?(): void;
  resumeInput?(): void;
}

export interface SpdyStreamHandlers {
  data(b: Uint8Array): void;
  /** The client half-closed (FIN). */
  end(): void;
  /** RST_STREAM from the client, or the connection closed. */
  reset(reason: string): void;
}

const MAX_DATA = 32 * 1024;
const HIGH_WATER = 1024 * 1024;

export class SpdyStream {
  private handlers: Partial<SpdyStreamHandlers> | null = null;
  private queued: (["data", Uint8Array] | ["end"] | ["reset", string])[] = [];
  localFin = false;
  remoteFin = false;
  private closed = false;

  constructor(
    private readonly session: SpdySession,
    readonly id: number,
    readonly headers: SpdyHeaders,
  ) {}

  /** First value of a header (names are lowercase). */
  header(name: string): string | undefined {
    return this.headers[name.toLowerCase()]?.[0];
  }

  get isClosed(): boolean {
    return this.closed;
  }

  setHandlers(h: Partial<SpdyStreamHandlers>): void {
    this.handlers = h;
    for (const e of this.queued.splice(0)) this.dispatch(e);
  }

  write(b: Uint8Array): void {
    if (this.localFin || this.closed) return;
    for (let off = 0; off < b.length; off += MAX_DATA) this.session.send(this.session.writer.data(this.id, b.subarray(off, off + MAX_DATA)));
  }

  /** FIN: nothing more from the server on this stream. */
  end(): void {
    if (this.localFin || this.closed) return;
    this.localFin = true;
    this.session.send(this.session.writer.data(this.id, new Uint8Array(0), true));
    this.maybeDone();
  }

  reset(status: number = RstStatus.CANCEL): void {
    if (this.closed) return;
    this.session.send(this.session.writer.rstStream(this.id, status));
    this.terminate("reset by server");
  }

  /** @internal */
  onFrame(f: SpdyFrame): void {
    if (f.kind === "data") {
      if (f.data.length) this.dispatch(["data", f.data]);
      if (f.fin) this.remoteEnd();
    } else if (f.kind === "headers" && f.fin) this.remoteEnd();
    else if (f.kind === "rst_stream") this.terminate(`reset by client (status ${f.status})`);
  }

  /** @internal */
  remoteEnd(): void {
    if (this.remoteFin) return;
    this.remoteFin = true;
    this.dispatch(["end"]);
    this.maybeDone();
  }

  /** @internal */
  terminate(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.session.forget(this.id);
    this.dispatch(["reset", reason]);
  }

  private maybeDone(): void {
    if (this.localFin && this.remoteFin && !this.closed) {
      this.closed = true;
      this.session.forget(this.id);
    }
  }

  private dispatch(e: ["data", Uint8Array] | ["end"] | ["reset", string]): void {
    const h = this.handlers;
    if (!h) {
      this.queued.push(e);
      return;
    }
    if (e[0] === "data") h.data?.(e[1]);
    else if (e[0] === "end") h.end?.();
    else h.reset?.(e[1]);
  }
}

export interface SpdySessionOptions {
  /** A new client stream (already answered with SYN_REPLY). */
  onStream(s: SpdyStream): void;
  /** The connection is gone (GOAWAY, transport closed, protocol error). */
  onClose?(reason: string): void;
}

export class SpdySession {
  readonly writer = new SpdyFrameWriter();
  private readonly parser = new SpdyFrameParser();
  private readonly streams = new Map<number, SpdyStream>();
  private lastStreamId = 0;
  private closedReason: string | null = null;
  private roomWaiters: (() => void)[] = [];
  private pollTimer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly transport: ByteTransport,
    private readonly opts: SpdySessionOptions,
  ) {}

  get isClosed(): boolean {
    return this.closedReason !== null;
  }

  /** Bytes from the client. A protocol error closes the connection. */
  receive(bytes: Uint8Array): void {
    if (this.closedReason !== null) return;
    let frames: SpdyFrame[];
    try {
      frames = this.parser.push(bytes);
    } catch (e) {
      if (this.closedReason === null) this.send(this.writer.goaway(this.lastStreamId, 1));
      this.close(e instanceof SpdyProtocolError ? `SPDY protocol error: ${e.message}` : String(e));
      return;
    }
    for (const f of frames) this.onFrame(f);
  }

  /** The transport can take more bytes. */
  drained(): void {
    if (this.transport.buffered() <= HIGH_WATER) for (const w of this.roomWaiters.splice(0)) w();
  }

  /** Resolves when the transport buffers less than its high-water mark. */
  waitForRoom(): Promise<void> | void {
    if (this.closedReason !== null || this.transport.buffered() <= HIGH_WATER) return;
    const p = new Promise<void>((r) => this.roomWaiters.push(r));
    if (this.transport.pollsForDrain && !this.pollTimer) {
      this.pollTimer = setInterval(() => {
        if (this.closedReason !== null || this.transport.buffered() <= HIGH_WATER / 2) {
          clearInterval(this.pollTimer!);
          this.pollTimer = null;
          for (const w of this.roomWaiters.splice(0)) w();
        }
      }, 5);
    }
    return p;
  }

  hasRoom(): boolean {
    return this.transport.buffered() <= HIGH_WATER;
  }

  transportClosed(reason: string): void {
    this.shutdown(reason);
  }

  /** Ends the connection (GOAWAY, then close). */
  close(reason = "closed by server"): void {
    if (this.closedReason !== null) return;
    this.send(this.writer.goaway(this.lastStreamId, 0));
    this.shutdown(reason);
    try {
      this.transport.close();
    } catch {
      /* already closed */
    }
  }

  /** @internal */
  send(b: Uint8Array): void {
    if (this.closedReason !== null) return;
    try {
      this.transport.write(b);
    } catch (e) {
      this.shutdown(`write failed: ${(e as Error).message}`);
    }
  }

  /** @internal */
  forget(id: number): void {
    this.streams.delete(id);
  }

  private onFrame(f: SpdyFrame): void {
    switch (f.kind) {
      case "syn_stream": {
        if (f.streamId % 2 === 0 || f.streamId <= this.lastStreamId) {
          this.send(this.writer.rstStream(f.streamId, RstStatus.PROTOCOL_ERROR));
          return;
        }
        this.lastStreamId = f.streamId;
        const s = new SpdyStream(this, f.streamId, f.headers);
        this.streams.set(f.streamId, s);
        this.send(this.writer.synReply(f.streamId, {}, false));
        if (f.fin || f.unidirectional) s.remoteEnd();
        this.opts.onStream(s);
        return;
      }
      case "data":
      case "headers":
      case "rst_stream": {
        const s = this.streams.get(f.streamId);
        if (s) s.onFrame(f);
        else if (f.kind === "data" && !this.isKnownClosed(f.streamId)) this.send(this.writer.rstStream(f.streamId, RstStatus.INVALID_STREAM));
        return;
      }
      case "ping":
        // Echo the client's pings (odd ids); ours would be even, and we send none.
        if (f.id % 2 === 1) this.send(this.writer.ping(f.id));
        return;
      case "goaway":
        this.close("client sent GOAWAY");
        return;
      default:
        return; // SETTINGS, WINDOW_UPDATE, SYN_REPLY: nothing to do
    }
  }

  private isKnownClosed(id: number): boolean {
    return id <= this.lastStreamId;
  }

  private shutdown(reason: string): void {
    if (this.closedReason !== null) return;
    this.closedReason = reason;
    if (this.pollTimer) clearInterval(this.pollTimer);
    for (const w of this.roomWaiters.splice(0)) w();
    for (const s of [...this.streams.values()]) s.terminate(`connection closed: ${reason}`);
    this.streams.clear();
    this.opts.onClose?.(reason);
  }
}

export { FLAG_FIN };
