/**
 * @module api/streaming/spdy/inflate
 * A streaming zlib (RFC 1950/1951) decoder for SPDY header blocks. SPDY compresses every
 * header block of a connection with ONE zlib stream primed with a preset dictionary, each
 * block ending in a sync flush; so the decoder keeps its 32 KiB window across push() calls
 * and decodes whole deflate blocks (a block split across pushes waits for the rest).
 * Written here because no synchronous, stateful inflater with a dictionary is available
 * (node:zlib streams are asynchronous). Puff-style canonical Huffman decoding: simple,
 * and header blocks are small. Errors are InflateError.
 */

export class InflateError extends Error {
  override name = "InflateError";
}

class NeedInput extends Error {}

const WINDOW = 32768;
const LBASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LEXT = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DBASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
const DEXT = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
const CL_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

interface Huffman {
  count: Uint16Array;
  symbol: Uint16Array;
}

/** Canonical Huffman table from code lengths; rejects over-subscribed sets. */
function buildHuffman(lengths: ArrayLike<number>, n: number): Huffman {
  const count = new Uint16Array(16);
  const symbol = new Uint16Array(n);
  for (let s = 0; s < n; s++) count[lengths[s]!]!++;
  if (count[0] === n) return { count, symbol }; // no codes: only an error if used
  let left = 1;
  for (let len = 1; len < 16; len++) {
    left <<= 1;
    left -= count[len]!;
    if (left < 0) throw new InflateError("over-subscribed Huffman code");
  }
  const offs = new Uint16Array(16);
  for (let len = 1; len < 15; len++) offs[len + 1] = offs[len]! + count[len]!;
  for (let s = 0; s < n; s++) if (lengths[s] !== 0) symbol[offs[lengths[s]!]!++] = s;
  return { count, symbol };
}

const FIXED = (() => {
  const l = new Uint8Array(288);
  l.fill(8, 0, 144);
  l.fill(9, 144, 256);
  l.fill(7, 256, 280);
  l.fill(8, 280, 288);
  const d = new Uint8Array(30).fill(5);
  return { lit: buildHuffman(l, 288), dist: buildHuffman(d, 30) };
})();

