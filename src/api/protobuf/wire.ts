/**
 * @module api/protobuf/wire
 * Protobuf wire-format reading: tags, varints (64-bit two's complement through BigInt when they
 * exceed 2^53), fixed64 and length-delimited slices, with typed errors carrying the byte offset.
 */

export type ProtobufErrorCode = "BadMagic" | "Truncated" | "WireType" | "UnknownKind" | "ContentEncoding" | "Invalid";

export class ProtobufDecodeError extends Error {
  constructor(readonly code: ProtobufErrorCode, message: string, readonly offset?: number) {
    super(offset === undefined ? message : `${message} (at byte ${offset})`);
    this.name = "ProtobufDecodeError";
  }
}

export const WIRE = { VARINT: 0, FIXED64: 1, BYTES: 2, START_GROUP: 3, END_GROUP: 4, FIXED32: 5 } as const;

/** One field occurrence read from a message. */
export interface RawField {
  num: number;
  wire: number;
  /** varint value (as bigint, unsigned 64-bit) for VARINT. */
  varint?: bigint;
  /** payload for BYTES, FIXED64 (8 bytes) and FIXED32 (4 bytes). */
  bytes?: Uint8Array;
  offset: number;
  /** Absolute offset of `bytes`. */
  dataOffset: number;
}

export class Reader {
  pos: number;
  constructor(readonly buf: Uint8Array, start = 0, readonly end = buf.length, readonly base = 0) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** Absolute offset in the outermost buffer, for error messages. */
  at(): number {
    return this.base + this.pos;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    const start = this.at();
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtobufDecodeError("Truncated", "truncated varint", start);
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return BigInt.asUintN(64, result);
      shift += 7n;
    }
    throw new ProtobufDecodeError("Invalid", "varint longer than 10 bytes", start);
  }

  /** A varint that must fit a small non-negative number (tags, lengths). */
  smallVarint(): number {
    const start = this.at();
    const v = this.varint();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ProtobufDecodeError("Invalid", "length or tag too large", start);
    return Number(v);
  }

  take(n: number): Uint8Array {
    if (n < 0 || this.pos + n > this.end) throw new ProtobufDecodeError("Truncated", `truncated field: need ${n} bytes, ${this.end - this.pos} left`, this.at());
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Reads the next field occurrence. */
  field(): RawField {
    const offset = this.at();
    const key = this.smallVarint();
    const num = Math.floor(key / 8);
    const wire = key % 8;
    if (num === 0) throw new ProtobufDecodeError("Invalid", "field number 0", offset);
    switch (wire) {
      case WIRE.VARINT: return { num, wire, varint: this.varint(), offset, dataOffset: offset };
      case WIRE.FIXED64: { const dataOffset = this.at(); return { num, wire, bytes: this.take(8), offset, dataOffset }; }
      case WIRE.BYTES: { const n = this.smallVarint(); const dataOffset = this.at(); return { num, wire, bytes: this.take(n), offset, dataOffset }; }
      case WIRE.FIXED32: { const dataOffset = this.at(); return { num, wire, bytes: this.take(4), offset, dataOffset }; }
      default: throw new ProtobufDecodeError("WireType", `unsupported wire type ${wire} for field ${num}`, offset);
    }
  }
}

/** All field occurrences of a message, in order. */
export function readFields(buf: Uint8Array, base = 0): RawField[] {
  const r = new Reader(buf, 0, buf.length, base);
  const out: RawField[] = [];
  while (!r.done) out.push(r.field());
  return out;
}

export function toInt64(v: bigint): number {
  return Number(BigInt.asIntN(64, v));
}

export function toInt32(v: bigint): number {
  return Number(BigInt.asIntN(32, v));
}

export function toUint(v: bigint, bits: 32 | 64): number {
  return Number(BigInt.asUintN(bits, v));
}
