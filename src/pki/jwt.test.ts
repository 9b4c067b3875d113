import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { readFile, stat } from "node:fs/promises";
import { createPublicKey, verify as nodeVerify } from "node:crypto";
import {
  DEFAULT_ISSUER,
  SERVICE_ACCOUNT_KEY_FILE,
  loadOrCreateServiceAccountKey,
  serviceAccountJwks,
  serviceAccountKeyFromPem,
  signServiceAccountToken,
  verifyServiceAccountToken,
  type ServiceAccountKey,
} from "./jwt.ts";
import {
  InvalidOptionError,
  ServiceAccountTokenError,
  TokenAudienceError,
  TokenExpiredError,
  TokenIssuerError,
  TokenMalformedError,
  TokenNotYetValidError,
  TokenSignatureError,
} from "./errors.ts";
import { withTempDir } from "./testutil.ts";

const T0 = new Date("2026-05-01T12:00:00Z");
const at = (s: number) => new Date(T0.getTime() + s * 1000);
const REQ = {
  namespace: "apps",
  serviceAccount: { name: "builder", uid: "11111111-2222-3333-4444-555555555555" },
  pod: { name: "builder-0", uid: "66666666-7777-8888-9999-000000000000" },
  audiences: ["https://kubernetes.default.svc.cluster.local", "vault"],
};

let shared: ServiceAccountKey | undefined;
async function key(): Promise<ServiceAccountKey> {
  shared ??= await withTempDir((dir) => loadOrCreateServiceAccountKey(dir));
  return shared;
}

const b64json = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
const parts = (t: string) => t.split(".") as [string, string, string];

describe("service account key", () => {
  test("is generated once as <tlsDir>/service-account.key (0600) and reloaded", () =>
    withTempDir(async (dir) => {
      const k1 = await loadOrCreateServiceAccountKey(dir);
      const path = join(dir, SERVICE_ACCOUNT_KEY_FILE);
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      const pem = await readFile(path, "utf8");
      expect(pem).toStartWith("-----BEGIN PRIVATE KEY-----");
      const k2 = await loadOrCreateServiceAccountKey(dir);
      expect(k2.keyId).toBe(k1.keyId);
      expect(await readFile(path, "utf8")).toBe(pem);
      // A token from before the restart still verifies.
      const { token } = await signServiceAccountToken(k1, REQ, { now: T0 });
      expect((await verifyServiceAccountToken(k2, token, { now: T0 })).sub).toBe("system:serviceaccount:apps:builder");
    }));
});

