/**
 * @module pki/serving
 * The API server's TLS serving certificate (`serving.crt`, `serving.key` in
 * the TLS directory), signed by the cluster CA. It is (re)issued when missing,
 * unreadable, signed by another CA, when its SANs differ from the wanted ones,
 * or when it has less than `renewBeforeDays` left, so certificates never
 * expire under a long-running server. `startRenewal` checks on a timer and
 * hands new PEMs to a callback (the server calls `server.reload({tls})`).
 */

import { join } from "node:path";
import { x509, keyPairFromPem, parseCertPem, certMatchesKey } from "./keys.ts";
import { ClusterCA, loadCA } from "./ca.ts";
import { readFileIfExists, writeFileAtomic } from "./files.ts";
import { canonicalDnsName, canonicalIp, classifySans, sanSetsEqual, type SanSet } from "./sans.ts";
import { InvalidOptionError, InvalidSanError } from "./errors.ts";

export const SERVING_CERT_FILE = "serving.crt";
export const SERVING_KEY_FILE = "serving.key";
export const SERVING_CN = "kite";
export const DEFAULT_RENEW_BEFORE_DAYS = 90;
export const DEFAULT_SERVING_VALIDITY_DAYS = 365;
export const DEFAULT_RENEWAL_INTERVAL_MS = 24 * 60 * 60 * 1000;
/** Names in-cluster clients use for the API server (through the `kubernetes` Service). */
export const KUBERNETES_SERVICE_NAMES = [
  "kubernetes",
  "kubernetes.default",
  "kubernetes.default.svc",
  "kubernetes.default.svc.cluster.local",
];
const DAY_MS = 24 * 60 * 60 * 1000;

export interface ServingCertOptions {
  /** The node's name; becomes a DNS SAN. */
  nodeName: string;
  /** The node's IP addresses. */
  ips?: string[];
  /** Extra SANs (`--tls-san`), IPs and DNS names mixed. */
  tlsSans?: string[];
  /** Cluster IPs of the `kubernetes` Service (e.g. 10.43.0.1). */
  serviceIPs?: string[];
  /** The CA to sign with; default: loaded from the same directory (never created here). */
  ca?: ClusterCA;
  /** Re-issue when fewer days than this remain (default 90). */
  renewBeforeDays?: number;
  /** Validity of a new certificate (default 365 days). */
  validityDays?: number;
  now?: Date;
}

export type ReissueReason = "missing" | "invalid" | "ca-changed" | "sans-changed" | "expiring" | "not-yet-valid";

export interface ServingCert extends SanSet {
  certPem: string;
  keyPem: string;
  /** The CA certificate PEM (as stored), for clients and `/cacerts`. */
  caPem: string;
  notBefore: Date;
  notAfter: Date;
  /** Why a new certificate was written; null when the existing one was kept. */
  reissued: ReissueReason | null;
}

/** The SANs the serving certificate must carry for these options. */
export function desiredSans(opts: Pick<ServingCertOptions, "nodeName" | "ips" | "tlsSans" | "serviceIPs">): SanSet {
  const node = canonicalDnsName(opts.nodeName);
  if (node === null) throw new InvalidSanError(opts.nodeName);
  const ipList = (list: string[] | undefined) =>
    (list ?? []).map((v) => {
      const ip = canonicalIp(v);
      if (ip === null) throw new InvalidSanError(v);
      return ip;
    });
  const extra = classifySans(opts.tlsSans ?? []);
  const dns = new Set([node, "localhost", ...KUBERNETES_SERVICE_NAMES, ...extra.dnsNames]);
  const ips = new Set(["127.0.0.1", "::1", ...ipList(opts.ips), ...ipList(opts.serviceIPs), ...extra.ips]);
  return { dnsNames: [...dns], ips: [...ips] };
}

/** The SANs found in a certificate, canonicalised. */
export function certSans(cert: x509.X509Certificate): SanSet {
  const ext = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const out: SanSet = { dnsNames: [], ips: [] };
  for (const n of ext?.names.toJSON() ?? []) {
    if (n.type === "dns") out.dnsNames.push(canonicalDnsName(n.value) ?? n.value);
    else if (n.type === "ip") out.ips.push(canonicalIp(n.value) ?? n.value);
  }
  return out;
}

function checkDays(renewBefore: number, validity: number): void {
  if (!(validity > 0)) throw new InvalidOptionError(`validityDays must be positive, got ${validity}`);
  if (!(renewBefore >= 0) || renewBefore >= validity) {
    throw new InvalidOptionError(
      `renewBeforeDays (${renewBefore}) must be >= 0 and below validityDays (${validity}), or every check would re-issue`,
    );
  }
}

