/**
 * @module pki/jwt
 * ServiceAccount tokens: ES256 JWTs (WebCrypto, no JWT library) with the
 * claims upstream's TokenRequest issues, signed with `<tlsDir>/service-account.key`
 * (PKCS#8 P-256, 0600, generated on first use).
 *
 * Verification accepts only ES256 with this key, checks issuer, audience,
 * exp and nbf (60 s leeway, like go-jose's default that upstream uses), and
 * fails with a ServiceAccountTokenError subclass (the API server answers 401).
 * Clocks are injected (`now`) so tests are exact.
 */

import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { generateKeyPair, keyPairFromPem, privateKeyToPem } from "./keys.ts";
import { readFileIfExists, writeFileAtomic } from "./files.ts";
import {
  InvalidOptionError,
  TokenAudienceError,
  TokenExpiredError,
  TokenIssuerError,
  TokenMalformedError,
  TokenNotYetValidError,
  TokenSignatureError,
} from "./errors.ts";

export const SERVICE_ACCOUNT_KEY_FILE = "service-account.key";
export const DEFAULT_ISSUER = "https://kubernetes.default.svc.cluster.local";
export const DEFAULT_EXPIRATION_SECONDS = 3600;
/** TokenRequest's lower bound (10 minutes). */
export const MIN_EXPIRATION_SECONDS = 600;
/** TokenRequest's upper bound (2^32 seconds). */
export const MAX_EXPIRATION_SECONDS = 2 ** 32;
export const DEFAULT_LEEWAY_SECONDS = 60;
const MAX_TOKEN_LENGTH = 16 * 1024;
const SIGN_ALG = { name: "ECDSA", hash: "SHA-256" } as const;

export interface ServiceAccountKey {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** JWT `kid`: base64url SHA-256 of the public key's DER, as upstream computes it. */
  keyId: string;
  issuer: string;
}

export interface ObjectRef {
  name: string;
  uid: string;
}

export interface ServiceAccountTokenRequest {
  namespace: string;
  serviceAccount: ObjectRef;
  /** Default: the issuer (the API server's own audience). */
  audiences?: string[];
  /** Binds the token to a pod (projected volume tokens). */
  pod?: ObjectRef;
  /** Node the bound pod runs on. */
  node?: ObjectRef;
}

export interface ServiceAccountClaims {
  aud: string[];
  exp: number;
  iat: number;
  iss: string;
  jti: string;
  "kubernetes.io": {
    namespace: string;
    serviceaccount: ObjectRef;
    pod?: ObjectRef;
    node?: ObjectRef;
  };
  nbf: number;
  sub: string;
}

export interface SignOptions {
  now?: Date;
  expirationSeconds?: number;
}

export interface VerifyOptions {
  now?: Date;
  /** Accepted audiences; the token must name at least one. Default: [issuer]. */
  audiences?: string[];
  leewaySeconds?: number;
}

export interface SignedToken {
  token: string;
  claims: ServiceAccountClaims;
  expirationTimestamp: Date;
}

const enc = new TextEncoder();
const b64url = (data: Uint8Array | string) => Buffer.from(typeof data === "string" ? enc.encode(data) : data).toString("base64url");

async function keyIdOf(publicKey: CryptoKey): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await crypto.subtle.exportKey("spki", publicKey));
  return b64url(new Uint8Array(digest));
}

export async function serviceAccountKeyFromPem(pem: string, opts: { issuer?: string } = {}): Promise<ServiceAccountKey> {
  const { privateKey, publicKey } = await keyPairFromPem(pem, "service account key");
  return { privateKey, publicKey, keyId: await keyIdOf(publicKey), issuer: opts.issuer ?? DEFAULT_ISSUER };
}

/** Loads `<tlsDir>/service-account.key`, generating it (0600) if missing. */
export async function loadOrCreateServiceAccountKey(tlsDir: string, opts: { issuer?: string } = {}): Promise<ServiceAccountKey> {
  const path = join(tlsDir, SERVICE_ACCOUNT_KEY_FILE);
  let pem = await readFileIfExists(path);
  if (pem === null) {
    pem = await privateKeyToPem((await generateKeyPair()).privateKey);
    await writeFileAtomic(path, pem, 0o600);
  }
  return serviceAccountKeyFromPem(pem, opts);
}

function checkRef(what: string, ref: ObjectRef | undefined): void {
  if (ref === undefined) return;
  if (typeof ref.name !== "string" || ref.name.length === 0 || typeof ref.uid !== "string" || ref.uid.length === 0) {
    throw new InvalidOptionError(`${what} needs a non-empty name and uid`);
  }
}

