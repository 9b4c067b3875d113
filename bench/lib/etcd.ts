/**
 * @module bench/lib/etcd
 * Starts and stops a real single-node etcd (Debian's etcd-server 3.4) on
 * loopback, with its own temporary data dir, for side-by-side benchmarks.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface EtcdHandle {
  /** Client URL, e.g. http://127.0.0.1:23790 */
  url: string;
  pid: number;
  version: string;
  /** CPU seconds (user+system) the etcd process has used so far. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (bound and released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** CPU seconds of a process from /proc (Linux; clock ticks assumed 100/s). */
export function procCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

export async function startEtcd(opts: { binary?: string; quotaBytes?: number } = {}): Promise<EtcdHandle> {
  const binary = opts.binary ?? "/usr/bin/etcd";
  const version = (await new Response(Bun.spawn([binary, "--version"], { stdout: "pipe" }).stdout).text()).split("\n")[0]!.replace("etcd Version: ", "");
  const dataDir = mkdtempSync(join(tmpdir(), "kite-bench-etcd-"));
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const proc = Bun.spawn(
    [
      binary,
      "--name", "s1",
      "--data-dir", join(dataDir, "data"),
      "--listen-client-urls", url,
      "--advertise-client-urls", url,
      "--listen-peer-urls", peer,
      "--initial-advertise-peer-urls", peer,
      "--initial-cluster", `s1=${peer}`,
      "--quota-backend-bytes", String(opts.quotaBytes ?? 8 * 1024 ** 3),
      "--logger", "zap",
      "--log-level", "error",
    ],
    { stdout: "ignore", stderr: "pipe" },
  );
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill("SIGTERM");
      const done = await Promise.race([proc.exited.then(() => true), Bun.sleep(5000).then(() => false)]);
      if (!done) {
        proc.kill("SIGKILL");
        await proc.exited;
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const res = await fetch(`${url}/health`);
      const body = (await res.json()) as { health?: string };
      if (body.health === "true") break;
    } catch {
      // not up yet
    }
    if (proc.exitCode !== null || Date.now() > deadline) {
      const err = proc.exitCode !== null ? await new Response(proc.stderr).text() : "timeout";
      await stop();
      throw new Error(`etcd did not become healthy: ${err.slice(0, 2000)}`);
    }
    await Bun.sleep(100);
  }
  return { url, pid: proc.pid, version, cpuSeconds: () => procCpuSeconds(proc.pid), stop };
}
