import { describe, expect, test } from "bun:test";
import zlib from "node:zlib";
import { SPDY3_DICTIONARY } from "./dictionary.ts";
import { encodeHeaderBlock, SpdyFrameParser, SpdyFrameWriter, SpdyProtocolError } from "./frames.ts";
import { adler32, InflateError, StoredDeflater, ZlibInflater } from "./inflate.ts";
import { type ByteTransport, SpdySession, type SpdyStream } from "./session.ts";

/** Real zlib, used the way Go's SPDY framer does: one stream, a sync flush after each block. */
async function realDeflateBlocks(blocks: Uint8Array[], dictionary?: Uint8Array, level = 9): Promise<Uint8Array[]> {
  const d = zlib.createDeflate({ dictionary, level });
  const out: Uint8Array[] = [];
  let cur: Buffer[] = [];
  d.on("data", (c: Buffer) => cur.push(c));
  for (const b of blocks) {
    d.write(b);
    await new Promise<void>((r) => d.flush(zlib.constants.Z_SYNC_FLUSH, () => r()));
    await Bun.sleep(1);
    out.push(new Uint8Array(Buffer.concat(cur)));
    cur = [];
  }
  d.end();
  return out;
}

const enc = new TextEncoder();

describe("SPDY dictionary", () => {
  test("is the SPDY/3 dictionary", () => {
    expect(SPDY3_DICTIONARY.length).toBe(1423);
    expect(new TextDecoder().decode(SPDY3_DICTIONARY.subarray(4, 11))).toBe("options");
    expect(new TextDecoder().decode(SPDY3_DICTIONARY.subarray(-8))).toBe("*,enq=0.");
    // The id kubectl 1.27-1.33 put in their zlib header (seen on the wire).
    expect(adler32(SPDY3_DICTIONARY).toString(16)).toBe("e3c6a7c2");
  });
});

describe("ZlibInflater", () => {
  test("decodes real zlib output block by block, with a dictionary, across many blocks", async () => {
    const blocks: Uint8Array[] = [];
    for (let i = 0; i < 40; i++) {
      const h: Record<string, string> = { streamtype: ["error", "data", "stdin", "stdout"][i % 4]!, port: String(8000 + i), requestid: String(i) };
      if (i % 7 === 0) h["x-filler"] = "accept-encoding gzip deflate ".repeat(i + 1);
      blocks.push(encodeHeaderBlock(h));
    }
    // Random bytes force literal-heavy and stored blocks too.
    blocks.push(crypto.getRandomValues(new Uint8Array(70000)));
    for (const level of [1, 6, 9]) {
      const compressed = await realDeflateBlocks(blocks, SPDY3_DICTIONARY, level);
      const inf = new ZlibInflater(SPDY3_DICTIONARY);
      for (let i = 0; i < blocks.length; i++) expect(inf.push(compressed[i]!)).toEqual(blocks[i]!);
    }
  });

  test("a block split across pushes is decoded once complete", async () => {
    const text = enc.encode("hello hello hello hello, spdy headers ".repeat(50));
    const [c] = await realDeflateBlocks([text]);
    const inf = new ZlibInflater();
    const parts: Uint8Array[] = [];
    for (let i = 0; i < c!.length; i += 3) parts.push(inf.push(c!.subarray(i, i + 3)));
    expect(new TextDecoder().decode(Buffer.concat(parts))).toBe(new TextDecoder().decode(text));
  });

  test("a wrong dictionary and corrupt data are InflateErrors", async () => {
    const [c] = await realDeflateBlocks([enc.encode("x")], enc.encode("another dictionary"));
    expect(() => new ZlibInflater(SPDY3_DICTIONARY).push(c!)).toThrow(InflateError);
    expect(() => new ZlibInflater().push(new Uint8Array([0x78, 0x9c, 0xff, 0xff, 0xff]))).toThrow(InflateError);
    for (let i = 0; i < 300; i++) {
      const junk = crypto.getRandomValues(new Uint8Array(40));
      junk[0] = 0x78;
      junk[1] = 0x9c;
      try {
        new ZlibInflater().push(junk);
      } catch (e) {
        expect(e).toBeInstanceOf(InflateError);
      }
    }
  });

  test("StoredDeflater output is valid zlib with the dictionary id (real zlib decodes it)", () => {
    const d = new StoredDeflater(SPDY3_DICTIONARY);
    const a = encodeHeaderBlock({ ":status": "200" });
    const b = crypto.getRandomValues(new Uint8Array(70000));
    const stream = Buffer.concat([d.push(a), d.push(b), d.push(new Uint8Array(0))]);
    const out = zlib.inflateSync(stream, { dictionary: Buffer.from(SPDY3_DICTIONARY), finishFlush: zlib.constants.Z_SYNC_FLUSH });
    expect(new Uint8Array(out)).toEqual(new Uint8Array(Buffer.concat([a, b])));
    // And our own inflater reads it back block by block.
    const d2 = new StoredDeflater(SPDY3_DICTIONARY);
    const inf = new ZlibInflater(SPDY3_DICTIONARY);
    expect(inf.push(d2.push(a))).toEqual(a);
    expect(inf.push(d2.push(b))).toEqual(b);
  });
});

