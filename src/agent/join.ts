/**
 * @module agent/join
 * The agent side of joining: pin the cluster CA from the join token, present the join
 * secret once to obtain this node's own credential, and keep both in the agent's data
 * dir so restarts reuse them. Afterwards every request verifies the pinned CA.
 */
import { existsSync, readFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { X509Certificate } from "node:crypto";
import type { FetchFn } from "../pki/bootstrap.ts";
import { parseJoinToken } from "../pki/token.ts";
import { writeFileAtomic } from "../pki/files.ts";
import { logger } from "../util/log.ts";

const log = logger("agent/join");

export interface AgentCredentials {
  caPem: string;
  token: string;
  servers: string[];
  fetch: FetchFn;
}

interface Saved {
  nodeName: string;
  token: string;
  servers: string[];
}

export function agentPaths(dataDir: string) {
  const dir = join(dataDir, "agent");
  return { dir, ca: join(dir, "server-ca.crt"), cred: join(dir, "credentials.json"), containersConf: join(dir, "containers.conf") };
}

/**
 * A fetch that trusts only `caPem`. Unlike pki/bootstrap's pinnedFetch it does not load
 * @peculiar/x509 (about 17 MB of the agent's memory): node:crypto checks the PEM.
 */
export function caFetch(caPem: string): FetchFn {
  if (!new X509Certificate(caPem).ca) throw new Error("the saved server CA is not a CA certificate");
  return (input, init) => fetch(input, { ...init, tls: { ca: caPem, rejectUnauthorized: true } } as RequestInit);
}

export async function joinCluster(opts: { dataDir: string; server: string; token: string; nodeName: string }): Promise<AgentCredentials> {
  const p = agentPaths(opts.dataDir);
  mkdirSync(p.dir, { recursive: true, mode: 0o700 });
  const t = parseJoinToken(opts.token);
  if (existsSync(p.ca) && existsSync(p.cred)) {
    const saved = JSON.parse(readFileSync(p.cred, "utf8")) as Saved;
    const caPem = readFileSync(p.ca, "utf8");
    if (saved.nodeName === opts.nodeName) {
      log.info("using saved node credentials", { node: opts.nodeName });
      return { caPem, token: saved.token, servers: saved.servers.length ? saved.servers : [opts.server], fetch: caFetch(caPem) };
    }
  }
  // Only the first join needs the certificate tooling.
  const { fetchAndPinCA } = await import("../pki/bootstrap.ts");
  const pinned = await fetchAndPinCA(opts.server, t);
  if (!pinned.pinned) log.warn("the join token has no CA hash: the server's CA was not verified (use the full K10... token from `kite token`)");
  const f = caFetch(pinned.caPem);
  const auth = "Basic " + Buffer.from(`node:${t.password}`).toString("base64");
  const res = await f(`${pinned.server}/kite/v1/join/agent`, { method: "POST", headers: { Authorization: auth, "Content-Type": "application/json" }, body: JSON.stringify({ nodeName: opts.nodeName }) });
  const body = (await res.json().catch(() => ({}))) as { token?: string; servers?: string[]; message?: string };
  if (!res.ok || !body.token) throw new Error(`joining ${pinned.server} failed: ${res.status} ${body.message ?? ""}`.trim());
  const servers = body.servers?.length ? body.servers : [pinned.server];
  await writeFileAtomic(p.ca, pinned.caPem, 0o644);
  await writeFileAtomic(p.cred, JSON.stringify({ nodeName: opts.nodeName, token: body.token, servers } satisfies Saved), 0o600);
  log.info("joined the cluster", { server: pinned.server, node: opts.nodeName });
  return { caPem: pinned.caPem, token: body.token, servers, fetch: f };
}