/** Why the stored cert/key must be replaced, or null when they are fine. */
async function staleReason(
  ca: ClusterCA,
  certPem: string | null,
  keyPem: string | null,
  want: SanSet,
  now: Date,
  renewBeforeDays: number,
): Promise<ReissueReason | null> {
  if (certPem === null || keyPem === null) return "missing";
  let cert: x509.X509Certificate;
  try {
    cert = parseCertPem(certPem, "serving certificate");
    const keys = await keyPairFromPem(keyPem, "serving key");
    if (!(await certMatchesKey(cert, keys))) return "invalid";
  } catch {
    return "invalid";
  }
  if (!(await ca.signed(cert))) return "ca-changed";
  if (!sanSetsEqual(certSans(cert), want)) return "sans-changed";
  if (cert.notBefore.getTime() > now.getTime()) return "not-yet-valid";
  if (cert.notAfter.getTime() - now.getTime() < renewBeforeDays * DAY_MS) return "expiring";
  return null;
}

/**
 * Makes sure `<tlsDir>/serving.{crt,key}` hold a valid certificate for these
 * options, issuing a new one when needed. Returns the PEMs to serve.
 */
export async function ensureServingCert(tlsDir: string, opts: ServingCertOptions): Promise<ServingCert> {
  const renewBeforeDays = opts.renewBeforeDays ?? DEFAULT_RENEW_BEFORE_DAYS;
  const validityDays = opts.validityDays ?? DEFAULT_SERVING_VALIDITY_DAYS;
  checkDays(renewBeforeDays, validityDays);
  const now = opts.now ?? new Date();
  const want = desiredSans(opts);
  const ca = opts.ca ?? (await loadCA(tlsDir));
  const certPath = join(tlsDir, SERVING_CERT_FILE);
  const keyPath = join(tlsDir, SERVING_KEY_FILE);
  const certPem = await readFileIfExists(certPath);
  const keyPem = await readFileIfExists(keyPath);

  const reason = await staleReason(ca, certPem, keyPem, want, now, renewBeforeDays);
  if (reason === null) {
    const cert = parseCertPem(certPem!);
    return { certPem: certPem!, keyPem: keyPem!, caPem: ca.certPem, ...want, notBefore: cert.notBefore, notAfter: cert.notAfter, reissued: null };
  }
  const issued = await ca.issueServingCert({ cn: SERVING_CN, ...want, days: validityDays, now });
  // Key first: a crash between the writes leaves a key/cert mismatch, which the next call re-issues.
  await writeFileAtomic(keyPath, issued.keyPem, 0o600);
  await writeFileAtomic(certPath, issued.certPem, 0o644);
  return {
    certPem: issued.certPem,
    keyPem: issued.keyPem,
    caPem: ca.certPem,
    ...want,
    notBefore: issued.notBefore,
    notAfter: issued.notAfter,
    reissued: reason,
  };
}

export interface RenewalOptions extends Omit<ServingCertOptions, "now"> {
  /** How often to check (default daily). */
  intervalMs?: number;
  /** Clock (tests inject a fixed or advancing one). */
  now?: () => Date;
  /** Called with the new certificate after it was re-issued and stored. */
  onRenew: (cert: ServingCert) => void | Promise<void>;
  /** Called when a timer-driven check fails (default: console.error). */
  onError?: (err: unknown) => void;
}

export interface RenewalHandle {
  /** Runs one check now (serialised with timer checks); resolves with the current certificate. */
  check(): Promise<ServingCert>;
  /** Stops the timer and waits for a check in progress, so the caller may then delete the files. */
  stop(): Promise<void>;
}

/** Checks the serving certificate every `intervalMs` and renews it before it expires. */
export function startRenewal(tlsDir: string, opts: RenewalOptions): RenewalHandle {
  const intervalMs = opts.intervalMs ?? DEFAULT_RENEWAL_INTERVAL_MS;
  if (!(intervalMs > 0)) throw new InvalidOptionError(`renewal intervalMs must be positive, got ${intervalMs}`);
  checkDays(opts.renewBeforeDays ?? DEFAULT_RENEW_BEFORE_DAYS, opts.validityDays ?? DEFAULT_SERVING_VALIDITY_DAYS);
  const onError = opts.onError ?? ((err: unknown) => console.error("kite: serving certificate renewal failed:", err));
  let chain: Promise<unknown> = Promise.resolve();
  let stopped = false;

  const check = (): Promise<ServingCert> => {
    const run = chain.then(async () => {
      const cert = await ensureServingCert(tlsDir, { ...opts, now: opts.now?.() });
      if (cert.reissued !== null && !stopped) await opts.onRenew(cert);
      return cert;
    });
    chain = run.catch(() => {});
    return run;
  };

  const timer = setInterval(() => {
    check().catch(onError);
  }, intervalMs);
  timer.unref?.();

  return {
    check,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await chain;
    },
  };
}