describe("SPDY frames", () => {
  test("parse what the writer wrote, split at every byte", () => {
    const w = new SpdyFrameWriter();
    const bytes = Buffer.concat([w.synStream(1, { streamtype: "error", port: ["80"] }), w.data(1, enc.encode("hi")), w.data(1, new Uint8Array(0), true), w.ping(7), w.rstStream(3, 5), w.goaway(1)]);
    const p = new SpdyFrameParser();
    const frames = [];
    for (let i = 0; i < bytes.length; i++) frames.push(...p.push(bytes.subarray(i, i + 1)));
    expect(frames.map((f) => f.kind)).toEqual(["syn_stream", "data", "data", "ping", "rst_stream", "goaway"]);
    expect(frames[0]).toMatchObject({ streamId: 1, headers: { streamtype: ["error"], port: ["80"] } });
    expect(frames[2]).toMatchObject({ fin: true });
    expect(frames[3]).toMatchObject({ id: 7 });
  });

  test("other SPDY versions and bad header blocks are protocol errors", () => {
    const bad = new Uint8Array([0x80, 0x02, 0x00, 0x01, 0, 0, 0, 0]);
    expect(() => new SpdyFrameParser().push(bad)).toThrow(SpdyProtocolError);
    const junkHeaders = new Uint8Array([0x80, 0x03, 0x00, 0x01, 0, 0, 0, 14, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x78, 0x9c, 0xff, 0xff, 0xff, 0xff]);
    expect(() => new SpdyFrameParser().push(junkHeaders)).toThrow(SpdyProtocolError);
  });
});

describe("SpdySession", () => {
  function harness() {
    const out: Uint8Array[] = [];
    let closed = false;
    const t: ByteTransport = { write: (b) => out.push(b.slice()), buffered: () => 0, close: () => (closed = true) };
    const streams: SpdyStream[] = [];
    const s = new SpdySession(t, { onStream: (st) => streams.push(st) });
    const client = new SpdyFrameWriter();
    const reader = new SpdyFrameParser();
    const read = () => reader.push(Buffer.concat(out.splice(0)));
    return { s, streams, client, read, isClosed: () => closed };
  }

  test("replies to SYN_STREAM, relays data and FIN, echoes client pings", () => {
    const h = harness();
    h.s.receive(h.client.synStream(1, { streamtype: "stdin" }));
    h.s.receive(h.client.synStream(3, { streamtype: "stdout" }));
    expect(h.streams.map((x) => x.header("streamtype"))).toEqual(["stdin", "stdout"]);
    expect(h.read().map((f) => [f.kind, (f as { streamId: number }).streamId])).toEqual([
      ["syn_reply", 1],
      ["syn_reply", 3],
    ]);
    const got: string[] = [];
    h.streams[0]!.setHandlers({ data: (b) => got.push(new TextDecoder().decode(b)), end: () => got.push("EOF") });
    h.s.receive(Buffer.concat([h.client.data(1, enc.encode("abc")), h.client.data(1, new Uint8Array(0), true)]));
    expect(got).toEqual(["abc", "EOF"]);
    h.streams[1]!.write(enc.encode("out"));
    h.streams[1]!.end();
    h.s.receive(h.client.ping(5));
    expect(h.read()).toEqual([
      { kind: "data", streamId: 3, fin: false, data: enc.encode("out") },
      { kind: "data", streamId: 3, fin: true, data: new Uint8Array(0) },
      { kind: "ping", id: 5 },
    ]);
  });

  test("RST_STREAM resets the stream; GOAWAY and garbage close the connection", () => {
    const h = harness();
    h.s.receive(h.client.synStream(1, { streamtype: "data" }));
    const resets: string[] = [];
    h.streams[0]!.setHandlers({ reset: (r) => resets.push(r) });
    h.s.receive(h.client.rstStream(1, 5));
    expect(resets[0]).toContain("reset by client");
    h.s.receive(new Uint8Array([0x80, 0x09, 0, 1, 0, 0, 0, 0]));
    expect(h.s.isClosed).toBe(true);
    expect(h.isClosed()).toBe(true);
  });

  test("an even or reused stream id is refused", () => {
    const h = harness();
    h.s.receive(h.client.synStream(2, { streamtype: "data" }));
    expect(h.streams.length).toBe(0);
    expect(h.read()).toEqual([{ kind: "rst_stream", streamId: 2, status: 1 }]);
  });
});
