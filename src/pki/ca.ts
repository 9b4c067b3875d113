/**
 * @module pki/ca
 * The cluster CA: an ECDSA P-256 self-signed certificate valid 10 years,
 * stored as `ca.crt` (0644) and `ca.key` (0600) in the server's TLS directory,
 * and the leaf certificates it issues (serving and client).
 *
 * `certPem` is always the exact bytes stored in ca.crt: the join token's CA
 * hash is the SHA-256 of those bytes, so the server must serve this string
 * unchanged at /cacerts.
 */

import { join } from "node:path";
import { randomBytes } from "node:crypto";
import {
  x509,
  EC_ALG,
  generateKeyPair,
  privateKeyToPem,
  keyPairFromPem,
  parseCertPem,
  certMatchesKey,
} from "./keys.ts";
import { readFileIfExists, writeFileAtomic } from "./files.ts";
import { CAKeyMismatchError, CAKeyMissingError, CANotFoundError, InvalidOptionError } from "./errors.ts";

export const CA_CERT_FILE = "ca.crt";
export const CA_KEY_FILE = "ca.key";
export const CA_VALIDITY_DAYS = 3650;
/** Certificates start this long before "now", to tolerate clock skew between nodes. */
export const BACKDATE_MS = 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface IssuedCert {
  certPem: string;
  keyPem: string;
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
}

export interface ServingCertRequest {
  cn: string;
  dnsNames: string[];
  ips: string[];
  /** Validity in days (default 365). */
  days?: number;
  now?: Date;
}

export interface ClientCertRequest {
  /** Becomes the Kubernetes user name. */
  cn: string;
  /** Become the Kubernetes groups (e.g. "system:masters"). */
  orgs?: string[];
  days?: number;
  now?: Date;
}

/** A positive, minimally DER-encoded 128-bit serial (Go's x509 rejects negative ones). */
function randomSerial(): string {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x01;
  return b.toString("hex");
}

function validityDays(days: number | undefined, fallback: number): number {
  const d = days ?? fallback;
  if (!Number.isFinite(d) || d <= 0) throw new InvalidOptionError(`certificate validity must be a positive number of days, got ${d}`);
  return d;
}

export class ClusterCA {
  private constructor(
    /** The CA certificate PEM, byte for byte as stored in ca.crt. */
    readonly certPem: string,
    readonly cert: x509.X509Certificate,
    private readonly keys: CryptoKeyPair,
  ) {}

