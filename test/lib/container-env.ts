/**
 * @module test/lib/container-env
 * Test set-up for real container engines on this sandbox (see
 * shared/reference/environment.md). These quirks stay in tests, never in
 * kite's defaults: a stock podman or docker needs none of them.
 *
 *  - podmanTestEnv(): a private containers.conf (runc, cgroupfs, file events,
 *    ulimits within this host's hard limits) → {env: {CONTAINERS_CONF}}.
 *  - startDockerd(): a private dockerd on its own socket, data/exec roots and
 *    its own bridge (so several can run at once and none touches docker0 or
 *    iptables) → {env: {DOCKER_HOST}, stop()}. stop() removes its containers,
 *    stops the daemon (SIGKILL if it lingers, plus its containerd and shims),
 *    unmounts leftovers and deletes its dirs and bridge, even after failures.
 */
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface PodmanTestEnv {
  env: Record<string, string>;
  dir: string;
  cleanup(): void;
}

function hardLimit(name: "Max open files" | "Max processes"): number {
  const line = readFileSync("/proc/self/limits", "utf8")
    .split("\n")
    .find((l) => l.startsWith(name));
  const hard = line?.slice(26).trim().split(/\s+/)[1];
  return hard && /^\d+$/.test(hard) ? Number(hard) : Number.POSITIVE_INFINITY;
}

/** The containers.conf text used by tests on this machine. */
export function testContainersConf(): string {
  const nofile = Math.min(10000, hardLimit("Max open files"));
  const nproc = Math.min(8192, hardLimit("Max processes"));
  const lines = ["[containers]", `default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]`, "[engine]"];
  // crun fails on this host's cgroup v1/v2 hybrid; runc works.
  if (existsSync("/usr/bin/runc") || existsSync("/usr/sbin/runc")) lines.push('runtime = "runc"');
  lines.push('cgroup_manager = "cgroupfs"', 'events_logger = "file"');
  return `${lines.join("\n")}\n`;
}

/** Writes the test containers.conf into a fresh temp dir. cleanup() deletes it. */
export function podmanTestEnv(): PodmanTestEnv {
  const dir = mkdtempSync("/tmp/kite-podman-");
  const conf = join(dir, "containers.conf");
  writeFileSync(conf, testContainersConf());
  return {
    env: { CONTAINERS_CONF: conf },
    dir,
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Dockerd {
  env: { DOCKER_HOST: string };
  /** The daemon's private dir (socket, roots, log). */
  dir: string;
  bridge: string;
  /** Pod subnet of the private bridge, e.g. "10.231.7.0/24". */
  subnet: string;
  pid: number;
  /** Removes every container, stops the daemon and deletes everything it made. Safe to call twice. */
  stop(): Promise<void>;
}

async function sh(cmd: string[], env?: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  const p = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe", stdin: "ignore", env: { ...process.env, ...env } });
  const timer = setTimeout(() => p.kill("SIGKILL"), 30_000);
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  clearTimeout(timer);
  return { code, out, err };
}

function pickSubnet(): string {
  const used = new Set<string>();
  const routes = Bun.spawnSync(["ip", "-4", "route", "show"]).stdout.toString();
  for (const m of routes.matchAll(/\b10\.(\d+)\.(\d+)\./g)) used.add(`${m[1]}.${m[2]}`);
  for (let i = 0; i < 200; i++) {
    const a = 200 + Math.floor(Math.random() * 55);
    const b = Math.floor(Math.random() * 256);
    if (!used.has(`${a}.${b}`)) return `10.${a}.${b}`;
  }
  throw new Error("no free 10.x.y.0/24 subnet for a test dockerd bridge");
}

function pidsMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, "utf8").includes(text)) pids.push(Number(d));
    } catch {
      /* exited */
    }
  }
  return pids;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ");
  } catch {
    return false;
  }
}

function unmountUnder(dir: string): void {
  const mounts = readFileSync("/proc/self/mounts", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[1]?.replace(/\\040/g, " "))
    .filter((m): m is string => !!m && (m === dir || m.startsWith(`${dir}/`)))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) Bun.spawnSync(["umount", "-l", m]);
}

