/**
 * @module test/cluster/in-process
 * In-process Raft clusters for tests: each member is a real RaftStore on its own SQLite
 * files (raft.db with fsync, state.db) behind its own Bun.serve on a loopback port, and
 * members talk over the real WebSocket transport. `stop()` closes every member and
 * removes the temp dir, even when a test failed half way.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Server } from "bun";
import { websocketHandlers, type WsData } from "../../src/api/app.ts";
import { RaftStore, type RaftStoreOptions } from "../../src/cluster/raft-store.ts";
import { RAFT_PATH } from "../../src/cluster/transport.ts";
import { newClusterId, newMemberId } from "../../src/cluster/members.ts";

export interface Member {
  name: string;
  dir: string;
  url: string;
  id: number;
  store: RaftStore;
  server: Server<WsData>;
  /** Closes the store (graceful) and the HTTP server; data stays for restart(). */
  stop(): Promise<void>;
  /** Stops at once without leadership transfer or flushing (a crash, as far as one process can). */
  crash(): Promise<void>;
  running: boolean;
}

export interface InProcessCluster {
  clusterId: string;
  secret: string;
  root: string;
  members: Member[];
  leader(): Member | undefined;
  waitLeader(timeoutMs?: number): Promise<Member>;
  /** Adds a member (learner, promoted by the leader when caught up). */
  add(name?: string): Promise<Member>;
  /** Restarts a stopped member from its data dir. */
  restart(m: Member): Promise<Member>;
  stop(): Promise<void>;
}

export type ClusterOptions = Partial<Omit<RaftStoreOptions, "stateDbPath" | "raftDbPath" | "memberId" | "clusterId" | "joinSecret" | "name" | "url" | "mode" | "peers">>;

const FAST_TIMING = { tickMs: 20, electionTick: 10, heartbeatTick: 1 };

async function waitUntil(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

export async function startInProcessCluster(n: number, opts: ClusterOptions = {}): Promise<InProcessCluster> {
  const root = mkdtempSync(join(tmpdir(), "kite-raft-"));
  const clusterId = newClusterId();
  const secret = "test-secret-" + clusterId;
  const members: Member[] = [];
  const base = { leaseCheckIntervalMs: 100, timing: FAST_TIMING, ...opts };

  const launch = async (name: string, id: number, dir: string, mode: "bootstrap" | "join", peers: Map<number, string>, port = 0): Promise<Member> => {
    let store: RaftStore | null = null;
    const server = Bun.serve<WsData>({
      hostname: "127.0.0.1",
      port,
      fetch(req, srv) {
        if (new URL(req.url).pathname === RAFT_PATH && store) return store.node.transport.accept(req, srv);
        return new Response("not found", { status: 404 });
      },
      websocket: websocketHandlers,
    });
    const url = `http://127.0.0.1:${server.port}`;
    try {
      store = await RaftStore.open({ ...base, stateDbPath: join(dir, "state.db"), raftDbPath: join(dir, "raft.db"), memberId: id, clusterId, joinSecret: secret, name, url, mode, peers });
    } catch (err) {
      server.stop(true);
      throw err;
    }
    const m: Member = {
      name,
      dir,
      url,
      id,
      store,
      server,
      running: true,
      async stop() {
        if (!m.running) return;
        m.running = false;
        await m.store.close();
        m.server.stop(true);
      },
      async crash() {
        if (!m.running) return;
        m.running = false;
        m.server.stop(true);
        await m.store.node.stop({ transfer: false });
        await m.store.close();
      },
    };
    return m;
  };

  const cluster: InProcessCluster = {
    clusterId,
    secret,
    root,
    members,
    leader: () => members.find((m) => m.running && m.store.node.isLeader),
    async waitLeader(timeoutMs = 10_000) {
      await waitUntil(() => cluster.leader() !== undefined, timeoutMs, "a leader");
      return cluster.leader()!;
    },
    async add(name = `m${members.length + 1}`) {
      const leader = await cluster.waitLeader();
      const dir = join(root, name);
      const port = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
      const p = port.port;
      port.stop(true);
      const rec = await leader.store.addMember(name, `http://127.0.0.1:${p}`);
      const m = await launch(name, rec.id, dir, "join", new Map([[leader.id, leader.url]]), p);
      members.push(m);
      return m;
    },
    async restart(old) {
      if (old.running) throw new Error(`${old.name} is running`);
      const port = Number(new URL(old.url).port);
      const m = await launch(old.name, old.id, old.dir, "join", new Map(), port);
      members[members.indexOf(old)] = m;
      return m;
    },
    async stop() {
      for (const m of members) {
        try {
          await m.stop();
        } catch {
          /* keep stopping the others */
        }
      }
      rmSync(root, { recursive: true, force: true });
    },
  };

  try {
    const first = await launch("m1", newMemberId(), join(root, "m1"), "bootstrap", new Map());
    members.push(first);
    for (let i = 1; i < n; i++) await cluster.add();
    if (n > 1) {
      await waitUntil(() => first.store.node.confState.voters.length === n || (cluster.leader()?.store.node.confState.voters.length ?? 0) === n, 20_000, `${n} voters`);
      // Every member has applied the membership (and its own record).
      await waitUntil(() => members.every((m) => m.store.members().length === n), 10_000, "member records everywhere");
    }
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}
