/**
 * @module tunnel/frames
 * The binary frames of kite's agent tunnel. One WebSocket message carries exactly one
 * frame: `[type u8][stream id u32 BE][payload]`. Stream 0 is the connection itself
 * (PING/PONG). Payloads: JSON for OPEN, REPLY, EXIT, RESET and RESIZE; `[channel u8][bytes]`
 * for DATA; `[channel u8]` for EOF; `[credit u32 BE]` for WINDOW; 8 opaque bytes for
 * PING/PONG. Decoding never throws anything but TunnelProtocolError.
 */

export const TUNNEL_PATH = "/kite/v1/tunnel";
/** WebSocket subprotocol of this frame format; bump the version on incompatible changes. */
export const TUNNEL_SUBPROTOCOL = "tunnel.v1.kite.io";

export const FrameType = {
  /** server → agent: open a stream; JSON StreamRequest. */
  OPEN: 1,
  /** agent → server: the stream is accepted (`{ok:true}`) or refused (`{ok:false,status}`). */
  REPLY: 2,
  /** either way: bytes on a channel, counted against the receiver's window. */
  DATA: 3,
  /** either way: the sender may send this many more DATA bytes on the stream. */
  WINDOW: 4,
  /** either way: no more bytes on this channel (stdin EOF, stdout end). */
  EOF: 5,
  /** agent → server: the stream's outcome (exit code or error); the stream is over. */
  EXIT: 6,
  /** either way: abort the stream; both sides drop it. */
  RESET: 7,
  /** server → agent: terminal size. */
  RESIZE: 8,
  PING: 9,
  PONG: 10,
} as const;
export type FrameTypeValue = (typeof FrameType)[keyof typeof FrameType];

const JSON_TYPES = new Set<number>([FrameType.OPEN, FrameType.REPLY, FrameType.EXIT, FrameType.RESET, FrameType.RESIZE]);

/** Channels inside a stream (the Kubernetes remotecommand numbering). */
export const Channel = { STDIN: 0, STDOUT: 1, STDERR: 2 } as const;

export type Frame =
  | { type: typeof FrameType.OPEN | typeof FrameType.REPLY | typeof FrameType.EXIT | typeof FrameType.RESET | typeof FrameType.RESIZE; stream: number; json: unknown }
  | { type: typeof FrameType.DATA; stream: number; channel: number; data: Uint8Array }
  | { type: typeof FrameType.EOF; stream: number; channel: number }
  | { type: typeof FrameType.WINDOW; stream: number; credit: number }
  | { type: typeof FrameType.PING | typeof FrameType.PONG; stream: 0; nonce: Uint8Array };

/** The peer sent bytes that are not a valid frame (the tunnel is closed). */
export class TunnelProtocolError extends Error {
  override name = "TunnelProtocolError";
}

const HEADER = 5;
const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });

function header(type: number, stream: number, payloadLength: number): Uint8Array {
  const b = new Uint8Array(HEADER + payloadLength);
  b[0] = type;
  new DataView(b.buffer).setUint32(1, stream >>> 0);
  return b;
}

export function encodeJson(type: number, stream: number, value: unknown): Uint8Array {
  if (!JSON_TYPES.has(type)) throw new TypeError(`frame type ${type} does not carry JSON`);
  const p = enc.encode(JSON.stringify(value));
  const b = header(type, stream, p.length);
  b.set(p, HEADER);
  return b;
}

export function encodeData(stream: number, channel: number, data: Uint8Array): Uint8Array {
  const b = header(FrameType.DATA, stream, 1 + data.length);
  b[HEADER] = channel;
  b.set(data, HEADER + 1);
  return b;
}

export function encodeEof(stream: number, channel: number): Uint8Array {
  const b = header(FrameType.EOF, stream, 1);
  b[HEADER] = channel;
  return b;
}

export function encodeWindow(stream: number, credit: number): Uint8Array {
  if (!Number.isInteger(credit) || credit <= 0 || credit > 0xffffffff) throw new RangeError(`bad window credit ${credit}`);
  const b = header(FrameType.WINDOW, stream, 4);
  new DataView(b.buffer).setUint32(HEADER, credit);
  return b;
}

export function encodePing(type: typeof FrameType.PING | typeof FrameType.PONG, nonce: Uint8Array): Uint8Array {
  if (nonce.length !== 8) throw new RangeError("ping nonce must be 8 bytes");
  const b = header(type, 0, 8);
  b.set(nonce, HEADER);
  return b;
}

export function decodeFrame(msg: Uint8Array): Frame {
  if (msg.length < HEADER) throw new TunnelProtocolError(`frame too short (${msg.length} bytes)`);
  const view = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
  const type = msg[0]!;
  const stream = view.getUint32(1);
  const payload = msg.subarray(HEADER);
  switch (type) {
    case FrameType.OPEN:
    case FrameType.REPLY:
    case FrameType.EXIT:
    case FrameType.RESET:
    case FrameType.RESIZE: {
      if (stream === 0) throw new TunnelProtocolError(`frame type ${type} on stream 0`);
      let json: unknown;
      try {
        json = JSON.parse(dec.decode(payload));
      } catch (e) {
        throw new TunnelProtocolError(`frame type ${type}: invalid JSON payload (${(e as Error).message})`);
      }
      return { type, stream, json };
    }
    case FrameType.DATA:
      if (stream === 0) throw new TunnelProtocolError("DATA on stream 0");
      if (payload.length < 1) throw new TunnelProtocolError("DATA without a channel byte");
      return { type, stream, channel: payload[0]!, data: payload.subarray(1) };
    case FrameType.EOF:
      if (stream === 0 || payload.length !== 1) throw new TunnelProtocolError("malformed EOF frame");
      return { type, stream, channel: payload[0]! };
    case FrameType.WINDOW: {
      if (stream === 0 || payload.length !== 4) throw new TunnelProtocolError("malformed WINDOW frame");
      const credit = view.getUint32(HEADER);
      if (credit === 0) throw new TunnelProtocolError("WINDOW frame with zero credit");
      return { type, stream, credit };
    }
    case FrameType.PING:
    case FrameType.PONG:
      if (stream !== 0 || payload.length !== 8) throw new TunnelProtocolError("malformed PING/PONG frame");
      return { type, stream: 0, nonce: payload.slice() };
    default:
      throw new TunnelProtocolError(`unknown frame type ${type}`);
  }
}