/** adler32 (RFC 1950), for the dictionary id. */
export function adler32(data: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (let i = 0; i < data.length; ) {
    const end = Math.min(data.length, i + 5552);
    for (; i < end; i++) {
      a += data[i]!;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** Decodes one zlib stream fed in pieces; output of each push() is whatever whole blocks decoded. */
export class ZlibInflater {
  private input = new Uint8Array(0);
  private pos = 0;
  private bitBuf = 0;
  private bitCnt = 0;
  /** History (≤ 32 KiB, starting with the dictionary) followed by this push's output. */
  private hist: Uint8Array;
  private histLen: number;
  private outStart = 0;
  private headerDone = false;
  private finished = false;

  constructor(private readonly dictionary?: Uint8Array) {
    this.hist = new Uint8Array(WINDOW * 2);
    const d = dictionary ? dictionary.subarray(Math.max(0, dictionary.length - WINDOW)) : new Uint8Array(0);
    this.hist.set(d);
    this.histLen = d.length;
  }

  push(chunk: Uint8Array): Uint8Array {
    if (this.finished) {
      if (chunk.length) throw new InflateError("data after the end of the zlib stream");
      return new Uint8Array(0);
    }
    const rest = this.input.subarray(this.pos);
    const buf = new Uint8Array(rest.length + chunk.length);
    buf.set(rest);
    buf.set(chunk, rest.length);
    this.input = buf;
    this.pos = 0;
    this.outStart = this.histLen;
    if (!this.headerDone) {
      if (this.input.length < 2) return new Uint8Array(0);
      const cmf = this.input[0]!;
      const flg = this.input[1]!;
      if ((cmf & 0x0f) !== 8 || cmf >> 4 > 7) throw new InflateError("not a deflate zlib stream");
      if (((cmf << 8) | flg) % 31 !== 0) throw new InflateError("bad zlib header check");
      let need = 2;
      if (flg & 0x20) {
        need = 6;
        if (this.input.length < 6) return new Uint8Array(0);
        const id = new DataView(this.input.buffer, this.input.byteOffset).getUint32(2);
        if (!this.dictionary) throw new InflateError("the stream needs a preset dictionary");
        if (id !== adler32(this.dictionary)) throw new InflateError("the stream was compressed with another dictionary");
      }
      this.pos = need;
      this.headerDone = true;
    }
    for (;;) {
      const save = { pos: this.pos, bitBuf: this.bitBuf, bitCnt: this.bitCnt, histLen: this.histLen };
      if (this.pos >= this.input.length && this.bitCnt === 0) break;
      try {
        const last = this.block();
        if (last) {
          this.finished = true;
          break;
        }
      } catch (e) {
        if (!(e instanceof NeedInput)) throw e;
        Object.assign(this, save); // wait for the rest of this block
        break;
      }
    }
    const out = this.hist.slice(this.outStart, this.histLen);
    this.trim();
    return out;
  }

  private trim(): void {
    if (this.histLen <= WINDOW) return;
    this.hist.copyWithin(0, this.histLen - WINDOW, this.histLen);
    this.histLen = WINDOW;
  }

  private emit(byte: number): void {
    if (this.histLen === this.hist.length) {
      const bigger = new Uint8Array(this.hist.length * 2);
      bigger.set(this.hist);
      this.hist = bigger;
    }
    this.hist[this.histLen++] = byte;
  }

  private bits(need: number): number {
    let val = this.bitBuf;
    while (this.bitCnt < need) {
      if (this.pos >= this.input.length) throw new NeedInput();
      val |= this.input[this.pos++]! << this.bitCnt;
      this.bitCnt += 8;
    }
    this.bitBuf = val >>> need;
    this.bitCnt -= need;
    return val & ((1 << need) - 1);
  }

  private decodeSym(h: Huffman): number {
    let code = 0;
    let first = 0;
    let index = 0;
    for (let len = 1; len < 16; len++) {
      code |= this.bits(1);
      const count = h.count[len]!;
      if (code - count < first) return h.symbol[index + (code - first)]!;
      index += count;
      first += count;
      first <<= 1;
      code <<= 1;
    }
    throw new InflateError("invalid Huffman code");
  }

  /** Decodes one block; true when it was the final one. */
  private block(): boolean {
    const last = this.bits(1) === 1;
    const type = this.bits(2);
    if (type === 0) this.stored();
    else if (type === 1) this.codes(FIXED.lit, FIXED.dist);
    else if (type === 2) this.dynamic();
    else throw new InflateError("invalid block type 3");
    return last;
  }

  private stored(): void {
    this.bitBuf = 0;
    this.bitCnt = 0;
    if (this.pos + 4 > this.input.length) throw new NeedInput();
    const len = this.input[this.pos]! | (this.input[this.pos + 1]! << 8);
    const nlen = this.input[this.pos + 2]! | (this.input[this.pos + 3]! << 8);
    if (len !== (~nlen & 0xffff)) throw new InflateError("stored block length check failed");
    this.pos += 4;
    if (this.pos + len > this.input.length) throw new NeedInput();
    for (let i = 0; i < len; i++) this.emit(this.input[this.pos + i]!);
    this.pos += len;
  }

  private dynamic(): void {
    const nlen = this.bits(5) + 257;
    const ndist = this.bits(5) + 1;
    const ncode = this.bits(4) + 4;
    if (nlen > 286 || ndist > 30) throw new InflateError("bad dynamic block counts");
    const lengths = new Uint8Array(320);
    for (let i = 0; i < ncode; i++) lengths[CL_ORDER[i]!] = this.bits(3);
    const lencode = buildHuffman(lengths, 19);
    let index = 0;
    const all = new Uint8Array(nlen + ndist);
    while (index < nlen + ndist) {
      const sym = this.decodeSym(lencode);
      if (sym < 16) {
        all[index++] = sym;
        continue;
      }
      let len = 0;
      let rep: number;
      if (sym === 16) {
        if (index === 0) throw new InflateError("repeat with no previous length");
        len = all[index - 1]!;
        rep = 3 + this.bits(2);
      } else if (sym === 17) rep = 3 + this.bits(3);
      else rep = 11 + this.bits(7);
      if (index + rep > nlen + ndist) throw new InflateError("too many code lengths");
      while (rep--) all[index++] = len;
    }
    if (all[256] === 0) throw new InflateError("no end-of-block code");
    this.codes(buildHuffman(all.subarray(0, nlen), nlen), buildHuffman(all.subarray(nlen), ndist));
  }

  private codes(lit: Huffman, dist: Huffman): void {
    for (;;) {
      const sym = this.decodeSym(lit);
      if (sym < 256) {
        this.emit(sym);
        continue;
      }
      if (sym === 256) return;
      const li = sym - 257;
      if (li >= 29) throw new InflateError("invalid length symbol");
      const len = LBASE[li]! + this.bits(LEXT[li]!);
      const ds = this.decodeSym(dist);
      if (ds >= 30) throw new InflateError("invalid distance symbol");
      const d = DBASE[ds]! + this.bits(DEXT[ds]!);
      if (d > this.histLen) throw new InflateError("distance too far back");
      for (let i = 0; i < len; i++) this.emit(this.hist[this.histLen - d]!);
    }
  }
}

function storedBlock(chunk: Uint8Array): Uint8Array {
  const n = chunk.length;
  const b = new Uint8Array(5 + n);
  b[0] = 0x00; // BFINAL 0, BTYPE 00 (stored)
  b[1] = n & 0xff;
  b[2] = n >> 8;
  b[3] = ~n & 0xff;
  b[4] = (~n >> 8) & 0xff;
  b.set(chunk, 5);
  return b;
}

/**
 * The compressing side, for header blocks we send: a valid zlib stream (with the
 * dictionary id) made only of stored blocks, so it needs no compressor state beyond
 * "header written"; each push ends with a sync-flush marker like zlib's Z_SYNC_FLUSH.
 * Any RFC 1950 reader (Go's compress/zlib included) decodes it.
 */
export class StoredDeflater {
  private started = false;
  constructor(private readonly dictionary?: Uint8Array) {}

  push(data: Uint8Array): Uint8Array {
    const parts: Uint8Array[] = [];
    if (!this.started) {
      this.started = true;
      if (this.dictionary) {
        const h = new Uint8Array(6);
        h[0] = 0x78;
        h[1] = 0x20; // FDICT; FLEVEL 0; (0x7820 % 31 === 0)
        new DataView(h.buffer).setUint32(2, adler32(this.dictionary));
        parts.push(h);
      } else parts.push(new Uint8Array([0x78, 0x01]));
    }
    for (let off = 0; off < data.length; ) {
      const n = Math.min(0xffff, data.length - off);
      parts.push(storedBlock(data.subarray(off, off + n)));
      off += n;
    }
    // End like a zlib sync flush, with an empty stored block: Go's flate reader returns the
    // block's bytes only when it reaches the next block header, so without this marker it
    // would read past the frame and fail every later header block.
    parts.push(storedBlock(new Uint8Array(0)));
    const total = parts.reduce((s, p) => s + p.length, 0);
    const out = new Uint8Array(total);
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}
