/**
 * @module cluster/transport
 * PeerTransport: Raft messages between servers over WebSocket on the API port
 * (`/kite/v1/raft`). Each member dials one outgoing connection per peer and sends on it
 * only (like etcd's streams); the peer's own connection carries the answers.
 *
 * - Connections open with signed headers (peer-auth.ts): cluster ID, sender, receiver.
 * - Messages for one peer that leave in the same turn of the event loop go out as one
 *   text frame (`{"m":[...]}`).
 * - Snapshots travel as binary chunks; the receiver answers with an ack frame once the
 *   whole image arrived, and the sender then reports the outcome to Raft.
 * - A message for a peer that is not connected is dropped and the peer reported
 *   unreachable (Raft falls back to probing); the connection is redialled with back-off.
 * - `block(id)` cuts the link to and from a peer (for fault tests).
 */
import type { Server, ServerWebSocket } from "bun";
import type { WsData, WsHandler } from "../api/app.ts";
import type { RaftTransport } from "./driver.ts";
import { type Message, newMessage } from "../raft/types.ts";
import { type PeerIdentity, PeerAuthError, peerHeaders, verifyPeerHeaders } from "./peer-auth.ts";
import { logger } from "../util/log.ts";

const log = logger("raft-transport");

export const RAFT_PATH = "/kite/v1/raft";
const CHUNK_BYTES = 512 * 1024;
const SNAPSHOT_ACK_TIMEOUT_MS = 120_000;
/** Above this many buffered bytes on a connection, messages are dropped (the peer is too slow). */
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

export interface TransportHost {
  /** A message from an authenticated peer (already checked: to === self, from === the peer). */
  onMessage(m: Message): void;
  /** A message for `id` could not be sent. */
  onUnreachable(id: number): void;
  /** The outcome of sending a snapshot to `id`. */
  onSnapshotStatus(id: number, ok: boolean): void;
  /** The connection `id` dialled to us closed (e.g. the process died). */
  onPeerDown?(id: number): void;
}

export interface PeerTransportOptions {
  selfId: number;
  identity: PeerIdentity;
  host: TransportHost;
  /** CA to verify peers' serving certificates (https peers). */
  caPem?: string;
}

interface SnapHeader {
  sid: string;
  off: number;
  total: number;
  /** The MsgSnap without its data (first chunk only). */
  msg?: Message;
}

interface Outgoing {
  url: string;
  ws: WebSocket | null;
  open: boolean;
  batch: Message[];
  flushQueued: boolean;
  backoffMs: number;
  retryTimer: ReturnType<typeof setTimeout> | null;
  lastUnreachable: number;
  pendingSnaps: Map<string, ReturnType<typeof setTimeout>>;
}

interface Incoming {
  peer: number;
  snaps: Map<string, { msg: Message; total: number; parts: Uint8Array[]; got: number }>;
}

function toWsUrl(base: string): string {
  const u = new URL(base);
  u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
  u.pathname = RAFT_PATH;
  return u.toString();
}

function encodeChunk(h: SnapHeader, payload: Uint8Array): Uint8Array<ArrayBuffer> {
  const head = new TextEncoder().encode(JSON.stringify(h));
  const out = new Uint8Array(4 + head.length + payload.length);
  new DataView(out.buffer).setUint32(0, head.length);
  out.set(head, 4);
  out.set(payload, 4 + head.length);
  return out;
}

function decodeChunk(buf: Uint8Array): { h: SnapHeader; payload: Uint8Array } {
  const len = new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getUint32(0);
  const h = JSON.parse(new TextDecoder().decode(buf.subarray(4, 4 + len))) as SnapHeader;
  return { h, payload: buf.subarray(4 + len) };
}

export class PeerTransport implements RaftTransport {
  private readonly out = new Map<number, Outgoing>();
  private readonly incoming = new Set<ServerWebSocket<WsData & { raft?: Incoming }>>();
  private readonly blocked = new Set<number>();
  private closed = false;
  private snapSeq = 0;
  /** Counters for tests and diagnostics. */
  readonly stats = { framesSent: 0, messagesSent: 0, messagesReceived: 0, rejected: 0, snapshotsSent: 0, snapshotsReceived: 0 };

  constructor(private readonly o: PeerTransportOptions) {}

  get selfId(): number {
    return this.o.selfId;
  }

