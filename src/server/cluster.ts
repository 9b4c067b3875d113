/**
 * @module server/cluster
 * A server's place in the Raft cluster: its identity (cluster ID and member ID, in
 * identity.json), joining an existing cluster (`--server URL --token T`) and opening the
 * replicated store.
 *
 * - First start without --server: a new cluster with this server as its only voter.
 * - First start with --server: pin the cluster CA from the token, POST the join secret to
 *   /kite/v1/join/server; the leader adds this server as a learner and answers with its
 *   member ID, the cluster ID, the member list and the cluster's CA and service-account
 *   keys (written to the tls dir before the PKI step, so this server signs and verifies
 *   the same certificates and tokens). The learner catches up by snapshot and the leader
 *   promotes it.
 * - Any later start: resume from identity.json and raft.db, whatever the flags say.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { ServerConfig } from "../cli/config.ts";
import { RaftStore } from "../cluster/raft-store.ts";
import { timingFromEnv } from "../cluster/raft-node.ts";
import { fetchAndPinCA, pinnedFetch } from "../pki/bootstrap.ts";
import { CA_CERT_FILE, CA_KEY_FILE } from "../pki/ca.ts";
import { writeFileAtomic } from "../pki/files.ts";
import { SERVICE_ACCOUNT_KEY_FILE } from "../pki/jwt.ts";
import { newClusterId, newMemberId } from "../cluster/members.ts";
import { logger } from "../util/log.ts";
import type { serverPaths } from "./paths.ts";

const log = logger("cluster");

export const JOIN_SERVER_PATH = "/kite/v1/join/server";

export interface ClusterIdentity {
  clusterId: string;
  memberId: number;
  /** How this member came to be: it bootstrapped the cluster, or joined it. */
  origin: "bootstrap" | "join";
  /** Members known when it joined (until its snapshot brings the records). */
  peers?: { id: number; url: string }[];
}

/** What the leader answers a joining server. */
export interface JoinServerResponse {
  kind: "JoinServerResponse";
  apiVersion: "kite.io/v1";
  clusterId: string;
  memberId: number;
  members: { id: number; name: string; url: string }[];
  caCert: string;
  caKey: string;
  serviceAccountKey: string;
}

export class JoinError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "JoinError";
  }
}

type Paths = ReturnType<typeof serverPaths>;

export function readIdentity(paths: Paths): ClusterIdentity | null {
  if (!existsSync(paths.identity)) return null;
  const v = JSON.parse(readFileSync(paths.identity, "utf8")) as ClusterIdentity;
  if (typeof v.clusterId !== "string" || !Number.isSafeInteger(v.memberId) || v.memberId <= 0) {
    throw new JoinError(`${paths.identity} is malformed`);
  }
  return v;
}

async function writeIdentity(paths: Paths, id: ClusterIdentity): Promise<void> {
  await writeFileAtomic(paths.identity, JSON.stringify(id) + "\n", 0o600);
}

export function serverUrl(cfg: Pick<ServerConfig, "advertiseAddress" | "httpsListenPort">): string {
  const host = cfg.advertiseAddress.includes(":") ? `[${cfg.advertiseAddress}]` : cfg.advertiseAddress;
  return `https://${host}:${cfg.httpsListenPort}`;
}

export interface ClusterPlan {
  identity: ClusterIdentity;
  mode: "bootstrap" | "join";
  /** Where the other members are until this one has the member records. */
  peers: Map<number, string>;
}

/**
 * Decides how this server takes part, before the PKI step: resume (identity.json exists),
 * join (--server given; writes the cluster's CA and keys into the tls dir) or bootstrap.
 */
export async function planCluster(cfg: ServerConfig, paths: Paths): Promise<ClusterPlan> {
  const existing = readIdentity(paths);
  if (existing) {
    // Resume (with raft.db), or finish a first start that stopped before its log existed.
    return { identity: existing, mode: existing.origin, peers: new Map((existing.peers ?? []).map((p) => [p.id, p.url])) };
  }
  if (!cfg.server) {
    const identity: ClusterIdentity = { clusterId: newClusterId(), memberId: newMemberId(), origin: "bootstrap" };
    if (cfg.clusterInit) log.info("initializing a new cluster", { clusterId: identity.clusterId });
    // Written before the log, so a crash in between cannot leave a log under a forgotten ID.
    await writeIdentity(paths, identity);
    return { identity, mode: "bootstrap", peers: new Map() };
  }
  if (existsSync(paths.stateDb)) throw new JoinError(`cannot join ${cfg.server}: ${paths.stateDb} already holds a cluster's state; use an empty --data-dir`);
  return joinCluster(cfg, paths);
}

