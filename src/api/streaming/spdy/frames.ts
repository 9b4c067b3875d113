/**
 * @module api/streaming/spdy/frames
 * SPDY/3.1 framing: an incremental parser over the connection's byte stream (frames may
 * arrive split or coalesced, e.g. inside WebSocket messages) and serializers for the
 * frames a server sends. Header blocks go through one connection-wide zlib context per
 * direction, primed with the SPDY dictionary, so they must be handled in arrival order —
 * the parser does that synchronously. Errors are SpdyProtocolError.
 */
import { SPDY3_DICTIONARY } from "./dictionary.ts";
import { InflateError, StoredDeflater, ZlibInflater } from "./inflate.ts";

export const SPDY_VERSION = 3;

export const ControlType = {
  SYN_STREAM: 1,
  SYN_REPLY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PING: 6,
  GOAWAY: 7,
  HEADERS: 8,
  WINDOW_UPDATE: 9,
} as const;

export const FLAG_FIN = 0x01;
export const FLAG_UNIDIRECTIONAL = 0x02;

export const RstStatus = { PROTOCOL_ERROR: 1, INVALID_STREAM: 2, REFUSED_STREAM: 3, CANCEL: 5, INTERNAL_ERROR: 6 } as const;

/** Header names are lowercase; a value list came NUL-separated. */
export type SpdyHeaders = Record<string, string[]>;

export type SpdyFrame =
  | { kind: "data"; streamId: number; fin: boolean; data: Uint8Array }
  | { kind: "syn_stream"; streamId: number; fin: boolean; unidirectional: boolean; headers: SpdyHeaders }
  | { kind: "syn_reply"; streamId: number; fin: boolean; headers: SpdyHeaders }
  | { kind: "headers"; streamId: number; fin: boolean; headers: SpdyHeaders }
  | { kind: "rst_stream"; streamId: number; status: number }
  | { kind: "ping"; id: number }
  | { kind: "goaway"; lastGoodStreamId: number; status: number }
  | { kind: "settings" }
  | { kind: "window_update"; streamId: number; delta: number };

export class SpdyProtocolError extends Error {
  override name = "SpdyProtocolError";
}

/** Largest frame we accept (SPDY's 24-bit length allows 16 MiB). */
const MAX_FRAME = 1 << 24;
const MAX_HEADER_BLOCK = 256 * 1024;

function decodeHeaderBlock(b: Uint8Array): SpdyHeaders {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const dec = new TextDecoder();
  let p = 0;
  const need = (n: number) => {
    if (p + n > b.length) throw new SpdyProtocolError("truncated header block");
  };
  need(4);
  const count = dv.getUint32(p);
  p += 4;
  const out: SpdyHeaders = {};
  for (let i = 0; i < count; i++) {
    need(4);
    const nl = dv.getUint32(p);
    p += 4;
    need(nl);
    const name = dec.decode(b.subarray(p, p + nl)).toLowerCase();
    p += nl;
    need(4);
    const vl = dv.getUint32(p);
    p += 4;
    need(vl);
    const value = dec.decode(b.subarray(p, p + vl));
    p += vl;
    (out[name] ??= []).push(...value.split("\0"));
  }
  return out;
}

export function encodeHeaderBlock(h: Record<string, string | string[]>): Uint8Array {
  const enc = new TextEncoder();
  const entries = Object.entries(h).map(([k, v]) => [enc.encode(k.toLowerCase()), enc.encode(Array.isArray(v) ? v.join("\0") : v)] as const);
  const size = 4 + entries.reduce((s, [k, v]) => s + 8 + k.length + v.length, 0);
  const b = new Uint8Array(size);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, entries.length);
  let p = 4;
  for (const [k, v] of entries) {
    dv.setUint32(p, k.length);
    b.set(k, p + 4);
    p += 4 + k.length;
    dv.setUint32(p, v.length);
    b.set(v, p + 4);
    p += 4 + v.length;
  }
  return b;
}

/** Reads frames from a byte stream. */
export class SpdyFrameParser {
  private buf = new Uint8Array(0);
  private readonly inflater = new ZlibInflater(SPDY3_DICTIONARY);

  push(chunk: Uint8Array): SpdyFrame[] {
    if (this.buf.length === 0) this.buf = chunk.slice();
    else {
      const b = new Uint8Array(this.buf.length + chunk.length);
      b.set(this.buf);
      b.set(chunk, this.buf.length);
      this.buf = b;
    }
    const frames: SpdyFrame[] = [];
    let p = 0;
    while (this.buf.length - p >= 8) {
      const dv = new DataView(this.buf.buffer, this.buf.byteOffset + p, this.buf.length - p);
      const w0 = dv.getUint32(0);
      const flags = this.buf[p + 4]!;
      const len = dv.getUint32(4) & 0xffffff;
      if (len > MAX_FRAME) throw new SpdyProtocolError("frame too large");
      if (this.buf.length - p < 8 + len) break;
      const payload = this.buf.subarray(p + 8, p + 8 + len);
      p += 8 + len;
      if (w0 & 0x80000000) {
        const version = (w0 >>> 16) & 0x7fff;
        if (version !== SPDY_VERSION) throw new SpdyProtocolError(`unsupported SPDY version ${version}`);
        const f = this.control(w0 & 0xffff, flags, payload);
        if (f) frames.push(f);
      } else {
        const streamId = w0 & 0x7fffffff;
        if (streamId === 0) throw new SpdyProtocolError("DATA frame on stream 0");
        frames.push({ kind: "data", streamId, fin: (flags & FLAG_FIN) !== 0, data: payload.slice() });
      }
    }
    this.buf = this.buf.subarray(p);
    return frames;
  }

