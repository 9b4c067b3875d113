/**
 * @module pki/bootstrap
 * The joining side of TLS bootstrap (k3s's clientaccess):
 * 1. GET <server>/cacerts with TLS verification off;
 * 2. hash the body and compare it with the join token's CA hash (mismatch: a
 *    different cluster or a man in the middle: stop before sending anything);
 * 3. GET /cacerts again, this time verifying the server's certificate against
 *    that CA (a MITM could serve the real, public CA at step 1 but cannot
 *    present a certificate signed by it);
 * 4. from then on trust only that CA (pinnedFetch).
 * No credentials are sent by this module. A short token cannot pin: the
 * result says `pinned: false` and the caller decides (k3s warns and goes on).
 */

import { parseCertPem, x509 } from "./keys.ts";
import { caHash, parseJoinToken, constantTimeEqual, type JoinToken } from "./token.ts";
import { CAFetchError, CAHashMismatchError, InvalidOptionError, ServerNotTrustedError } from "./errors.ts";

export const CACERTS_PATH = "/cacerts";
const MAX_CA_BYTES = 1 << 20;
const DEFAULT_TIMEOUT_MS = 10_000;

export interface PinnedCA {
  /** The cluster CA PEM, byte for byte as served (its hash is what tokens carry). */
  caPem: string;
  /** True when the CA was checked against the token's hash; false for a short token. */
  pinned: boolean;
  token: JoinToken;
  /** Server base URL, normalised (no trailing slash). */
  server: string;
}

export interface FetchCAOptions {
  timeoutMs?: number;
}

/** Parses and checks a server URL: https only, trailing slashes dropped. */
export function normaliseServerUrl(serverUrl: string): string {
  let u: URL;
  try {
    u = new URL(serverUrl);
  } catch {
    throw new InvalidOptionError(`invalid server URL ${JSON.stringify(serverUrl)}`);
  }
  if (u.protocol !== "https:") throw new InvalidOptionError(`only https:// server URLs are supported, got ${JSON.stringify(serverUrl)}`);
  return `${u.origin}${u.pathname.replace(/\/+$/, "")}`;
}

async function getCACerts(server: string, tls: Record<string, unknown>, timeoutMs: number): Promise<string> {
  const res = await fetch(server + CACERTS_PATH, {
    tls,
    keepalive: false,
    redirect: "error",
    signal: AbortSignal.timeout(timeoutMs),
  } as RequestInit);
  if (res.status !== 200) {
    await res.body?.cancel();
    throw new CAFetchError(server, `GET ${CACERTS_PATH} answered ${res.status}`);
  }
  const body = await res.arrayBuffer();
  if (body.byteLength > MAX_CA_BYTES) throw new CAFetchError(server, `CA bundle larger than ${MAX_CA_BYTES} bytes`);
  return new TextDecoder("utf-8", { fatal: false }).decode(body);
}

/**
 * Downloads the cluster CA from `serverUrl`, checks it against the join token
 * and checks that the server's certificate is signed by it. Throws
 * CAHashMismatchError, ServerNotTrustedError or CAFetchError.
 */
export async function fetchAndPinCA(serverUrl: string, token: string | JoinToken, opts: FetchCAOptions = {}): Promise<PinnedCA> {
  const server = normaliseServerUrl(serverUrl);
  const t = typeof token === "string" ? parseJoinToken(token) : token;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  let caPem: string;
  try {
    caPem = await getCACerts(server, { rejectUnauthorized: false }, timeoutMs);
  } catch (err) {
    if (err instanceof CAFetchError) throw err;
    throw new CAFetchError(server, (err as Error).message, { cause: err });
  }

  if (t.caHash !== null) {
    const actual = caHash(caPem);
    if (!constantTimeEqual(actual, t.caHash)) throw new CAHashMismatchError(t.caHash, actual, server);
  }

  let cert: x509.X509Certificate;
  try {
    cert = parseCertPem(caPem, "CA certificate from /cacerts");
  } catch (err) {
    throw new CAFetchError(server, "the /cacerts body is not a PEM certificate", { cause: err });
  }
  if (!cert.getExtension(x509.BasicConstraintsExtension)?.ca) {
    throw new CAFetchError(server, "the /cacerts certificate is not a CA certificate");
  }

  let again: string;
  try {
    again = await getCACerts(server, { ca: caPem, rejectUnauthorized: true }, timeoutMs);
  } catch (err) {
    throw new ServerNotTrustedError(server, { cause: err });
  }
  if (again !== caPem) throw new CAFetchError(server, "the server served two different CA bundles");

  return { caPem, pinned: t.caHash !== null, token: t, server };
}

export type FetchFn = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * A fetch that trusts only `caPem` (and verifies the host name), optionally
 * presenting a client certificate.
 */
export function pinnedFetch(caPem: string, client?: { cert: string; key: string }): FetchFn {
  parseCertPem(caPem, "pinned CA certificate");
  return (input, init) => {
    const tls = { ...((init as { tls?: Record<string, unknown> } | undefined)?.tls ?? {}), ca: caPem, rejectUnauthorized: true, ...(client ?? {}) };
    return fetch(input, { ...init, tls } as RequestInit);
  };
}
