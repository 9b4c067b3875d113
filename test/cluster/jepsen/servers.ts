/**
 * @module test/cluster/jepsen/servers
 * The fault test's cluster: `kite server` processes started from the source tree (the test
 * must exercise the code in the tree, not a possibly stale dist/kite), each on a fixed
 * loopback port and data dir so it can be SIGKILLed, paused (SIGSTOP/SIGCONT) and restarted
 * in place. Each process may be started inside its own cgroup v2 group, which lets
 * network.ts drop its packets to chosen peers with iptables. Logs of every incarnation are
 * kept for the failure report. stop() kills every process and removes every data dir.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { freePort, REPO } from "../../lib/kite.ts";

export interface MemberInfo {
  id: number;
  name: string;
  url: string;
  role: "voter" | "learner";
  isLeader: boolean;
}

export class JepsenServer {
  readonly url: string;
  readonly name: string;
  proc: Subprocess | null = null;
  paused = false;
  /** Raft member ID (hex), once known. */
  memberId: string | null = null;
  private readonly logParts: string[] = [];
  private incarnation = 0;
  private caPem: string | null = null;
  private token: string | null = null;

  constructor(
    readonly index: number,
    readonly port: number,
    readonly dataDir: string,
    /** Absolute cgroup v2 directory to start the process in (null: the test's own). */
    readonly cgroupDir: string | null,
    private readonly env: Record<string, string>,
  ) {
    this.url = `https://127.0.0.1:${port}`;
    this.name = `jepsen-${index}`;
  }

  get alive(): boolean {
    return this.proc !== null && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Spawns `kite server` (join args only the first time; later starts resume from the data dir). */
  spawn(extraArgs: string[] = []): void {
    if (this.alive) throw new Error(`${this.name} is already running`);
    const cmd = [
      process.execPath,
      join(REPO, "src", "main.ts"),
      "server",
      "--data-dir", this.dataDir,
      "--https-listen-port", String(this.port),
      "--bind-address", "127.0.0.1",
      "--node-ip", "127.0.0.1",
      "--node-name", this.name,
      "--write-kubeconfig", join(this.dataDir, "kubeconfig.yaml"),
      "--disable-agent",
      ...extraArgs,
    ];
    // The shell moves itself into the cgroup, then becomes kite (same pid): every socket kite opens belongs to that cgroup.
    const argv = this.cgroupDir ? ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', join(this.cgroupDir, "cgroup.procs"), ...cmd] : cmd;
    const n = ++this.incarnation;
    this.logParts.push(`\n===== ${new Date().toISOString()} ${this.name} incarnation ${n}: ${cmd.slice(2).join(" ")}\n`);
    const proc = Bun.spawn(argv, { env: { ...process.env, ...this.env }, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
    this.proc = proc;
    this.paused = false;
    const pump = async (s: ReadableStream<Uint8Array>) => {
      const dec = new TextDecoder();
      try {
        for await (const chunk of s) this.logParts.push(dec.decode(chunk));
      } catch {
        /* the process died */
      }
    };
    void pump(proc.stdout as ReadableStream<Uint8Array>);
    void pump(proc.stderr as ReadableStream<Uint8Array>);
    void proc.exited.then((code) => this.logParts.push(`\n===== ${new Date().toISOString()} ${this.name} incarnation ${n} exited: ${proc.signalCode ?? code}\n`));
  }

  /** SIGKILL, and wait until the process is gone. */
  async kill(): Promise<void> {
    const p = this.proc;
    if (!p || !this.alive) return;
    p.kill("SIGKILL");
    await p.exited;
    this.paused = false;
  }

  pause(): void {
    if (this.alive && !this.paused) {
      this.proc!.kill("SIGSTOP");
      this.paused = true;
    }
  }

  resume(): void {
    if (this.alive && this.paused) {
      this.proc!.kill("SIGCONT");
      this.paused = false;
    }
  }

  log(): string {
    return this.logParts.join("");
  }

  /** CA and admin token (read once the server wrote them). */
  credentials(): { ca: string; token: string } {
    this.caPem ??= readFileSync(join(this.dataDir, "server", "tls", "ca.crt"), "utf8");
    this.token ??= readFileSync(join(this.dataDir, "server", "cred", "admin.token"), "utf8").trim();
    return { ca: this.caPem, token: this.token };
  }

  /** An admin request to this server, with a deadline; a fresh connection each time. */
  async request(method: string, path: string, body?: unknown, timeoutMs = 5000, contentType = "application/json"): Promise<Response> {
    const { ca, token } = this.credentials();
    return fetch(this.url + path, {
      method,
      headers: { Authorization: `Bearer ${token}`, "Content-Type": contentType },
      body: body === undefined ? undefined : JSON.stringify(body),
      tls: { ca },
      keepalive: false,
      signal: AbortSignal.timeout(timeoutMs),
    } as RequestInit);
  }

  /** Whether /readyz answers 200 now. */
  async ready(timeoutMs = 2000): Promise<boolean> {
    if (!this.alive || this.paused) return false;
    try {
      const r = await fetch(`${this.url}/readyz`, { tls: { rejectUnauthorized: false }, keepalive: false, signal: AbortSignal.timeout(timeoutMs) } as RequestInit);
      await r.arrayBuffer();
      return r.status === 200;
    } catch {
      return false;
    }
  }

  async members(timeoutMs = 3000): Promise<MemberInfo[]> {
    const r = await this.request("GET", "/kite/v1/members", undefined, timeoutMs);
    if (!r.ok) throw new Error(`${this.name}: GET /kite/v1/members: HTTP ${r.status} ${await r.text()}`);
    return ((await r.json()) as { members: MemberInfo[] }).members;
  }
}

export interface JepsenClusterOptions {
  size: number;
  /** Extra environment for every server. */
  env?: Record<string, string>;
  /** Per-server extra environment (by index). */
  envFor?: (index: number) => Record<string, string>;
  /** Parent cgroup v2 directory: each server gets `<dir>/s<index>` (see network.ts). */
  cgroupParent?: string | null;
  readyTimeoutMs?: number;
}

async function until(cond: () => Promise<boolean>, timeoutMs: number, what: string, stepMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await cond()) return;
    await Bun.sleep(stepMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export class JepsenCluster {
  private constructor(
    readonly servers: JepsenServer[],
    private readonly root: string,
  ) {}

  /** Starts `size` servers: the first with --cluster-init, the others join it; waits for all to be voters. */
  static async start(o: JepsenClusterOptions): Promise<JepsenCluster> {
    const root = mkdtempSync("/tmp/kite-jepsen-");
    const servers: JepsenServer[] = [];
    for (let i = 0; i < o.size; i++) {
      const dir = join(root, `s${i}`);
      servers.push(new JepsenServer(i, freePort(), dir, o.cgroupParent ? join(o.cgroupParent, `s${i}`) : null, { ...o.env, ...o.envFor?.(i) }));
    }
    const c = new JepsenCluster(servers, root);
    liveClusters.add(c);
    const readyMs = o.readyTimeoutMs ?? 60_000;
    try {
      const first = servers[0]!;
      first.spawn(["--cluster-init"]);
      await c.waitReady(first, readyMs);
      const token = readFileSync(join(first.dataDir, "server", "token"), "utf8").trim();
      for (const s of servers.slice(1)) {
        s.spawn(["--server", first.url, "--token", token]);
        await c.waitReady(s, readyMs);
      }
      await until(
        async () => {
          try {
            const ms = await first.members();
            return ms.length === o.size && ms.every((m) => m.role === "voter");
          } catch {
            return false;
          }
        },
        readyMs,
        `${o.size} voting members`,
      );
      const ms = await first.members();
      for (const s of servers) s.memberId = ms.find((m) => m.url === s.url)!.id.toString(16);
    } catch (e) {
      await c.stop();
      throw e;
    }
    return c;
  }

  async waitReady(s: JepsenServer, timeoutMs: number): Promise<void> {
    await until(
      async () => {
        if (!s.alive) throw new Error(`${s.name} exited (${s.proc?.signalCode ?? s.proc?.exitCode})\n${s.log().slice(-4000)}`);
        return s.ready();
      },
      timeoutMs,
      `${s.name} ready`,
    ).catch((e: Error) => {
      throw new Error(`${e.message}\n--- ${s.name} log ---\n${s.log().slice(-4000)}`);
    });
  }

  /** The server that a live, unpaused member names as leader, if any answers within `timeoutMs`. */
  async leader(timeoutMs = 3000): Promise<JepsenServer | undefined> {
    const deadline = Date.now() + timeoutMs;
    do {
      for (const s of this.servers) {
        if (!s.alive || s.paused) continue;
        try {
          const lead = (await s.members(1000)).find((m) => m.isLeader);
          const found = lead && this.servers.find((x) => x.url === lead.url);
          if (found) return found;
        } catch {
          /* starting, partitioned or overloaded */
        }
      }
      await Bun.sleep(100);
    } while (Date.now() < deadline);
    return undefined;
  }

  /** Restarts a killed server from its data dir (does not wait for it to be ready). */
  restart(s: JepsenServer): void {
    if (!s.alive) s.spawn();
  }

  /** Writes each server's log (all incarnations) into `dir`; returns the paths. */
  saveLogs(dir: string): string[] {
    return this.servers.map((s) => {
      const p = join(dir, `${s.name}.log`);
      writeFileSync(p, s.log());
      return p;
    });
  }

  async stop(): Promise<void> {
    liveClusters.delete(this);
    for (const s of this.servers) s.resume();
    await Promise.all(this.servers.map((s) => s.kill()));
    rmSync(this.root, { recursive: true, force: true });
  }

  /** stop() without waiting for the processes to be reaped (the exit hook). */
  stopSync(): void {
    liveClusters.delete(this);
    for (const s of this.servers) if (s.alive) s.proc!.kill("SIGKILL");
    rmSync(this.root, { recursive: true, force: true });
  }

  /** Stops every cluster still running (for afterAll, when a run was abandoned by a timeout). */
  static async stopAll(): Promise<void> {
    await Promise.all([...liveClusters].map((c) => c.stop()));
  }
}

const liveClusters = new Set<JepsenCluster>();
// Last resort if the test process ends with clusters still up: no kite process may outlive it.
process.once("exit", () => {
  for (const c of [...liveClusters]) c.stopSync();
});
