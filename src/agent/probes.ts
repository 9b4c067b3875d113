/**
 * @module agent/probes
 * Runs one probe or lifecycle-hook action against a container: exec (through the
 * engine), httpGet and tcpSocket (from the host to the pod's IP, which podman's and
 * docker's bridge networks make reachable). A pod without a reachable IP (rootless
 * engines) is probed from inside its network namespace instead: `nsenter --net` into
 * the container's namespace running this same executable as plain Bun
 * (BUN_BE_BUN=1) with a tiny script, so no tool inside the image or on the host is
 * needed besides nsenter. Results are never thrown: they are success or failure with
 * a message, as the kubelet reports them.
 */
import type { KObj } from "../client/client.ts";
import type { ContainerRuntime } from "./runtime/types.ts";

export type ProbeStatus = "success" | "failure";

export interface ProbeOutcome {
  status: ProbeStatus;
  /** Why it failed (or the output of a passing exec), for events. */
  message: string;
}

export interface ProbeTarget {
  runtime: ContainerRuntime;
  containerId: string;
  /** The container's spec (named ports). */
  container: KObj;
  /** Pod IP; "" when the pod has none reachable from the host. */
  podIP: string;
  hostNetwork: boolean;
  /** Pid of a process in the pod's network namespace, for the nsenter fallback. */
  pid: () => Promise<number>;
}

const OUTPUT_LIMIT = 10 * 1024;
const USER_AGENT = "kube-probe/1.32";

function resolvePort(port: unknown, container: KObj): number | null {
  if (typeof port === "number") return port;
  if (typeof port === "string" && /^\d+$/.test(port)) return Number(port);
  const named = ((container.ports ?? []) as KObj[]).find((p) => p.name === port);
  return named ? Number(named.containerPort) : null;
}

async function readLimited(s: ReadableStream<Uint8Array> | null): Promise<string> {
  if (!s) return "";
  const dec = new TextDecoder();
  let out = "";
  try {
    for await (const chunk of s) {
      if (out.length < OUTPUT_LIMIT) out += dec.decode(chunk, { stream: true });
    }
  } catch {
    /* the session was closed */
  }
  return out.slice(0, OUTPUT_LIMIT);
}

/**
 * Time the engine's CLI needs to get an exec going, on top of the probe's timeoutSeconds
 * (which Kubernetes means for the command itself): `podman exec` alone can take over a
 * second on a busy two-core machine, which would fail every default (1 s) exec probe.
 */
export const EXEC_STARTUP_ALLOWANCE_MS = 5000;