  /** Creates a new CA (not persisted; see saveCA / loadOrCreateCA). */
  static async create(opts: { now?: Date; days?: number } = {}): Promise<ClusterCA> {
    const now = opts.now ?? new Date();
    const days = validityDays(opts.days, CA_VALIDITY_DAYS);
    const keys = await generateKeyPair();
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: randomSerial(),
      name: [{ CN: [`kite-ca@${Math.floor(now.getTime() / 1000)}`] }],
      keys,
      signingAlgorithm: EC_ALG,
      notBefore: new Date(now.getTime() - BACKDATE_MS),
      notAfter: new Date(now.getTime() + days * DAY_MS),
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
          true,
        ),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    return new ClusterCA(cert.toString("pem") + "\n", cert, keys);
  }

  /** Loads a CA from PEM strings; checks that the key belongs to the certificate. */
  static async fromPem(certPem: string, keyPem: string, where = "PEM input"): Promise<ClusterCA> {
    const cert = parseCertPem(certPem, "CA certificate");
    const keys = await keyPairFromPem(keyPem, "CA private key");
    if (!(await certMatchesKey(cert, keys))) throw new CAKeyMismatchError(where);
    return new ClusterCA(certPem, cert, keys);
  }

  /** The CA private key as PKCS#8 PEM (for replicating the CA to other servers). */
  keyPem(): Promise<string> {
    return privateKeyToPem(this.keys.privateKey);
  }

  get notAfter(): Date {
    return this.cert.notAfter;
  }

  /** True when `cert` carries a valid signature of this CA. */
  async signed(cert: x509.X509Certificate): Promise<boolean> {
    if (cert.issuer !== this.cert.subject) return false;
    try {
      return await cert.verify({ publicKey: this.keys.publicKey, signatureOnly: true });
    } catch {
      return false;
    }
  }

  /** A TLS server certificate (also usable as a client, like k3s's serving certs). */
  async issueServingCert(req: ServingCertRequest): Promise<IssuedCert> {
    const names: x509.JsonGeneralNames = [
      ...req.dnsNames.map((value) => ({ type: "dns" as const, value })),
      ...req.ips.map((value) => ({ type: "ip" as const, value })),
    ];
    return this.issue(
      [{ CN: [req.cn] }],
      validityDays(req.days, 365),
      req.now,
      [x509.ExtendedKeyUsage.serverAuth],
      names,
    );
  }

  /** A TLS client certificate: CN is the user, O entries are the groups. */
  async issueClientCert(req: ClientCertRequest): Promise<IssuedCert> {
    const subject: x509.JsonName = [{ CN: [req.cn] }, ...(req.orgs ?? []).map((o) => ({ O: [o] }))];
    return this.issue(subject, validityDays(req.days, 365), req.now, [x509.ExtendedKeyUsage.clientAuth], []);
  }

  private async issue(
    subject: x509.JsonName,
    days: number,
    nowOpt: Date | undefined,
    usages: x509.ExtendedKeyUsage[],
    sans: x509.JsonGeneralNames,
  ): Promise<IssuedCert> {
    const now = nowOpt ?? new Date();
    const keys = await generateKeyPair();
    const notBefore = new Date(now.getTime() - BACKDATE_MS);
    let notAfter = new Date(now.getTime() + days * DAY_MS);
    // A leaf must not outlive its CA (clients would reject the chain anyway).
    if (notAfter > this.cert.notAfter) notAfter = this.cert.notAfter;
    const extensions: x509.Extension[] = [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(usages),
      await x509.AuthorityKeyIdentifierExtension.create(this.keys.publicKey),
    ];
    if (sans.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(sans));
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerial(),
      subject,
      issuer: this.cert.subjectName,
      publicKey: keys.publicKey,
      signingKey: this.keys.privateKey,
      signingAlgorithm: EC_ALG,
      notBefore,
      notAfter,
      extensions,
    });
    return {
      certPem: cert.toString("pem") + "\n",
      keyPem: await privateKeyToPem(keys.privateKey),
      serialNumber: cert.serialNumber,
      notBefore: cert.notBefore,
      notAfter: cert.notAfter,
    };
  }
}

/**
 * Loads the CA from `dir`. Throws CANotFoundError when absent, CAKeyMissingError
 * when only the certificate is there, CAKeyMismatchError when they disagree.
 */
export async function loadCA(dir: string): Promise<ClusterCA> {
  const certPem = await readFileIfExists(join(dir, CA_CERT_FILE));
  const keyPem = await readFileIfExists(join(dir, CA_KEY_FILE));
  if (certPem === null) throw new CANotFoundError(dir);
  if (keyPem === null) throw new CAKeyMissingError(dir);
  return ClusterCA.fromPem(certPem, keyPem, dir);
}

/**
 * Persists a CA: the key first, then the certificate, each atomically. A crash
 * in between leaves a key without a certificate, which loadOrCreateCA treats
 * as "no CA yet" (nothing can have been issued or trusted without ca.crt).
 */
export async function saveCA(dir: string, ca: ClusterCA): Promise<void> {
  await writeFileAtomic(join(dir, CA_KEY_FILE), await ca.keyPem(), 0o600);
  await writeFileAtomic(join(dir, CA_CERT_FILE), ca.certPem, 0o644);
}

/** Loads the CA from `dir`, creating and persisting a new one on first start. */
export async function loadOrCreateCA(
  dir: string,
  opts: { now?: Date; days?: number } = {},
): Promise<{ ca: ClusterCA; created: boolean }> {
  try {
    return { ca: await loadCA(dir), created: false };
  } catch (err) {
    if (!(err instanceof CANotFoundError)) throw err;
  }
  const ca = await ClusterCA.create(opts);
  await saveCA(dir, ca);
  return { ca, created: true };
}
