/**
 * @module test/cluster/jepsen/network
 * Network faults between the fault test's servers, one direction at a time:
 * `block(from, to)` stops what `from` sends to `to`; `heal()` restores everything.
 *
 * - IptablesNetwork (root, iptables, cgroup v2): every server runs in its own cgroup
 *   (servers.ts), and a chain of this test's own, jumped to from OUTPUT, drops (or answers
 *   with a TCP reset) the packets that sockets of `from`'s cgroup send to `to`'s port on
 *   loopback. Real kernel-level partitions, including one-way ones; the test's clients are in
 *   no server's cgroup, so client traffic is never cut. A dropped link heals as TCP
 *   retransmits (stale messages arrive late, as on a real network); a reset one as the
 *   transport redials.
 * - HookNetwork: kite's fault endpoint (KITE_TEST_FAULTS=1, `POST /kite/v1/raft/faults`),
 *   which cuts a server's Raft links in both directions at once: no one-way blocks.
 *   Blocks are re-applied when a restarted server is ready (the endpoint's state is in memory).
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync } from "node:fs";
import { join } from "node:path";
import type { JepsenCluster, JepsenServer } from "./servers.ts";

export type BlockMode = "drop" | "reset";

/** What IptablesNetwork needs of a server. */
export type Endpoint = Pick<JepsenServer, "index" | "name" | "port" | "cgroupDir">;

export interface Network {
  readonly kind: "iptables" | "hook";
  /** Whether block(from, to) can leave to → from working. */
  readonly oneWay: boolean;
  block(from: JepsenServer, to: JepsenServer, mode?: BlockMode): Promise<void>;
  heal(): Promise<void>;
  /** Currently blocked links, as "from→to" names. */
  describe(): string;
  /** Removes everything this network installed. */
  close(): Promise<void>;
}

/** Thrown when the host cannot do iptables partitions (not root, no cgroup v2, no iptables). */
export class NetworkUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NetworkUnavailableError";
  }
}

function run(argv: string[]): { code: number; out: string } {
  const p = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe" });
  return { code: p.exitCode ?? -1, out: `${p.stdout.toString()}${p.stderr.toString()}`.trim() };
}

function must(argv: string[]): void {
  const r = run(argv);
  if (r.code !== 0) throw new Error(`${argv.join(" ")}: exit ${r.code}: ${r.out}`);
}

/** The cgroup v2 mount point, if any (pure v2 or the hybrid "unified" mount). */
function cgroup2Root(): string | null {
  for (const line of readFileSync("/proc/mounts", "utf8").split("\n")) {
    const f = line.split(" ");
    if (f[2] === "cgroup2" && f[1]) return f[1];
  }
  return null;
}

/**
 * Creates `<cgroup2 root>/<name>/s0..s{n-1}` for servers.ts and the iptables chain; throws
 * NetworkUnavailableError when the host cannot.
 */
export class IptablesNetwork implements Network {
  readonly kind = "iptables";
  readonly oneWay = true;
  readonly cgroupParent: string;
  private readonly relative: string;
  private readonly chain: string;
  private readonly links: string[] = [];

  private constructor(root: string, name: string, private readonly size: number) {
    this.relative = name;
    this.cgroupParent = join(root, name);
    this.chain = `KITE-JEPSEN-${process.pid}`.slice(0, 28);
  }

  static create(size: number): IptablesNetwork {
    if (process.getuid?.() !== 0) throw new NetworkUnavailableError("not root");
    const root = cgroup2Root();
    if (!root) throw new NetworkUnavailableError("no cgroup v2 mount");
    if (run(["iptables", "-V"]).code !== 0) throw new NetworkUnavailableError("no iptables");
    const net = new IptablesNetwork(root, `kite-jepsen-${process.pid}-${Date.now().toString(36)}`, size);
    openNetworks.add(net);
    // Last resort if a run is abandoned (test timeout, crash): no rule may outlive the test
    // process. Registered here, after servers.ts's hook, so the servers are killed first.
    if (!exitHooked) process.once("exit", closeAllNetworks);
    exitHooked = true;
    try {
      for (let i = 0; i < size; i++) mkdirSync(join(net.cgroupParent, `s${i}`), { recursive: true });
      must(["iptables", "-w", "-N", net.chain]);
      must(["iptables", "-w", "-I", "OUTPUT", "1", "-j", net.chain]);
    } catch (e) {
      void net.close();
      throw new NetworkUnavailableError(`cannot set up iptables partitions: ${(e as Error).message}`);
    }
    return net;
  }

