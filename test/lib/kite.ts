/**
 * @module test/lib/kite
 * Starts real kite processes for tests: `kite server` / `kite agent` as child processes
 * (the compiled dist/kite when it exists and KITE_TEST_SOURCE is unset, else `bun
 * src/main.ts`), each with its own temp data dir and free loopback port, and helpers to
 * run kubectl against them. stop() sends SIGTERM, then SIGKILL, and removes the data dir.
 */
import { existsSync, mkdtempSync, rmSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { dirname } from "node:path";
import type { Subprocess } from "bun";

export const REPO = resolve(import.meta.dir, "../..");
const DIST = join(REPO, "dist", "kite");

export function kiteCommand(): string[] {
  // KITE_PROFILE_DIR: run from source under Bun's CPU profiler (a markdown profile per process
  // lands in that dir on exit), e.g. `KITE_PROFILE_DIR=/tmp/prof bun run bench:store`.
  const prof = process.env.KITE_PROFILE_DIR;
  if (prof) return [process.execPath, "--cpu-prof-md", `--cpu-prof-dir=${prof}`, join(REPO, "src", "main.ts")];
  if (!process.env.KITE_TEST_SOURCE && existsSync(DIST)) return [DIST];
  return [process.execPath, join(REPO, "src", "main.ts")];
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): number {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const p = s.port;
  s.stop(true);
  return p;
}

/** Directory of the versioned kubectl binaries (kubectl.1.27 ... kubectl.1.33). */
export function kubectlDir(): string | null {
  const k = Bun.which("kubectl");
  if (!k) return null;
  try {
    const real = Bun.spawnSync(["readlink", "-f", k]).stdout.toString().trim();
    return dirname(real);
  } catch {
    return null;
  }
}

export function kubectlBinary(version?: string): string {
  if (!version) return Bun.which("kubectl") ?? "kubectl";
  const dir = kubectlDir();
  const p = dir ? join(dir, `kubectl.${version}`) : "";
  if (!p || !existsSync(p)) throw new Error(`kubectl ${version} not found`);
  return p;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface KiteProcess {
  proc: Subprocess;
  dataDir: string;
  port: number;
  url: string;
  /** Log output so far (stdout+stderr). */
  log(): string;
  stop(signal?: NodeJS.Signals): Promise<number>;
  kill(): void;
}

export interface KiteServer extends KiteProcess {
  kubeconfig: string;
  token(): string;
  kubectl(args: string[], opts?: { version?: string; stdin?: string; timeoutMs?: number; env?: Record<string, string> }): Promise<KubectlResult>;
}

function spawnKite(args: string[], env: Record<string, string>, dataDir: string) {
  const logParts: string[] = [];
  const proc = Bun.spawn([...kiteCommand(), ...args], {
    env: { ...process.env, ...env },
    stdout: "pipe",
    stderr: "pipe",
    stdin: "ignore",
  });
  const pump = async (s: ReadableStream<Uint8Array> | undefined) => {
    if (!s) return;
    const dec = new TextDecoder();
    for await (const chunk of s) logParts.push(dec.decode(chunk));
  };
  void pump(proc.stdout as ReadableStream<Uint8Array>);
  void pump(proc.stderr as ReadableStream<Uint8Array>);
  const log = () => logParts.join("");
  let stopped = false;
  const stop = async (signal: NodeJS.Signals = "SIGTERM") => {
    if (!stopped) {
      stopped = true;
      proc.kill(signal);
      const t = setTimeout(() => proc.kill("SIGKILL"), 15_000);
      await proc.exited;
      clearTimeout(t);
    }
    return proc.exitCode ?? -1;
  };
  void dataDir;
  return { proc, log, stop, kill: () => proc.kill("SIGKILL") };
}

async function waitFor(cond: () => Promise<boolean> | boolean, timeoutMs: number, what: string, log?: () => string) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await cond()) return;
    await Bun.sleep(100);
  }
  throw new Error(`timed out waiting for ${what}${log ? `\n--- log ---\n${log().slice(-4000)}` : ""}`);
}

export interface ServerOptions {
  args?: string[];
  env?: Record<string, string>;
  dataDir?: string;
  port?: number;
  /** Keep the data dir on stop (for restart tests). */
  keepDataDir?: boolean;
  /** Run an agent inside the server (default: --disable-agent). */
  withAgent?: boolean;
  readyTimeoutMs?: number;
}

