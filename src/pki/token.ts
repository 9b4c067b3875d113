/**
 * @module pki/token
 * Join tokens in k3s's format and random credentials.
 *
 * Secure token: `K10<sha256 hex of the CA PEM as stored>::<username>:<password>`
 * (the server's token uses username "server"). A joining node checks the
 * server's CA against the hash before it sends the password. A short token is
 * just the password: it cannot pin the CA (only acceptable for the first
 * server, which has no CA yet). Parsing follows k3s's pkg/clientaccess: a
 * string that does not start with K10 is a short token, whole.
 *
 * Node credentials are random bearer tokens; the server stores only their
 * SHA-256 (hashToken) and compares in constant time (tokenMatchesHash).
 */

import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { InvalidOptionError, JoinTokenFormatError } from "./errors.ts";

export const TOKEN_PREFIX = "K10";
export const SERVER_USERNAME = "server";
/** k3s's agent tokens use this username. */
export const NODE_USERNAME = "node";

export interface JoinToken {
  /** Lower-case hex SHA-256 of the cluster CA PEM; null for a short token. */
  caHash: string | null;
  /** "server", "node", or "" for a short token. */
  username: string;
  /** The secret the server checks. */
  password: string;
}

/** The CA hash used in join tokens: SHA-256 of the CA PEM exactly as stored (and served at /cacerts). */
export function caHash(caPem: string | Uint8Array): string {
  return createHash("sha256").update(caPem).digest("hex");
}

function checkSecretText(what: string, v: string): void {
  if (v.length === 0) throw new InvalidOptionError(`${what} must not be empty`);
  if (/[\s\x00-\x1f\x7f]/.test(v)) throw new InvalidOptionError(`${what} must not contain whitespace or control characters`);
}

/** `K10<hash>::<username>:<secret>`; the server's own token uses username "server". */
export function formatJoinToken(caPem: string, secret: string, username: string = SERVER_USERNAME): string {
  checkSecretText("join token secret", secret);
  if (username.includes(":") || /[\s\x00-\x1f\x7f]/.test(username)) {
    throw new InvalidOptionError(`join token username ${JSON.stringify(username)} must not contain ':' or whitespace`);
  }
  return `${TOKEN_PREFIX}${caHash(caPem)}::${username}:${secret}`;
}

/** Parses a secure (K10...) or short token. Surrounding whitespace (a file's newline) is ignored. */
export function parseJoinToken(input: string): JoinToken {
  const s = input.trim();
  if (s.length === 0) throw new JoinTokenFormatError("token is empty");
  if (/[\s\x00-\x1f\x7f]/.test(s)) throw new JoinTokenFormatError("token contains whitespace or control characters");
  if (!s.startsWith(TOKEN_PREFIX)) return { caHash: null, username: "", password: s };

  const rest = s.slice(TOKEN_PREFIX.length);
  const sep = rest.indexOf("::");
  if (sep < 0) throw new JoinTokenFormatError(`a ${TOKEN_PREFIX} token needs "::" between the CA hash and the credentials`);
  const hash = rest.slice(0, sep);
  if (hash.length > 0 && !/^[0-9a-fA-F]{64}$/.test(hash)) {
    throw new JoinTokenFormatError(`the CA hash must be 64 hex characters (SHA-256), got ${hash.length} characters`);
  }
  const creds = rest.slice(sep + 2);
  const colon = creds.indexOf(":");
  if (colon < 0 || colon === creds.length - 1) {
    throw new JoinTokenFormatError('credentials must be "<username>:<password>" with a non-empty password');
  }
  return {
    caHash: hash.length > 0 ? hash.toLowerCase() : null,
    username: creds.slice(0, colon),
    password: creds.slice(colon + 1),
  };
}

/**
 * True when the token carries a CA hash equal to the hash of `caPem`.
 * A short token (no hash) never matches: it pins nothing.
 */
export function caHashMatches(caPem: string | Uint8Array, token: string | JoinToken): boolean {
  const t = typeof token === "string" ? parseJoinToken(token) : token;
  if (t.caHash === null) return false;
  return constantTimeEqual(caHash(caPem), t.caHash);
}

/** A join secret like k3s's: 16 random bytes as 32 hex characters. */
export function randomSecret(): string {
  return randomBytes(16).toString("hex");
}

/** A node or admin bearer token: 32 random bytes, base64url (43 characters). */
export function randomBearerToken(): string {
  return randomBytes(32).toString("base64url");
}

/** What the server stores instead of a bearer token: its SHA-256, hex. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** Checks a presented bearer token against a stored hash in constant time. */
export function tokenMatchesHash(token: string, storedHash: string): boolean {
  return constantTimeEqual(hashToken(token), storedHash.toLowerCase());
}

/** Constant-time string comparison (length is not secret). */
export function constantTimeEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a, "utf8");
  const bb = Buffer.from(b, "utf8");
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}