/** Issues a token like upstream's TokenRequest. */
export async function signServiceAccountToken(
  key: ServiceAccountKey,
  req: ServiceAccountTokenRequest,
  opts: SignOptions = {},
): Promise<SignedToken> {
  if (!req.namespace) throw new InvalidOptionError("namespace must not be empty");
  checkRef("serviceAccount", req.serviceAccount);
  checkRef("pod", req.pod);
  checkRef("node", req.node);
  const audiences = req.audiences ?? [key.issuer];
  if (audiences.length === 0 || audiences.some((a) => typeof a !== "string" || a.length === 0)) {
    throw new InvalidOptionError("audiences must be non-empty strings");
  }
  const ttl = opts.expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS;
  if (!Number.isInteger(ttl) || ttl < MIN_EXPIRATION_SECONDS || ttl > MAX_EXPIRATION_SECONDS) {
    throw new InvalidOptionError(`expirationSeconds must be an integer from ${MIN_EXPIRATION_SECONDS} to ${MAX_EXPIRATION_SECONDS}, got ${ttl}`);
  }
  const iat = Math.floor((opts.now ?? new Date()).getTime() / 1000);
  const claims: ServiceAccountClaims = {
    aud: [...audiences],
    exp: iat + ttl,
    iat,
    iss: key.issuer,
    jti: randomUUID(),
    "kubernetes.io": {
      namespace: req.namespace,
      ...(req.node ? { node: { name: req.node.name, uid: req.node.uid } } : {}),
      ...(req.pod ? { pod: { name: req.pod.name, uid: req.pod.uid } } : {}),
      serviceaccount: { name: req.serviceAccount.name, uid: req.serviceAccount.uid },
    },
    nbf: iat,
    sub: `system:serviceaccount:${req.namespace}:${req.serviceAccount.name}`,
  };
  const signingInput = `${b64url(JSON.stringify({ alg: "ES256", kid: key.keyId }))}.${b64url(JSON.stringify(claims))}`;
  const sig = new Uint8Array(await crypto.subtle.sign(SIGN_ALG, key.privateKey, enc.encode(signingInput)));
  return { token: `${signingInput}.${b64url(sig)}`, claims, expirationTimestamp: new Date(claims.exp * 1000) };
}

const B64URL = /^[A-Za-z0-9_-]+$/;

function decodeJson(part: string, what: string): Record<string, unknown> {
  try {
    const v = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    if (v === null || typeof v !== "object" || Array.isArray(v)) throw new Error("not an object");
    return v as Record<string, unknown>;
  } catch {
    throw new TokenMalformedError(`${what} is not a base64url JSON object`);
  }
}

function isRef(v: unknown): v is ObjectRef {
  return typeof v === "object" && v !== null && typeof (v as ObjectRef).name === "string" && typeof (v as ObjectRef).uid === "string";
}

/** Verifies a token and returns its claims; throws a ServiceAccountTokenError subclass. */
export async function verifyServiceAccountToken(
  key: ServiceAccountKey,
  token: string,
  opts: VerifyOptions = {},
): Promise<ServiceAccountClaims> {
  if (typeof token !== "string" || token.length > MAX_TOKEN_LENGTH) throw new TokenMalformedError("token too long");
  const parts = token.split(".");
  if (parts.length !== 3 || !parts.every((p) => B64URL.test(p))) throw new TokenMalformedError("expected three base64url parts");
  const [h, p, s] = parts as [string, string, string];
  const header = decodeJson(h, "header");
  if (header.alg !== "ES256") throw new TokenMalformedError(`unsupported alg ${JSON.stringify(header.alg)}`);
  if (header.kid !== undefined && header.kid !== key.keyId) throw new TokenSignatureError();
  const sig = Buffer.from(s, "base64url");
  if (sig.length !== 64) throw new TokenSignatureError();
  const ok = await crypto.subtle.verify(SIGN_ALG, key.publicKey, sig, enc.encode(`${h}.${p}`));
  if (!ok) throw new TokenSignatureError();

  const c = decodeJson(p, "payload");
  if (c.iss !== key.issuer) throw new TokenIssuerError(c.iss);
  const k8s = c["kubernetes.io"] as ServiceAccountClaims["kubernetes.io"] | undefined;
  if (
    typeof c.exp !== "number" || typeof c.iat !== "number" || typeof c.nbf !== "number" || typeof c.sub !== "string" ||
    typeof k8s !== "object" || k8s === null || typeof k8s.namespace !== "string" || !isRef(k8s.serviceaccount) ||
    c.sub !== `system:serviceaccount:${k8s.namespace}:${k8s.serviceaccount.name}` ||
    (k8s.pod !== undefined && !isRef(k8s.pod)) || (k8s.node !== undefined && !isRef(k8s.node))
  ) {
    throw new TokenMalformedError("missing or inconsistent service account claims");
  }
  const aud = typeof c.aud === "string" ? [c.aud] : c.aud;
  if (!Array.isArray(aud) || !aud.every((a) => typeof a === "string")) throw new TokenMalformedError("aud must be a string or a list of strings");

  const now = (opts.now ?? new Date()).getTime() / 1000;
  const leeway = opts.leewaySeconds ?? DEFAULT_LEEWAY_SECONDS;
  if (now > c.exp + leeway) throw new TokenExpiredError(new Date(c.exp * 1000));
  if (now < c.nbf - leeway) throw new TokenNotYetValidError(new Date(c.nbf * 1000));
  const accepted = opts.audiences ?? [key.issuer];
  if (!aud.some((a) => accepted.includes(a))) throw new TokenAudienceError(aud as string[], accepted);

  return { ...(c as unknown as ServiceAccountClaims), aud: aud as string[] };
}

/** The public key as a JWKS document (for /openid/v1/jwks). */
export async function serviceAccountJwks(key: ServiceAccountKey): Promise<{ keys: JsonWebKey[] }> {
  const jwk = await crypto.subtle.exportKey("jwk", key.publicKey);
  return { keys: [{ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, use: "sig", alg: "ES256", kid: key.keyId } as JsonWebKey] };
}

