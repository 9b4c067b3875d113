/**
 * @module server/paths
 * The layout of a server's data dir (like k3s's /var/lib/rancher/k3s/server).
 */
import { join } from "node:path";

export function serverPaths(dataDir: string) {
  const server = join(dataDir, "server");
  return {
    server,
    tls: join(server, "tls"),
    db: join(server, "db"),
    stateDb: join(server, "db", "state.db"),
    raftDb: join(server, "db", "raft.db"),
    /** The join token, in k3s's secure form (K10<ca hash>::server:<secret>). */
    token: join(server, "token"),
    /** The admin bearer token (so the kubeconfig can be rewritten on restart). */
    adminToken: join(server, "cred", "admin.token"),
    /** Cluster identity (cluster ID, this server's Raft ID). */
    identity: join(server, "identity.json"),
    log: join(dataDir, "kite.log"),
  };
}
