/**
 * @module bench/lib/kite-cluster
 * The 3-server mode of bench:store (`--servers 3`): three real `kite server` processes
 * (test/lib/kite-cluster.ts: --cluster-init, then two joining with the token), written
 * over HTTPS through the Raft leader's API server, side by side with a 3-member etcd 3.4
 * cluster written through its leader's JSON gateway (perf-baselines.md §3 "to leader").
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { adminToken } from "../../test/lib/kite.ts";
import { startCluster } from "../../test/lib/kite-cluster.ts";
import type { KiteApiTarget } from "./drivers.ts";
import { freePort, procCpuSeconds } from "./etcd.ts";

/** Three kite servers; the target URL is the Raft leader's (as etcd is driven through its leader). */
export async function startKiteCluster(n = 3): Promise<KiteApiTarget> {
  const c = await startCluster(n);
  try {
    const leader = await c.leader();
    return {
      urls: [leader.url],
      token: adminToken(leader),
      caPem: readFileSync(join(leader.dataDir, "server", "tls", "ca.crt"), "utf8"),
      pids: c.servers.map((s) => s.proc.pid),
      stop: () => c.stop(),
      describe: `${n} kite servers (--disable-agent) in one Raft cluster on loopback, writes to the leader's API`,
    };
  } catch (e) {
    await c.stop();
    throw e;
  }
}

// ---- etcd 3-member cluster ----

export interface EtcdClusterHandle {
  /** Client URL of the leader. */
  url: string;
  /** The leader's process. */
  pid: number;
  version: string;
  cpuSeconds(): number;
  stop(): Promise<void>;
}

/** Three etcd 3.4 members on loopback with default timing (as in perf-baselines.md §3). */
export async function startEtcdCluster(n = 3, binary = "/usr/bin/etcd"): Promise<EtcdClusterHandle> {
  const version = (await new Response(Bun.spawn([binary, "--version"], { stdout: "pipe" }).stdout).text()).split("\n")[0]!.replace("etcd Version: ", "");
  const root = mkdtempSync(join(tmpdir(), "kite-bench-etcd3-"));
  const members = [];
  for (let i = 1; i <= n; i++) members.push({ name: `m${i}`, client: `http://127.0.0.1:${await freePort()}`, peer: `http://127.0.0.1:${await freePort()}`, pid: 0 });
  const initial = members.map((m) => `${m.name}=${m.peer}`).join(",");
  const procs = members.map((m) =>
    Bun.spawn(
      [binary, "--name", m.name, "--data-dir", join(root, m.name), "--listen-client-urls", m.client, "--advertise-client-urls", m.client,
        "--listen-peer-urls", m.peer, "--initial-advertise-peer-urls", m.peer, "--initial-cluster", initial, "--initial-cluster-state", "new",
        "--quota-backend-bytes", String(8 * 1024 ** 3), "--logger", "zap", "--log-level", "error"],
      { stdout: "ignore", stderr: "ignore" },
    ),
  );
  const stop = async () => {
    for (const p of procs) p.kill("SIGTERM");
    await Promise.race([Promise.all(procs.map((p) => p.exited)), Bun.sleep(5000)]);
    for (const p of procs) p.kill("SIGKILL");
    await Promise.all(procs.map((p) => p.exited));
    rmSync(root, { recursive: true, force: true });
  };
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      let leader: (typeof members)[number] | undefined;
      for (const m of members) {
        try {
          const st = (await (await fetch(`${m.client}/v3/maintenance/status`, { method: "POST", body: "{}" })).json()) as { header?: { member_id?: string }; leader?: string };
          if (st.leader && st.header?.member_id === st.leader) leader = m;
        } catch {
          /* starting */
        }
      }
      if (leader) return { url: leader.client, pid: procs[members.indexOf(leader)]!.pid, version, cpuSeconds: () => procs.reduce((s, p) => s + procCpuSeconds(p.pid), 0), stop };
      if (Date.now() > deadline) throw new Error("etcd cluster did not elect a leader");
      await Bun.sleep(100);
    }
  } catch (e) {
    await stop();
    throw e;
  }
}
