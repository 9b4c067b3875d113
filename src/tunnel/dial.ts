/**
 * @module tunnel/dial
 * The agent's end of one tunnel: dials `wss://<server>/kite/v1/tunnel` with the node's
 * bearer token (verifying the server against the cluster CA), runs a mux on it, and
 * redials with exponential back-off and jitter whenever it drops, until stop().
 */
import { logger } from "../util/log.ts";
import { TUNNEL_PATH, TUNNEL_SUBPROTOCOL } from "./frames.ts";
import { type MuxOptions, TunnelMux, type TunnelStream } from "./mux.ts";
import { clientWebSocketTransport } from "./transport.ts";

const log = logger("tunnel");

export type DialState = "connecting" | "connected" | "disconnected" | "stopped";

export interface DialOptions {
  /** Server base URL, e.g. https://10.0.0.1:6443. */
  url: string;
  token: string;
  /** Cluster CA; without it the system roots are used. */
  caPem?: string;
  onStream(s: TunnelStream): void;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  mux?: Omit<MuxOptions, "role" | "onStream" | "onClose">;
  onState?(state: DialState, detail?: string): void;
}

export function tunnelUrl(serverUrl: string): string {
  const u = new URL(serverUrl);
  if (u.protocol !== "https:" && u.protocol !== "http:" && u.protocol !== "wss:" && u.protocol !== "ws:") throw new TypeError(`unsupported server URL ${serverUrl}`);
  u.protocol = u.protocol === "http:" || u.protocol === "ws:" ? "ws:" : "wss:";
  u.pathname = TUNNEL_PATH;
  u.search = "";
  return u.toString();
}

export class TunnelDialer {
  private ws: WebSocket | null = null;
  private current: TunnelMux | null = null;
  private stopped = false;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private state: DialState = "disconnected";
  private closedWaiters: (() => void)[] = [];

  constructor(private readonly opts: DialOptions) {}

  get url(): string {
    return this.opts.url;
  }

  get connected(): boolean {
    return this.state === "connected";
  }

  /** The live mux, when connected. */
  get mux(): TunnelMux | null {
    return this.current;
  }

  start(): this {
    this.dial();
    return this;
  }

  /** Closes the tunnel and stops redialing. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const ws = this.ws;
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      const closed = new Promise<void>((r) => this.closedWaiters.push(r));
      this.current?.close("agent stopping");
      if (!this.current) ws.close(1000, "agent stopping");
      await Promise.race([closed, Bun.sleep(2000)]);
    }
    this.setState("stopped");
  }

  private setState(s: DialState, detail?: string) {
    this.state = s;
    this.opts.onState?.(s, detail);
  }

  private dial(): void {
    if (this.stopped) return;
    this.setState("connecting");
    let ws: WebSocket;
    try {
      ws = new WebSocket(tunnelUrl(this.opts.url), {
        protocols: [TUNNEL_SUBPROTOCOL],
        headers: { Authorization: `Bearer ${this.opts.token}` },
        tls: this.opts.caPem ? { ca: this.opts.caPem } : undefined,
        perMessageDeflate: false,
      } as unknown as string[]);
    } catch (e) {
      this.scheduleRedial(`cannot dial: ${(e as Error).message}`);
      return;
    }
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    let mux: TunnelMux | null = null;
    let failure = "";
    ws.addEventListener("open", () => {
      if (ws.protocol !== TUNNEL_SUBPROTOCOL) {
        failure = `server chose subprotocol ${JSON.stringify(ws.protocol)}`;
        ws.close(1002, "unsupported tunnel protocol");
        return;
      }
      this.attempt = 0;
      mux = new TunnelMux(clientWebSocketTransport(ws), { ...this.opts.mux, role: "agent", onStream: this.opts.onStream });
      this.current = mux;
      this.setState("connected");
      log.info("tunnel connected", { server: this.opts.url });
    });
    ws.addEventListener("message", (ev) => {
      const d = (ev as MessageEvent).data;
      if (typeof d === "string") {
        mux?.close("protocol error: text message");
        return;
      }
      mux?.receive(new Uint8Array(d as ArrayBuffer));
    });
    ws.addEventListener("error", (ev) => {
      failure ||= (ev as ErrorEvent).message || "connection error";
    });
    ws.addEventListener("close", (ev) => {
      const reason = failure || `closed (${ev.code}${ev.reason ? ` ${ev.reason}` : ""})`;
      if (mux) {
        mux.transportClosed(reason);
        if (!this.stopped) log.warn("tunnel disconnected", { server: this.opts.url, reason });
      }
      if (this.current === mux) this.current = null;
      this.ws = null;
      for (const w of this.closedWaiters.splice(0)) w();
      this.scheduleRedial(reason);
    });
  }

  private scheduleRedial(reason: string): void {
    if (this.stopped) return;
    this.setState("disconnected", reason);
    const min = this.opts.minBackoffMs ?? 500;
    const max = this.opts.maxBackoffMs ?? 30_000;
    const base = Math.min(max, min * 2 ** Math.min(this.attempt, 16));
    const delay = Math.round(base * (0.5 + Math.random() * 0.5));
    if (this.attempt > 0 && this.attempt % 5 === 0) log.warn("tunnel still not connected", { server: this.opts.url, attempts: this.attempt, reason });
    this.attempt++;
    this.timer = setTimeout(() => this.dial(), delay);
  }
}