async function execAction(cmd: string[], t: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  let session;
  try {
    session = await t.runtime.exec(t.containerId, cmd);
  } catch (e) {
    return { status: "failure", message: (e as Error).message };
  }
  const out = Promise.all([readLimited(session.stdout), readLimited(session.stderr)]);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), timeoutMs)));
  try {
    const code = await Promise.race([session.exited, timeout]);
    if (code === "timeout") {
      session.close();
      return { status: "failure", message: `command ${JSON.stringify(cmd)} timed out` };
    }
    const [o, e] = await out;
    const text = (o + e).trim();
    if (code === 0) return { status: "success", message: text };
    return { status: "failure", message: text || `command ${JSON.stringify(cmd)} exited with ${code}` };
  } catch (e) {
    return { status: "failure", message: (e as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

export interface NetRequest {
  kind: "http" | "tcp";
  host: string;
  port: number;
  scheme?: string;
  path?: string;
  headers?: Record<string, string>;
  timeoutMs: number;
}

function hostFor(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

/** Runs an HTTP or TCP check from this process (host network namespace). */
export async function netCheck(r: NetRequest): Promise<ProbeOutcome> {
  if (r.kind === "tcp") {
    return new Promise<ProbeOutcome>((resolve) => {
      let done = false;
      const finish = (o: ProbeOutcome) => {
        if (!done) {
          done = true;
          clearTimeout(timer);
          resolve(o);
        }
      };
      const timer = setTimeout(() => finish({ status: "failure", message: `dial tcp ${r.host}:${r.port}: i/o timeout` }), r.timeoutMs);
      Bun.connect({
        hostname: r.host,
        port: r.port,
        socket: {
          open(s) {
            s.end();
            finish({ status: "success", message: "" });
          },
          data() {},
          error(_s, e) {
            finish({ status: "failure", message: `dial tcp ${r.host}:${r.port}: ${e.message}` });
          },
          connectError(_s, e) {
            finish({ status: "failure", message: `dial tcp ${r.host}:${r.port}: ${e.message}` });
          },
        },
      }).catch((e: Error) => finish({ status: "failure", message: `dial tcp ${r.host}:${r.port}: ${e.message}` }));
    });
  }
  const scheme = (r.scheme ?? "HTTP").toLowerCase();
  const path = r.path ? (r.path.startsWith("/") ? r.path : `/${r.path}`) : "/";
  const url = `${scheme}://${hostFor(r.host)}:${r.port}${path}`;
  try {
    const res = await fetch(url, {
      headers: { "User-Agent": USER_AGENT, Accept: "*/*", ...r.headers },
      redirect: "manual",
      signal: AbortSignal.timeout(r.timeoutMs),
      tls: { rejectUnauthorized: false },
    } as RequestInit);
    const body = (await res.text().catch(() => "")).slice(0, OUTPUT_LIMIT);
    if (res.status >= 200 && res.status < 400) return { status: "success", message: body };
    return { status: "failure", message: `HTTP probe failed with statuscode: ${res.status}` };
  } catch (e) {
    const err = e as Error;
    const why = err.name === "TimeoutError" ? "context deadline exceeded (Client.Timeout exceeded while awaiting headers)" : err.message;
    return { status: "failure", message: `Get "${url}": ${why}` };
  }
}

/**
 * The check run inside the pod's network namespace by the fallback: self-contained
 * (a compiled kite has no module file to import), printing one JSON ProbeOutcome.
 */
const NETNS_SCRIPT = `
const r = JSON.parse(process.argv[process.argv.length - 1]);
const out = (o) => { process.stdout.write(JSON.stringify(o)); process.exit(0); };
const host = r.host.includes(":") && !r.host.startsWith("[") ? "[" + r.host + "]" : r.host;
setTimeout(() => out({ status: "failure", message: "dial " + host + ":" + r.port + ": i/o timeout" }), r.timeoutMs);
if (r.kind === "tcp") {
  Bun.connect({ hostname: r.host, port: r.port, socket: {
    open(s) { s.end(); out({ status: "success", message: "" }); }, data() {},
    error(_s, e) { out({ status: "failure", message: "dial tcp " + host + ":" + r.port + ": " + e.message }); },
    connectError(_s, e) { out({ status: "failure", message: "dial tcp " + host + ":" + r.port + ": " + e.message }); },
  } }).catch((e) => out({ status: "failure", message: "dial tcp " + host + ":" + r.port + ": " + e.message }));
} else {
  const path = r.path ? (r.path.startsWith("/") ? r.path : "/" + r.path) : "/";
  const url = (r.scheme || "HTTP").toLowerCase() + "://" + host + ":" + r.port + path;
  fetch(url, { headers: { "User-Agent": "${USER_AGENT}", Accept: "*/*", ...(r.headers || {}) }, redirect: "manual", tls: { rejectUnauthorized: false } })
    .then(async (res) => {
      const body = (await res.text().catch(() => "")).slice(0, ${OUTPUT_LIMIT});
      out(res.status >= 200 && res.status < 400 ? { status: "success", message: body } : { status: "failure", message: "HTTP probe failed with statuscode: " + res.status });
    }, (e) => out({ status: "failure", message: "Get " + JSON.stringify(url) + ": " + e.message }));
}
`;

/**
 * Runs the check inside the network namespace of `pid` (nsenter + this executable as
 * Bun). Needs root (CAP_SYS_ADMIN) and nsenter from util-linux.
 */
export async function netCheckInNetns(pid: number, r: NetRequest): Promise<ProbeOutcome> {
  if (!pid) return { status: "failure", message: "the pod has no running process to probe from" };
  let proc;
  try {
    proc = Bun.spawn(["nsenter", `--target=${pid}`, "--net", "--", process.execPath, "-e", NETNS_SCRIPT, JSON.stringify(r)], {
      env: { ...process.env, BUN_BE_BUN: "1" },
      stdout: "pipe",
      stderr: "pipe",
      stdin: "ignore",
    });
  } catch (e) {
    return { status: "failure", message: `cannot run nsenter: ${(e as Error).message}` };
  }
  const timer = setTimeout(() => proc.kill("SIGKILL"), r.timeoutMs + 5000);
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  try {
    return JSON.parse(out) as ProbeOutcome;
  } catch {
    return { status: "failure", message: `probe in the pod's network namespace failed (exit ${code}): ${err.trim().split("\n").pop() ?? ""}` };
  }
}

/**
 * Runs a probe or handler action (exec / httpGet / tcpSocket / sleep) with a time limit.
 * Unknown action kinds fail.
 */
export async function runAction(action: KObj, t: ProbeTarget, timeoutMs: number, execAllowanceMs = EXEC_STARTUP_ALLOWANCE_MS): Promise<ProbeOutcome> {
  if (action.exec) return execAction(action.exec.command ?? [], t, timeoutMs + execAllowanceMs);
  if (action.sleep) {
    await Bun.sleep(Math.min(timeoutMs, Number(action.sleep.seconds ?? 0) * 1000));
    return { status: "success", message: "" };
  }
  const kind = action.httpGet ? "http" : action.tcpSocket ? "tcp" : null;
  if (!kind) return { status: "failure", message: "probe has no handler" };
  const a = action.httpGet ?? action.tcpSocket;
  const port = resolvePort(a.port, t.container);
  if (port === null || port < 1 || port > 65535) return { status: "failure", message: `unable to resolve port ${JSON.stringify(a.port)}` };
  const headers: Record<string, string> = {};
  for (const h of (a.httpHeaders ?? []) as KObj[]) headers[h.name] = h.value;
  const direct = a.host || t.podIP || (t.hostNetwork ? "127.0.0.1" : "");
  const req: NetRequest = { kind, host: direct || "127.0.0.1", port, scheme: a.scheme, path: a.path, headers, timeoutMs };
  if (direct) return netCheck(req);
  return netCheckInNetns(await t.pid().catch(() => 0), req);
}
