import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { ClusterCA } from "./ca.ts";
import {
  caHash,
  caHashMatches,
  constantTimeEqual,
  formatJoinToken,
  hashToken,
  parseJoinToken,
  randomBearerToken,
  randomSecret,
  tokenMatchesHash,
} from "./token.ts";
import { InvalidOptionError, JoinTokenFormatError } from "./errors.ts";

const HASH = "a".repeat(64);

describe("join tokens", () => {
  test("format is K10<sha256 of the stored CA PEM>::server:<secret> and parses back", async () => {
    const ca = await ClusterCA.create();
    const secret = randomSecret();
    const token = formatJoinToken(ca.certPem, secret);
    const expectedHash = createHash("sha256").update(Buffer.from(ca.certPem, "utf8")).digest("hex");
    expect(token).toBe(`K10${expectedHash}::server:${secret}`);
    expect(parseJoinToken(token)).toEqual({ caHash: expectedHash, username: "server", password: secret });
    expect(parseJoinToken(`  ${token}\n`)).toEqual(parseJoinToken(token));
    expect(caHashMatches(ca.certPem, token)).toBe(true);
    expect(formatJoinToken(ca.certPem, secret, "node")).toBe(`K10${expectedHash}::node:${secret}`);
  });

  test("the hash is of the bytes as stored: any change to the PEM text breaks the match", async () => {
    const ca = await ClusterCA.create();
    const token = formatJoinToken(ca.certPem, "s3cret");
    expect(caHashMatches(ca.certPem.trimEnd(), token)).toBe(false);
    expect(caHashMatches((await ClusterCA.create()).certPem, token)).toBe(false);
    expect(caHash(new TextEncoder().encode(ca.certPem))).toBe(caHash(ca.certPem));
  });

  test("short tokens are the whole password and pin nothing", () => {
    expect(parseJoinToken("mysecret")).toEqual({ caHash: null, username: "", password: "mysecret" });
    expect(parseJoinToken("user:pass")).toEqual({ caHash: null, username: "", password: "user:pass" });
    expect(caHashMatches("anything", "mysecret")).toBe(false);
  });

  test("K10 tokens with an empty hash or colons in the password", () => {
    expect(parseJoinToken("K10::server:abc")).toEqual({ caHash: null, username: "server", password: "abc" });
    expect(parseJoinToken(`K10${HASH.toUpperCase()}::node:a:b::c`)).toEqual({ caHash: HASH, username: "node", password: "a:b::c" });
    expect(parseJoinToken(`K10${HASH}:::pw`)).toEqual({ caHash: HASH, username: "", password: "pw" });
  });

  test.each([
    ["", "empty"],
    ["   \n", "blank"],
    ["K10abc", "no ::"],
    [`K10${"a".repeat(63)}::server:x`, "short hash"],
    [`K10${"g".repeat(64)}::server:x`, "non-hex hash"],
    [`K10${HASH}::server:`, "empty password"],
    [`K10${HASH}::nopassword`, "no colon"],
    ["two words", "inner whitespace"],
  ])("rejects %p (%s) with JoinTokenFormatError", (input) => {
    expect(() => parseJoinToken(input)).toThrow(JoinTokenFormatError);
  });

  test("formatJoinToken refuses unusable secrets and usernames", () => {
    expect(() => formatJoinToken("ca", "")).toThrow(InvalidOptionError);
    expect(() => formatJoinToken("ca", "has space")).toThrow(InvalidOptionError);
    expect(() => formatJoinToken("ca", "x", "a:b")).toThrow(InvalidOptionError);
  });
});

describe("random credentials", () => {
  test("secrets and bearer tokens are random, of the documented shape", () => {
    const secrets = new Set(Array.from({ length: 50 }, randomSecret));
    expect(secrets.size).toBe(50);
    for (const s of secrets) expect(s).toMatch(/^[0-9a-f]{32}$/);
    const tokens = new Set(Array.from({ length: 50 }, randomBearerToken));
    expect(tokens.size).toBe(50);
    for (const t of tokens) expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  test("the server keeps only hashes and still recognises the token", () => {
    const t = randomBearerToken();
    const h = hashToken(t);
    expect(h).toBe(createHash("sha256").update(t).digest("hex"));
    expect(tokenMatchesHash(t, h)).toBe(true);
    expect(tokenMatchesHash(t, h.toUpperCase())).toBe(true);
    expect(tokenMatchesHash(t + "x", h)).toBe(false);
    expect(tokenMatchesHash(randomBearerToken(), h)).toBe(false);
    expect(constantTimeEqual("abc", "abcd")).toBe(false);
  });
});