async function joinCluster(cfg: ServerConfig, paths: Paths): Promise<ClusterPlan> {
  const server = cfg.server!;
  const pinned = await fetchAndPinCA(server, cfg.token!);
  if (!pinned.pinned) log.warn("the token has no CA hash: the cluster CA was not verified (use the full K10... token)");
  const f = pinnedFetch(pinned.caPem);
  const auth = "Basic " + Buffer.from(`server:${pinned.token.password}`).toString("base64");
  const body = JSON.stringify({ name: cfg.nodeName, url: serverUrl(cfg) });
  let res: Response | undefined;
  let lastErr = "";
  for (let attempt = 0; attempt < 10; attempt++) {
    try {
      res = await f(pinned.server + JOIN_SERVER_PATH, { method: "POST", headers: { Authorization: auth, "Content-Type": "application/json" }, body, signal: AbortSignal.timeout(30_000) });
    } catch (err) {
      lastErr = (err as Error).message;
      res = undefined;
    }
    if (res && res.status !== 503 && res.status !== 504) break;
    if (res) lastErr = `HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`;
    await Bun.sleep(500 * (attempt + 1));
  }
  if (!res) throw new JoinError(`cannot join ${server}: ${lastErr}`);
  if (res.status === 401 || res.status === 403) throw new JoinError(`${server} refused the join token (HTTP ${res.status})`);
  if (!res.ok) throw new JoinError(`cannot join ${server}: HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`);
  const j = (await res.json()) as JoinServerResponse;
  if (j.kind !== "JoinServerResponse" || !Number.isSafeInteger(j.memberId) || typeof j.caCert !== "string") throw new JoinError(`malformed answer from ${server}`);
  if (j.caCert.trim() !== pinned.caPem.trim()) throw new JoinError(`${server} answered with a CA other than the one it serves`);
  await writeFileAtomic(join(paths.tls, CA_KEY_FILE), j.caKey, 0o600);
  await writeFileAtomic(join(paths.tls, CA_CERT_FILE), j.caCert, 0o644);
  await writeFileAtomic(join(paths.tls, SERVICE_ACCOUNT_KEY_FILE), j.serviceAccountKey, 0o600);
  const peers = j.members.filter((m) => m.id !== j.memberId).map((m) => ({ id: m.id, url: m.url }));
  const identity: ClusterIdentity = { clusterId: j.clusterId, memberId: j.memberId, origin: "join", peers };
  await writeIdentity(paths, identity);
  log.info("joined the cluster as a learner", { clusterId: j.clusterId, member: j.memberId.toString(16), via: server });
  if (peers.length === 1) {
    log.warn("the cluster has one other server: this one stays a non-voting learner (it replicates and serves requests) until a third server joins, because 2 voters would stop on the loss of either");
  }
  return { identity, mode: "join", peers: new Map(peers.map((p) => [p.id, p.url])) };
}

/** Opens the replicated store for this server (a single server is a 1-voter cluster). */
export async function openClusterStore(cfg: ServerConfig, paths: Paths, plan: ClusterPlan, secret: string, caPem: string): Promise<RaftStore> {
  const store = await RaftStore.open({
    stateDbPath: paths.stateDb,
    raftDbPath: paths.raftDb,
    memberId: plan.identity.memberId,
    clusterId: plan.identity.clusterId,
    joinSecret: secret,
    name: cfg.nodeName,
    url: serverUrl(cfg),
    mode: plan.mode,
    peers: plan.peers,
    caPem,
    timing: timingFromEnv(),
  });
  return store;
}

/** Files the leader hands a joining server. */
export function clusterKeyFiles(tlsDir: string): { caCert: string; caKey: string; serviceAccountKey: string } {
  return {
    caCert: readFileSync(join(tlsDir, CA_CERT_FILE), "utf8"),
    caKey: readFileSync(join(tlsDir, CA_KEY_FILE), "utf8"),
    serviceAccountKey: readFileSync(join(tlsDir, SERVICE_ACCOUNT_KEY_FILE), "utf8"),
  };
}