  private headers(block: Uint8Array): SpdyHeaders {
    let raw: Uint8Array;
    try {
      raw = this.inflater.push(block);
    } catch (e) {
      if (e instanceof InflateError) throw new SpdyProtocolError(`header decompression failed: ${e.message}`);
      throw e;
    }
    if (raw.length > MAX_HEADER_BLOCK) throw new SpdyProtocolError("header block too large");
    return decodeHeaderBlock(raw);
  }

  private control(type: number, flags: number, p: Uint8Array): SpdyFrame | null {
    const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
    const need = (n: number) => {
      if (p.length < n) throw new SpdyProtocolError(`control frame ${type} too short`);
    };
    const fin = (flags & FLAG_FIN) !== 0;
    switch (type) {
      case ControlType.SYN_STREAM: {
        need(10);
        const streamId = dv.getUint32(0) & 0x7fffffff;
        if (streamId === 0) throw new SpdyProtocolError("SYN_STREAM for stream 0");
        return { kind: "syn_stream", streamId, fin, unidirectional: (flags & FLAG_UNIDIRECTIONAL) !== 0, headers: this.headers(p.subarray(10)) };
      }
      case ControlType.SYN_REPLY:
      case ControlType.HEADERS: {
        need(4);
        const streamId = dv.getUint32(0) & 0x7fffffff;
        return { kind: type === ControlType.SYN_REPLY ? "syn_reply" : "headers", streamId, fin, headers: this.headers(p.subarray(4)) };
      }
      case ControlType.RST_STREAM:
        need(8);
        return { kind: "rst_stream", streamId: dv.getUint32(0) & 0x7fffffff, status: dv.getUint32(4) };
      case ControlType.SETTINGS:
        return { kind: "settings" };
      case ControlType.PING:
        need(4);
        return { kind: "ping", id: dv.getUint32(0) };
      case ControlType.GOAWAY:
        need(4);
        return { kind: "goaway", lastGoodStreamId: dv.getUint32(0) & 0x7fffffff, status: p.length >= 8 ? dv.getUint32(4) : 0 };
      case ControlType.WINDOW_UPDATE:
        need(8);
        return { kind: "window_update", streamId: dv.getUint32(0) & 0x7fffffff, delta: dv.getUint32(4) & 0x7fffffff };
      default:
        return null; // unknown control frames are ignored (SPDY/3 §2.2.1)
    }
  }
}

function control(type: number, flags: number, payload: Uint8Array): Uint8Array {
  const b = new Uint8Array(8 + payload.length);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, 0x80000000 | (SPDY_VERSION << 16) | type);
  dv.setUint32(4, ((flags & 0xff) << 24) | payload.length);
  b.set(payload, 8);
  return b;
}

/** Writes the frames a server sends; one header compressor per connection. */
export class SpdyFrameWriter {
  private readonly deflater = new StoredDeflater(SPDY3_DICTIONARY);

  synReply(streamId: number, headers: Record<string, string | string[]> = {}, fin = false): Uint8Array {
    const block = this.deflater.push(encodeHeaderBlock(headers));
    const p = new Uint8Array(4 + block.length);
    new DataView(p.buffer).setUint32(0, streamId & 0x7fffffff);
    p.set(block, 4);
    return control(ControlType.SYN_REPLY, fin ? FLAG_FIN : 0, p);
  }

  /** A client-side SYN_STREAM (used by tests that play kubectl). */
  synStream(streamId: number, headers: Record<string, string | string[]>, fin = false): Uint8Array {
    const block = this.deflater.push(encodeHeaderBlock(headers));
    const p = new Uint8Array(10 + block.length);
    new DataView(p.buffer).setUint32(0, streamId & 0x7fffffff);
    p.set(block, 10);
    return control(ControlType.SYN_STREAM, fin ? FLAG_FIN : 0, p);
  }

  data(streamId: number, data: Uint8Array, fin = false): Uint8Array {
    if (data.length > 0xffffff) throw new RangeError("DATA frame too large");
    const b = new Uint8Array(8 + data.length);
    const dv = new DataView(b.buffer);
    dv.setUint32(0, streamId & 0x7fffffff);
    dv.setUint32(4, ((fin ? FLAG_FIN : 0) << 24) | data.length);
    b.set(data, 8);
    return b;
  }

  rstStream(streamId: number, status: number): Uint8Array {
    const p = new Uint8Array(8);
    const dv = new DataView(p.buffer);
    dv.setUint32(0, streamId & 0x7fffffff);
    dv.setUint32(4, status);
    return control(ControlType.RST_STREAM, 0, p);
  }

  ping(id: number): Uint8Array {
    const p = new Uint8Array(4);
    new DataView(p.buffer).setUint32(0, id >>> 0);
    return control(ControlType.PING, 0, p);
  }

  goaway(lastGoodStreamId: number, status = 0): Uint8Array {
    const p = new Uint8Array(8);
    const dv = new DataView(p.buffer);
    dv.setUint32(0, lastGoodStreamId & 0x7fffffff);
    dv.setUint32(4, status);
    return control(ControlType.GOAWAY, 0, p);
  }
}
