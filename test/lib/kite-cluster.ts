/**
 * @module test/lib/kite-cluster
 * Real multi-server kite clusters for tests and benchmarks: `kite server --cluster-init`
 * then `kite server --server <first> --token <token>` for the others, each a separate
 * process with its own data dir and loopback port. Helpers find the Raft leader, kill
 * and restart members from their data dirs, and `stop()` ends every process and removes
 * every data dir.
 */
import { rmSync } from "node:fs";
import { api, startServer, waitFor, type KiteServer, type ServerOptions } from "./kite.ts";

export interface MemberInfo {
  id: number;
  name: string;
  url: string;
  role: "voter" | "learner";
  isLeader: boolean;
}

export interface KiteCluster {
  servers: KiteServer[];
  /** Members as `server` sees them. */
  members(server?: KiteServer): Promise<MemberInfo[]>;
  /** The server currently leading (asked of every live server until one knows). */
  leader(timeoutMs?: number): Promise<KiteServer>;
  /** Starts a stopped/killed server again from its data dir, on its port. */
  restart(s: KiteServer): Promise<KiteServer>;
  /** Adds one more server (it joins through the first live one). */
  add(): Promise<KiteServer>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  env?: Record<string, string>;
  withAgent?: boolean;
  readyTimeoutMs?: number;
}

function alive(s: KiteServer): boolean {
  return s.proc.exitCode === null && s.proc.signalCode === null;
}

export async function startCluster(n: number, opts: ClusterOptions = {}): Promise<KiteCluster> {
  const servers: KiteServer[] = [];
  const all = new Set<KiteServer>();
  const base: ServerOptions = { env: opts.env, withAgent: opts.withAgent, keepDataDir: true, readyTimeoutMs: opts.readyTimeoutMs ?? 60_000 };

  const members = async (server?: KiteServer): Promise<MemberInfo[]> => {
    const s = server ?? servers.find(alive);
    if (!s) throw new Error("no live server");
    const r = await api(s, "GET", "/kite/v1/members");
    if (!r.ok) throw new Error(`GET /kite/v1/members: HTTP ${r.status} ${await r.text()}`);
    return ((await r.json()) as { members: MemberInfo[] }).members;
  };

  const cluster: KiteCluster = {
    servers,
    members,
    async leader(timeoutMs = 15_000) {
      let found: KiteServer | undefined;
      await waitFor(
        async () => {
          for (const s of servers.filter(alive)) {
            try {
              const lead = (await members(s)).find((m) => m.isLeader);
              found = lead ? servers.find((x) => x.url === lead.url && alive(x)) : undefined;
              if (found) return true;
            } catch {
              /* starting or stopping */
            }
          }
          return false;
        },
        timeoutMs,
        "a raft leader",
      );
      return found!;
    },
    async restart(old) {
      if (alive(old)) throw new Error(`${old.url} is still running`);
      const s = await startServer({ ...base, dataDir: old.dataDir, port: old.port, args: [] });
      all.add(s);
      servers[servers.indexOf(old)] = s;
      return s;
    },
    async add() {
      const via = servers.find(alive)!;
      const s = await startServer({ ...base, args: ["--server", via.url, "--token", via.token()] });
      all.add(s);
      servers.push(s);
      return s;
    },
    async stop() {
      await Promise.all(
        [...all].map(async (s) => {
          try {
            await s.stop("SIGKILL");
          } finally {
            rmSync(s.dataDir, { recursive: true, force: true });
          }
        }),
      );
    },
  };

  try {
    const first = await startServer({ ...base, args: ["--cluster-init"] });
    all.add(first);
    servers.push(first);
    for (let i = 1; i < n; i++) await cluster.add();
    if (n > 1) {
      await waitFor(
        async () => {
          try {
            const ms = await members(first);
            return ms.length === n && ms.every((m) => m.role === "voter");
          } catch {
            return false;
          }
        },
        30_000,
        `${n} voting members`,
      );
    }
  } catch (e) {
    await cluster.stop();
    throw e;
  }
  return cluster;
}