describe("service account tokens", () => {
  test("carry upstream's claims and verify", async () => {
    const k = await key();
    const signed = await signServiceAccountToken(k, REQ, { now: T0, expirationSeconds: 7200 });
    const [h, p] = parts(signed.token);
    expect(JSON.parse(Buffer.from(h, "base64url").toString())).toEqual({ alg: "ES256", kid: k.keyId });
    const claims = JSON.parse(Buffer.from(p, "base64url").toString());
    expect(claims).toEqual({
      aud: REQ.audiences,
      exp: T0.getTime() / 1000 + 7200,
      iat: T0.getTime() / 1000,
      iss: DEFAULT_ISSUER,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      "kubernetes.io": { namespace: "apps", pod: REQ.pod, serviceaccount: REQ.serviceAccount },
      nbf: T0.getTime() / 1000,
      sub: "system:serviceaccount:apps:builder",
    });
    expect(signed.expirationTimestamp.toISOString()).toBe("2026-05-01T14:00:00.000Z");
    const verified = await verifyServiceAccountToken(k, signed.token, { now: at(3600), audiences: ["vault"] });
    expect(verified).toEqual(signed.claims);
  });

  test("the signature checks out with an independent verifier and the published JWKS", async () => {
    const k = await key();
    const { token } = await signServiceAccountToken(k, REQ, { now: T0 });
    const jwks = await serviceAccountJwks(k);
    expect(jwks.keys[0]).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256", use: "sig", kid: k.keyId });
    expect(jwks.keys[0]).not.toHaveProperty("d");
    const pub = createPublicKey({ key: jwks.keys[0], format: "jwk" } as Parameters<typeof createPublicKey>[0]);
    const [h, p, s] = parts(token);
    const ok = nodeVerify("sha256", Buffer.from(`${h}.${p}`), { key: pub, dsaEncoding: "ieee-p1363" }, Buffer.from(s, "base64url"));
    expect(ok).toBe(true);
  });

  test("default audience is the issuer; default lifetime one hour", async () => {
    const k = await key();
    const { token, claims } = await signServiceAccountToken(k, { namespace: "default", serviceAccount: { name: "default", uid: "u" } }, { now: T0 });
    expect(claims.aud).toEqual([DEFAULT_ISSUER]);
    expect(claims.exp - claims.iat).toBe(3600);
    expect(claims["kubernetes.io"].pod).toBeUndefined();
    await verifyServiceAccountToken(k, token, { now: T0 });
  });

  test("expiry and not-before use a 60 s leeway", async () => {
    const k = await key();
    const { token } = await signServiceAccountToken(k, REQ, { now: T0, expirationSeconds: 600 });
    await verifyServiceAccountToken(k, token, { now: at(600 + 60) });
    const expired = await verifyServiceAccountToken(k, token, { now: at(600 + 61) }).catch((e) => e);
    expect(expired).toBeInstanceOf(TokenExpiredError);
    expect(expired).toBeInstanceOf(ServiceAccountTokenError);
    expect(expired.expiredAt.toISOString()).toBe(at(600).toISOString());
    await expect(verifyServiceAccountToken(k, token, { now: at(601), leewaySeconds: 0 })).rejects.toBeInstanceOf(TokenExpiredError);
    await verifyServiceAccountToken(k, token, { now: at(-60) });
    await expect(verifyServiceAccountToken(k, token, { now: at(-61) })).rejects.toBeInstanceOf(TokenNotYetValidError);
  });

  test("wrong audience is refused", async () => {
    const k = await key();
    const { token } = await signServiceAccountToken(k, { ...REQ, audiences: ["vault"] }, { now: T0 });
    const err = await verifyServiceAccountToken(k, token, { now: T0 }).catch((e) => e);
    expect(err).toBeInstanceOf(TokenAudienceError);
    expect(err.tokenAudiences).toEqual(["vault"]);
    await expect(verifyServiceAccountToken(k, token, { now: T0, audiences: ["other", "vault"] })).resolves.toBeDefined();
  });

  test("another key, a tampered payload or signature, and alg tricks are refused", async () => {
    const k = await key();
    const other = await withTempDir((d) => loadOrCreateServiceAccountKey(d));
    const { token } = await signServiceAccountToken(k, REQ, { now: T0 });
    const [h, p, s] = parts(token);

    await expect(verifyServiceAccountToken(other, token, { now: T0 })).rejects.toBeInstanceOf(TokenSignatureError);
    // Same kid as the verifier but signed by another key.
    const forged = await signServiceAccountToken({ ...other, keyId: k.keyId }, REQ, { now: T0 });
    await expect(verifyServiceAccountToken(k, forged.token, { now: T0 })).rejects.toBeInstanceOf(TokenSignatureError);

    const claims = JSON.parse(Buffer.from(p, "base64url").toString());
    const escalated = b64json({ ...claims, sub: "system:serviceaccount:kube-system:admin", "kubernetes.io": { ...claims["kubernetes.io"], namespace: "kube-system", serviceaccount: { name: "admin", uid: "x" } } });
    await expect(verifyServiceAccountToken(k, `${h}.${escalated}.${s}`, { now: T0 })).rejects.toBeInstanceOf(TokenSignatureError);
    const sig = Buffer.from(s, "base64url");
    sig[10]! ^= 1;
    await expect(verifyServiceAccountToken(k, `${h}.${p}.${sig.toString("base64url")}`, { now: T0 })).rejects.toBeInstanceOf(TokenSignatureError);

    const none = b64json({ alg: "none" });
    await expect(verifyServiceAccountToken(k, `${none}.${p}.${s}`, { now: T0 })).rejects.toBeInstanceOf(TokenMalformedError);
    const hs = b64json({ alg: "HS256", kid: k.keyId });
    await expect(verifyServiceAccountToken(k, `${hs}.${p}.${s}`, { now: T0 })).rejects.toBeInstanceOf(TokenMalformedError);
  });

  test("another issuer is refused", async () => {
    const k = await key();
    const pem = await withTempDir(async (d) => {
      await loadOrCreateServiceAccountKey(d);
      return readFile(join(d, SERVICE_ACCOUNT_KEY_FILE), "utf8");
    });
    const signer = await serviceAccountKeyFromPem(pem, { issuer: "https://elsewhere" });
    const verifier = await serviceAccountKeyFromPem(pem);
    const { token } = await signServiceAccountToken(signer, REQ, { now: T0 });
    await expect(verifyServiceAccountToken(verifier, token, { now: T0 })).rejects.toBeInstanceOf(TokenIssuerError);
    expect(k.issuer).toBe(DEFAULT_ISSUER);
  });

  test.each(["", "a.b", "a.b.c.d", "not a jwt", "a.b.c", "!!.??.##"])("malformed %p", async (bad) => {
    const k = await key();
    await expect(verifyServiceAccountToken(k, bad, { now: T0 })).rejects.toBeInstanceOf(TokenMalformedError);
  });

  test("an oversized token is refused before any work", async () => {
    const k = await key();
    await expect(verifyServiceAccountToken(k, "x".repeat(20000), { now: T0 })).rejects.toBeInstanceOf(TokenMalformedError);
  });

  test("bad requests are typed errors", async () => {
    const k = await key();
    await expect(signServiceAccountToken(k, REQ, { expirationSeconds: 599 })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(signServiceAccountToken(k, REQ, { expirationSeconds: 1.5e3 + 0.5 })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(signServiceAccountToken(k, { ...REQ, namespace: "" })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(signServiceAccountToken(k, { ...REQ, audiences: [] })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(signServiceAccountToken(k, { ...REQ, serviceAccount: { name: "x", uid: "" } })).rejects.toBeInstanceOf(InvalidOptionError);
  });
});
