/**
 * @module pki/kubeconfig
 * Renders and writes kubeconfig files (the admin one at --write-kubeconfig,
 * and per-node ones): one cluster with the CA embedded, one user with a
 * bearer token or a client certificate, one context. Written atomically with
 * an exact mode (--write-kubeconfig-mode "644" means 0644, umask ignored).
 */

import { stringify } from "yaml";
import { writeFileAtomic } from "./files.ts";
import { parseCertPem, x509 } from "./keys.ts";
import { InvalidOptionError, InvalidPemError } from "./errors.ts";

export const DEFAULT_KUBECONFIG_MODE = 0o600;

export interface KubeconfigOptions {
  /** API server URL, e.g. https://127.0.0.1:6443. */
  server: string;
  /** CA that signs the server certificate (PEM). */
  caPem: string;
  /** Bearer token credential... */
  token?: string;
  /** ...or a client certificate and its key (PEM). */
  clientCert?: string;
  clientKey?: string;
  /** Names inside the file; all default to "default" like k3s. */
  user?: string;
  cluster?: string;
  context?: string;
  /** Default namespace of the context. */
  namespace?: string;
}

function hasPrivateKeyBlock(pem: string): boolean {
  try {
    return x509.PemConverter.decodeWithHeaders(pem).some((b) => b.type.endsWith("PRIVATE KEY"));
  } catch {
    return false;
  }
}

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

/** Parses a file mode: 0o644, "644", "0644" or "0o644" (octal, like k3s's --write-kubeconfig-mode). */
export function parseFileMode(mode: number | string): number {
  let n: number;
  if (typeof mode === "number") {
    n = mode;
  } else {
    const m = /^(?:0o?)?([0-7]{1,4})$/i.exec(mode.trim());
    if (!m) throw new InvalidOptionError(`invalid file mode ${JSON.stringify(mode)}: expected octal digits such as "600" or "644"`);
    n = parseInt(m[1]!, 8);
  }
  if (!Number.isInteger(n) || n < 0 || n > 0o7777) throw new InvalidOptionError(`invalid file mode ${mode}`);
  return n;
}

function validate(opts: KubeconfigOptions): void {
  let u: URL;
  try {
    u = new URL(opts.server);
  } catch {
    throw new InvalidOptionError(`invalid kubeconfig server URL ${JSON.stringify(opts.server)}`);
  }
  if (u.protocol !== "https:") throw new InvalidOptionError(`kubeconfig server must be https://, got ${JSON.stringify(opts.server)}`);
  parseCertPem(opts.caPem, "kubeconfig CA certificate");
  const hasToken = opts.token !== undefined;
  const hasCert = opts.clientCert !== undefined || opts.clientKey !== undefined;
  if (hasToken === hasCert) throw new InvalidOptionError("a kubeconfig needs exactly one credential: token, or clientCert with clientKey");
  if (hasToken && (opts.token!.length === 0 || /[\s\x00-\x1f\x7f]/.test(opts.token!))) {
    throw new InvalidOptionError("kubeconfig token must be non-empty without whitespace");
  }
  if (hasCert && (opts.clientCert === undefined || opts.clientKey === undefined)) {
    throw new InvalidOptionError("clientCert and clientKey go together");
  }
  for (const [k, v] of [["user", opts.user], ["cluster", opts.cluster], ["context", opts.context]] as const) {
    if (v !== undefined && v.length === 0) throw new InvalidOptionError(`kubeconfig ${k} name must not be empty`);
  }
}

/** The kubeconfig YAML text. */
export function renderKubeconfig(opts: KubeconfigOptions): string {
  validate(opts);
  if (opts.clientCert !== undefined) {
    parseCertPem(opts.clientCert, "kubeconfig client certificate");
    if (!hasPrivateKeyBlock(opts.clientKey!)) throw new InvalidPemError("kubeconfig client key", "no PRIVATE KEY block");
  }
  const user = opts.user ?? "default";
  const cluster = opts.cluster ?? "default";
  const context = opts.context ?? "default";
  const credential: Record<string, string> =
    opts.token !== undefined
      ? { token: opts.token }
      : { "client-certificate-data": b64(opts.clientCert!), "client-key-data": b64(opts.clientKey!) };
  const doc = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: cluster, cluster: { server: opts.server, "certificate-authority-data": b64(opts.caPem) } }],
    users: [{ name: user, user: credential }],
    contexts: [
      { name: context, context: { cluster, user, ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}) } },
    ],
    "current-context": context,
    preferences: {},
  };
  return stringify(doc, { lineWidth: 0 });
}

/**
 * Writes the kubeconfig atomically with exactly `mode` (default 0600),
 * creating missing parent directories (0755).
 */
export async function writeKubeconfig(
  path: string,
  opts: KubeconfigOptions,
  mode: number | string = DEFAULT_KUBECONFIG_MODE,
): Promise<void> {
  const m = parseFileMode(mode);
  const text = renderKubeconfig(opts);
  await writeFileAtomic(path, text, m, 0o755);
}