/**
 * Starts a private dockerd and waits until it answers (about 1–2 s).
 * Rejects (after cleaning up) if it does not come up within `timeoutMs`.
 */
export async function startDockerd(opts: { timeoutMs?: number } = {}): Promise<Dockerd> {
  // Short path: the daemon's unix sockets must stay under 108 bytes.
  const dir = mkdtempSync("/tmp/kd-");
  const tag = dir.slice(-6).replace(/[^a-zA-Z0-9]/g, "x");
  const bridge = `kd${tag}`.slice(0, 15);
  const net = pickSubnet();
  const sock = join(dir, "docker.sock");
  const log = join(dir, "dockerd.log");
  writeFileSync(join(dir, "daemon.json"), "{}\n");

  let proc: ReturnType<typeof Bun.spawn> | null = null;
  let stopped = false;
  const onExit = () => {
    if (proc && alive(proc.pid)) process.kill(proc.pid, "SIGKILL");
  };

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.off("exit", onExit);
    const env = { DOCKER_HOST: `unix://${sock}` };
    try {
      if (proc && alive(proc.pid)) {
        const ids = await sh(["docker", "ps", "-aq"], env);
        const list = ids.out.split("\n").filter(Boolean);
        if (list.length) await sh(["docker", "rm", "-f", ...list], env);
        proc.kill("SIGTERM");
        const deadline = Date.now() + 10_000;
        while (alive(proc.pid) && Date.now() < deadline) await Bun.sleep(50);
        if (alive(proc.pid)) proc.kill("SIGKILL");
        await proc.exited;
      }
    } finally {
      // containerd and shims started for this daemon carry our dir in their command line.
      for (let round = 0; round < 20; round++) {
        const left = pidsMentioning(dir).filter(alive);
        if (left.length === 0) break;
        for (const p of left) {
          try {
            process.kill(p, round < 5 ? "SIGTERM" : "SIGKILL");
          } catch {
            /* gone */
          }
        }
        await Bun.sleep(100);
      }
      unmountUnder(dir);
      rmSync(dir, { recursive: true, force: true });
      Bun.spawnSync(["ip", "link", "del", bridge]);
    }
  };

  try {
    const mk = [
      ["ip", "link", "add", "name", bridge, "type", "bridge"],
      ["ip", "addr", "add", `${net}.1/24`, "dev", bridge],
      ["ip", "link", "set", bridge, "up"],
    ];
    for (const c of mk) {
      const r = await sh(c);
      if (r.code !== 0) throw new Error(`${c.join(" ")}: ${r.err.trim()}`);
    }
    const logFd = openSync(log, "w");
    proc = Bun.spawn(
      [
        "dockerd",
        "--host", `unix://${sock}`,
        "--data-root", join(dir, "root"),
        "--exec-root", join(dir, "exec"),
        "--pidfile", join(dir, "dockerd.pid"),
        "--config-file", join(dir, "daemon.json"),
        "--bridge", bridge,
        // Leave the host firewall alone (and other dockerds' rules): published ports use docker-proxy.
        "--iptables=false",
        "--ip-masq=false",
        "--ip-forward=false",
        "--userland-proxy=true",
      ],
      { stdout: logFd, stderr: logFd, stdin: "ignore" },
    );
    closeSync(logFd);
    process.on("exit", onExit);
    const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
    for (;;) {
      if (!alive(proc.pid)) throw new Error(`dockerd exited early:\n${readTail(log)}`);
      const r = await sh(["docker", "version", "--format", "{{.Server.Version}}"], { DOCKER_HOST: `unix://${sock}` });
      if (r.code === 0 && r.out.trim()) break;
      if (Date.now() > deadline) throw new Error(`dockerd did not answer within ${opts.timeoutMs ?? 30_000} ms:\n${readTail(log)}`);
      await Bun.sleep(100);
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { env: { DOCKER_HOST: `unix://${sock}` }, dir, bridge, subnet: `${net}.0/24`, pid: proc.pid, stop };
}

function readTail(file: string): string {
  try {
    return readFileSync(file, "utf8").slice(-3000);
  } catch {
    return "(no log)";
  }
}