export async function startServer(opts: ServerOptions = {}): Promise<KiteServer> {
  const dataDir = opts.dataDir ?? mkdtempSync("/tmp/kite-test-");
  const port = opts.port ?? freePort();
  const kubeconfig = join(dataDir, "kubeconfig.yaml");
  const args = ["server", "--data-dir", dataDir, "--https-listen-port", String(port), "--bind-address", "127.0.0.1", "--node-ip", "127.0.0.1", "--write-kubeconfig", kubeconfig, "--node-name", `node-${port}`];
  if (!opts.withAgent) args.push("--disable-agent");
  args.push(...(opts.args ?? []));
  const p = spawnKite(args, opts.env ?? {}, dataDir);
  const url = `https://127.0.0.1:${port}`;
  const cacheDir = join(dataDir, "kubectl-cache");
  const server: KiteServer = {
    proc: p.proc,
    dataDir,
    port,
    url,
    kubeconfig,
    log: p.log,
    kill: p.kill,
    async stop(signal) {
      const code = await p.stop(signal);
      if (!opts.keepDataDir) rmSync(dataDir, { recursive: true, force: true });
      return code;
    },
    token: () => readFileSync(join(dataDir, "server", "token"), "utf8").trim(),
    async kubectl(kargs, o = {}) {
      const proc = Bun.spawn([kubectlBinary(o.version), "--kubeconfig", kubeconfig, "--cache-dir", cacheDir, ...kargs], {
        stdin: o.stdin !== undefined ? new TextEncoder().encode(o.stdin) : "ignore",
        stdout: "pipe",
        stderr: "pipe",
        env: { ...process.env, ...(o.env ?? {}) },
      });
      const t = setTimeout(() => proc.kill("SIGKILL"), o.timeoutMs ?? 60_000);
      const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
      clearTimeout(t);
      return { code, stdout, stderr };
    },
  };
  try {
    await waitFor(
      async () => {
        if (p.proc.exitCode !== null) throw new Error(`kite server exited with ${p.proc.exitCode}\n${p.log()}`);
        if (!existsSync(kubeconfig)) return false;
        try {
          const r = await fetch(`${url}/readyz`, { tls: { rejectUnauthorized: false } } as RequestInit);
          return r.status === 200;
        } catch {
          return false;
        }
      },
      opts.readyTimeoutMs ?? 30_000,
      "kite server ready",
      p.log,
    );
  } catch (e) {
    await server.stop("SIGKILL");
    throw e;
  }
  return server;
}

export interface AgentOptions {
  server: KiteServer;
  nodeName: string;
  args?: string[];
  env?: Record<string, string>;
  dataDir?: string;
  keepDataDir?: boolean;
}

export async function startAgent(opts: AgentOptions): Promise<KiteProcess> {
  const dataDir = opts.dataDir ?? mkdtempSync("/tmp/kite-agent-");
  const args = ["agent", "--server", opts.server.url, "--token", opts.server.token(), "--data-dir", dataDir, "--node-name", opts.nodeName, "--node-ip", "127.0.0.1", ...(opts.args ?? [])];
  const p = spawnKite(args, opts.env ?? {}, dataDir);
  return {
    proc: p.proc,
    dataDir,
    port: opts.server.port,
    url: opts.server.url,
    log: p.log,
    kill: p.kill,
    async stop(signal) {
      const code = await p.stop(signal);
      if (!opts.keepDataDir) rmSync(dataDir, { recursive: true, force: true });
      return code;
    },
  };
}

/** Admin bearer token of a server (for direct HTTPS calls in tests). */
export function adminToken(server: KiteServer): string {
  return readFileSync(join(server.dataDir, "server", "cred", "admin.token"), "utf8").trim();
}

/** fetch against the server with the admin token, TLS verified against the cluster CA. */
export async function api(server: KiteServer, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  const ca = readFileSync(join(server.dataDir, "server", "tls", "ca.crt"), "utf8");
  return fetch(server.url + path, {
    method,
    headers: { Authorization: `Bearer ${adminToken(server)}`, "Content-Type": "application/json", ...headers },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    tls: { ca },
  } as RequestInit);
}

export { waitFor };