  async block(from: Endpoint, to: Endpoint, mode: BlockMode = "drop"): Promise<void> {
    if (!from.cgroupDir) throw new Error(`${from.name} was not started in a cgroup`);
    const target = mode === "drop" ? ["-j", "DROP"] : ["-j", "REJECT", "--reject-with", "tcp-reset"];
    must(["iptables", "-w", "-A", this.chain, "-o", "lo", "-p", "tcp", "--dport", String(to.port), "-m", "cgroup", "--path", `${this.relative}/s${from.index}`, ...target]);
    this.links.push(`${from.name}→${to.name}(${mode})`);
  }

  async heal(): Promise<void> {
    must(["iptables", "-w", "-F", this.chain]);
    this.links.length = 0;
  }

  describe(): string {
    return this.links.join(", ") || "none";
  }

  async close(): Promise<void> {
    this.closeSync();
  }

  /** close() without awaiting (also used by the exit hook). */
  closeSync(): void {
    openNetworks.delete(this);
    run(["iptables", "-w", "-D", "OUTPUT", "-j", this.chain]);
    run(["iptables", "-w", "-F", this.chain]);
    run(["iptables", "-w", "-X", this.chain]);
    // A cgroup can only be removed once its processes are gone: give just-killed ones a moment.
    const dirs = [...Array.from({ length: this.size }, (_, i) => join(this.cgroupParent, `s${i}`)), this.cgroupParent];
    const deadline = Date.now() + 2000;
    for (const d of dirs) {
      while (existsSync(d)) {
        try {
          rmdirSync(d);
        } catch {
          if (Date.now() > deadline) break; // still populated: left behind (empty cgroups cost nothing)
          Bun.sleepSync(20);
        }
      }
    }
  }
}

const openNetworks = new Set<IptablesNetwork>();

/** Removes every iptables chain and cgroup still installed (for afterAll; stop the clusters first). */
export function closeAllNetworks(): void {
  for (const n of [...openNetworks]) n.closeSync();
}
let exitHooked = false;

/** Partitions through kite's test-only fault endpoint (needs KITE_TEST_FAULTS=1 on every server). */
export class HookNetwork implements Network {
  readonly kind = "hook";
  readonly oneWay = false;
  /** Blocked pairs (from index → set of to indices), re-applied after restarts. */
  private readonly blocked = new Map<number, Set<number>>();

  constructor(private readonly cluster: JepsenCluster) {}

  private async post(s: JepsenServer, body: { block?: string[]; unblock?: string[] }): Promise<void> {
    if (!s.alive || s.paused) return;
    try {
      const r = await s.request("POST", "/kite/v1/raft/faults", body, 3000);
      await r.arrayBuffer();
      if (r.status !== 200) throw new Error(`${s.name}: POST /kite/v1/raft/faults: HTTP ${r.status}`);
    } catch (e) {
      // A server that is down or starting has no links to cut; restarts re-apply (reapply()).
      if ((e as { code?: string }).code !== "ECONNREFUSED" && !(e instanceof DOMException)) throw e;
    }
  }

  /** Blocks both directions (the endpoint cannot do one), recorded at `from`. */
  async block(from: JepsenServer, to: JepsenServer): Promise<void> {
    const set = this.blocked.get(from.index) ?? new Set();
    set.add(to.index);
    this.blocked.set(from.index, set);
    await this.post(from, { block: [to.memberId!] });
  }

  async heal(): Promise<void> {
    const all = this.cluster.servers.map((s) => s.memberId!);
    this.blocked.clear();
    await Promise.all(this.cluster.servers.map((s) => this.post(s, { unblock: all })));
  }

  /** Re-applies the blocks of a server that restarted (its fault state was lost). */
  async reapply(s: JepsenServer): Promise<void> {
    const set = this.blocked.get(s.index);
    if (set?.size) await this.post(s, { block: [...set].map((i) => this.cluster.servers[i]!.memberId!) });
  }

  describe(): string {
    const parts: string[] = [];
    for (const [f, ts] of this.blocked) for (const t of ts) parts.push(`${this.cluster.servers[f]!.name}↔${this.cluster.servers[t]!.name}`);
    return parts.join(", ") || "none";
  }

  async close(): Promise<void> {
    this.blocked.clear();
  }
}