  /** Sets the peers' base URLs (https://host:port); drops connections to peers no longer listed. */
  setPeers(peers: Map<number, string>): void {
    for (const [id, o] of this.out) {
      if (peers.get(id) !== o.url) this.dropPeer(id);
    }
    for (const [id, url] of peers) {
      if (id === this.o.selfId || this.out.has(id)) continue;
      this.out.set(id, { url, ws: null, open: false, batch: [], flushQueued: false, backoffMs: 50, retryTimer: null, lastUnreachable: 0, pendingSnaps: new Map() });
      this.dial(id);
    }
  }

  peers(): Map<number, string> {
    return new Map([...this.out].map(([id, o]) => [id, o.url]));
  }

  /** Whether the outgoing connection to `id` is open. */
  connected(id: number): boolean {
    return this.out.get(id)?.open === true;
  }

  private dropPeer(id: number): void {
    const o = this.out.get(id);
    if (!o) return;
    this.out.delete(id);
    if (o.retryTimer) clearTimeout(o.retryTimer);
    for (const t of o.pendingSnaps.values()) clearTimeout(t);
    o.ws?.close();
  }

  private dial(id: number): void {
    const o = this.out.get(id);
    if (!o || this.closed || o.ws) return;
    const headers = peerHeaders(this.o.identity, this.o.selfId, id);
    let ws: WebSocket;
    try {
      ws = new WebSocket(toWsUrl(o.url), { headers, tls: this.o.caPem ? { ca: this.o.caPem } : undefined } as unknown as string[]);
    } catch (err) {
      log.warn("cannot dial peer", { peer: id.toString(16), url: o.url, error: err as Error });
      this.scheduleRedial(id, o);
      return;
    }
    ws.binaryType = "arraybuffer";
    o.ws = ws;
    ws.onopen = () => {
      if (this.out.get(id) !== o) return ws.close();
      o.open = true;
      o.backoffMs = 50;
      log.debug("peer connected", { peer: id.toString(16) });
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data !== "string") return;
      try {
        const a = JSON.parse(ev.data) as { ack?: string; ok?: boolean };
        if (a.ack !== undefined) this.snapshotDone(id, o, a.ack, a.ok === true);
      } catch {
        /* ignore malformed frames */
      }
    };
    ws.onclose = () => {
      const wasOpen = o.open;
      o.open = false;
      o.ws = null;
      for (const [sid] of o.pendingSnaps) this.snapshotDone(id, o, sid, false);
      if (this.out.get(id) !== o || this.closed) return;
      if (wasOpen) log.debug("peer connection closed", { peer: id.toString(16) });
      this.scheduleRedial(id, o);
    };
    ws.onerror = () => {
      /* onclose follows */
    };
  }

  private scheduleRedial(id: number, o: Outgoing): void {
    if (o.retryTimer || this.closed) return;
    const delay = o.backoffMs;
    o.backoffMs = Math.min(o.backoffMs * 2, 1000);
    o.retryTimer = setTimeout(() => {
      o.retryTimer = null;
      this.dial(id);
    }, delay);
  }

  private unreachable(id: number, o: Outgoing | undefined): void {
    const now = Date.now();
    if (o) {
      if (now - o.lastUnreachable < 50) return;
      o.lastUnreachable = now;
    }
    this.o.host.onUnreachable(id);
  }

  send(messages: Message[]): void {
    if (this.closed) return;
    for (const m of messages) {
      const o = this.out.get(m.to);
      if (!o || !o.open || !o.ws || this.blocked.has(m.to) || o.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
        if (m.type === "MsgSnap") this.o.host.onSnapshotStatus(m.to, false);
        else this.unreachable(m.to, o);
        continue;
      }
      if (m.type === "MsgSnap") {
        this.sendSnapshot(m, o);
        continue;
      }
      o.batch.push(m);
      if (!o.flushQueued) {
        o.flushQueued = true;
        queueMicrotask(() => this.flush(m.to, o));
      }
    }
  }

  private flush(id: number, o: Outgoing): void {
    o.flushQueued = false;
    const batch = o.batch;
    o.batch = [];
    if (batch.length === 0) return;
    if (!o.open || !o.ws) return this.unreachable(id, o);
    o.ws.send(JSON.stringify({ m: batch }));
    this.stats.framesSent++;
    this.stats.messagesSent += batch.length;
  }

  private sendSnapshot(m: Message, o: Outgoing): void {
    const data = m.snapshot!.data;
    const sid = `${this.o.selfId.toString(16)}-${++this.snapSeq}`;
    const msg: Message = { ...m, snapshot: { metadata: m.snapshot!.metadata, data: new Uint8Array(0) } };
    const ws = o.ws!;
    const total = data.length;
    let off = 0;
    do {
      const end = Math.min(off + CHUNK_BYTES, total);
      ws.send(encodeChunk({ sid, off, total, ...(off === 0 ? { msg } : {}) }, data.subarray(off, end)));
      off = end;
    } while (off < total);
    this.stats.snapshotsSent++;
    log.info("sent snapshot", { peer: m.to.toString(16), index: m.snapshot!.metadata.index, bytes: total });
    o.pendingSnaps.set(
      sid,
      setTimeout(() => this.snapshotDone(m.to, o, sid, false), SNAPSHOT_ACK_TIMEOUT_MS),
    );
  }

  private snapshotDone(id: number, o: Outgoing, sid: string, ok: boolean): void {
    const t = o.pendingSnaps.get(sid);
    if (t === undefined) return;
    clearTimeout(t);
    o.pendingSnaps.delete(sid);
    if (!this.closed) this.o.host.onSnapshotStatus(id, ok);
  }

  // ---- incoming ----

  /**
   * Handles `GET /kite/v1/raft`: authenticates and upgrades. Returns a Response for a
   * rejected request, or undefined once upgraded.
   */
  accept(req: Request, server: Server<WsData> | undefined): Response | undefined {
    if (this.closed) return new Response("raft transport closed", { status: 503 });
    if (!server) return new Response("websocket upgrade unavailable", { status: 400 });
    let peer: number;
    try {
      peer = verifyPeerHeaders(this.o.identity, this.o.selfId, req.headers);
    } catch (err) {
      this.stats.rejected++;
      if (err instanceof PeerAuthError) {
        log.warn("rejected peer connection", { reason: err.reason, error: err.message });
        return new Response(err.message, { status: err.status });
      }
      throw err;
    }
    const state: Incoming = { peer, snaps: new Map() };
    const handler: WsHandler = {
      open: (ws) => void this.incoming.add(ws),
      message: (ws, msg) => this.onFrame(ws, state, msg),
      close: (ws) => {
        this.incoming.delete(ws);
        if (!this.closed) this.o.host.onPeerDown?.(peer);
      },
    };
    const ok = server.upgrade(req, { data: { handler } as WsData });
    return ok ? undefined : new Response("websocket upgrade failed", { status: 400 });
  }

  private onFrame(ws: ServerWebSocket<WsData>, st: Incoming, frame: string | Buffer): void {
    if (this.closed || this.blocked.has(st.peer)) return;
    if (typeof frame === "string") {
      let msgs: Message[];
      try {
        msgs = (JSON.parse(frame) as { m: Message[] }).m;
        if (!Array.isArray(msgs)) return;
      } catch {
        return;
      }
      for (const raw of msgs) this.deliver(st.peer, newMessage(raw));
      return;
    }
    let chunk;
    try {
      chunk = decodeChunk(new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength));
    } catch {
      return;
    }
    const { h, payload } = chunk;
    let s = st.snaps.get(h.sid);
    if (h.off === 0) {
      if (!h.msg) return;
      s = { msg: newMessage(h.msg), total: h.total, parts: [], got: 0 };
      st.snaps.set(h.sid, s);
    }
    if (!s || h.off !== s.got) return; // out of order: the sender times out and retries
    s.parts.push(payload.slice());
    s.got += payload.length;
    if (s.got < s.total) return;
    st.snaps.delete(h.sid);
    const data = new Uint8Array(s.total);
    let at = 0;
    for (const p of s.parts) {
      data.set(p, at);
      at += p.length;
    }
    const m = s.msg;
    m.snapshot = { metadata: m.snapshot!.metadata, data };
    this.stats.snapshotsReceived++;
    log.info("received snapshot", { peer: st.peer.toString(16), index: m.snapshot.metadata.index, bytes: data.length });
    this.deliver(st.peer, m);
    ws.send(JSON.stringify({ ack: h.sid, ok: true }));
  }

  private deliver(peer: number, m: Message): void {
    if (m.from !== peer || m.to !== this.o.selfId) return;
    this.stats.messagesReceived++;
    this.o.host.onMessage(m);
  }

  // ---- fault injection ----

  /** Drops all traffic to and from `id` until unblock(id). */
  block(id: number): void {
    this.blocked.add(id);
  }
  unblock(id: number): void {
    this.blocked.delete(id);
  }
  blockedPeers(): number[] {
    return [...this.blocked];
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const id of [...this.out.keys()]) this.dropPeer(id);
    for (const ws of this.incoming) ws.close();
    this.incoming.clear();
  }
}
