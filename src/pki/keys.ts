/**
 * @module pki/keys
 * ECDSA P-256 key pairs through WebCrypto, and their PEM form (PKCS#8
 * "PRIVATE KEY", which Bun's TLS, Go's crypto/tls (kubectl) and openssl read).
 * Also the one place that loads @peculiar/x509, after reflect-metadata.
 */

import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { InvalidPemError } from "./errors.ts";

export { x509 };

export const EC_ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

export async function generateKeyPair(): Promise<CryptoKeyPair> {
  return (await crypto.subtle.generateKey(EC_ALG, true, ["sign", "verify"])) as CryptoKeyPair;
}

export async function privateKeyToPem(key: CryptoKey): Promise<string> {
  const der = await crypto.subtle.exportKey("pkcs8", key);
  return x509.PemConverter.encode(der, "PRIVATE KEY") + "\n";
}

/**
 * Imports a PKCS#8 P-256 private key and derives its public key (WebCrypto
 * cannot derive it directly, so the JWK's x/y coordinates are re-imported).
 */
export async function keyPairFromPem(pem: string, what = "private key"): Promise<CryptoKeyPair> {
  let der: ArrayBuffer;
  try {
    const blocks = x509.PemConverter.decodeWithHeaders(pem);
    const block = blocks.find((b) => b.type === "PRIVATE KEY");
    if (!block) throw new Error(`no "PRIVATE KEY" block (found ${blocks.map((b) => b.type).join(", ") || "none"})`);
    der = block.rawData;
  } catch (err) {
    throw new InvalidPemError(what, (err as Error).message, { cause: err });
  }
  let privateKey: CryptoKey;
  try {
    privateKey = await crypto.subtle.importKey("pkcs8", der, EC_ALG, true, ["sign"]);
  } catch (err) {
    throw new InvalidPemError(what, "not an ECDSA P-256 PKCS#8 key", { cause: err });
  }
  const jwk = await crypto.subtle.exportKey("jwk", privateKey);
  const publicKey = await crypto.subtle.importKey(
    "jwk",
    { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, ext: true },
    EC_ALG,
    true,
    ["verify"],
  );
  return { privateKey, publicKey };
}

/** DER SubjectPublicKeyInfo of a public key. */
export async function spki(key: CryptoKey): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.exportKey("spki", key));
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Parses one PEM certificate; typed error on anything else. */
export function parseCertPem(pem: string, what = "certificate"): x509.X509Certificate {
  try {
    const blocks = x509.PemConverter.decodeWithHeaders(pem);
    if (blocks.length === 0 || blocks[0]!.type !== "CERTIFICATE") {
      throw new Error("no CERTIFICATE block");
    }
    return new x509.X509Certificate(blocks[0]!.rawData);
  } catch (err) {
    throw new InvalidPemError(what, (err as Error).message, { cause: err });
  }
}

/** True when the certificate's public key is the public half of `keys`. */
export async function certMatchesKey(cert: x509.X509Certificate, keys: CryptoKeyPair): Promise<boolean> {
  const certSpki = new Uint8Array(cert.publicKey.rawData);
  return bytesEqual(certSpki, await spki(keys.publicKey));
}
