/**
 * @module agent/streaming
 * The agent's side of `kubectl logs/exec/attach/cp/port-forward`. The agent dials a tunnel
 * to EVERY server it knows (not only the one it uses for the API), so whichever server
 * receives the kubectl request can reach this node directly: no server-to-server
 * forwarding, no routing state, and a dead server costs only its own tunnels. The server
 * list is re-read periodically (it follows the cluster's membership).
 *
 * Entry points:
 *  - startTunnel(opts): dial and serve (what `kite agent` uses);
 *  - serveStream(stream, deps): answer one stream (for an in-process tunnel).
 */
import type { ContainerRuntime } from "../runtime/types.ts";
import { TunnelDialer } from "../../tunnel/dial.ts";
import type { TunnelStream } from "../../tunnel/mux.ts";
import { logger } from "../../util/log.ts";
import { serveExec } from "./exec.ts";
import { type PodLocator, runtimeLocator } from "./locator.ts";
import { serveLog } from "./log.ts";
import { servePortForward } from "./portforward.ts";
import { toRemoteStatus } from "./resolve.ts";

export { type PodLocator, runtimeLocator, bareContainerId, type ContainerInstances } from "./locator.ts";

const log = logger("agent/streaming");

export interface StreamingDeps {
  runtime: ContainerRuntime;
  locator: PodLocator;
}

/** The engine, or a getter for an engine detected later (null while none answers). */
export type RuntimeSource = ContainerRuntime | (() => ContainerRuntime | null);

/** Answers one stream opened by a server. Never throws. */
export function serveStream(stream: TunnelStream, deps: StreamingDeps): void {
  const r = stream.request;
  let run: Promise<void>;
  switch (r.kind) {
    case "log":
      run = serveLog(stream, deps.runtime, deps.locator);
      break;
    case "exec":
    case "attach":
      run = serveExec(stream, deps.runtime, deps.locator);
      break;
    case "portforward":
      run = servePortForward(stream, deps.locator);
      break;
  }
  run.catch((e) => {
    log.warn("stream failed", { kind: r.kind, pod: `${r.pod.namespace}/${r.pod.name}`, error: e as Error });
    if (stream.isOpen) stream.reset(toRemoteStatus(e).message);
  });
}

export interface TunnelAgentOptions {
  nodeName: string;
  /** Every server's base URL (https://host:port); a function is re-read every `refreshMs`. */
  servers: string[] | (() => string[]);
  /** The node's bearer token (its user must be system:node:<nodeName>). */
  token: string;
  /** Cluster CA to verify the servers. */
  caPem?: string;
  runtime: RuntimeSource;
  /** Defaults to the label-based locator over the runtime. */
  locator?: PodLocator;
  refreshMs?: number;
  /** Sees every stream before it is served (metrics, tests). */
  observe?: (s: TunnelStream) => void;
  /** Reconnect back-off bounds (defaults 500 ms … 30 s). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export interface TunnelAgent {
  /** Servers with a live tunnel now. */
  connectedServers(): string[];
  stop(): Promise<void>;
}

/**
 * The per-stream handler for a node: resolves the engine when the stream arrives (it may be
 * detected after the tunnel is up) and refuses with 503 while there is none.
 */
export function streamHandler(nodeName: string, runtime: RuntimeSource, locator?: PodLocator, observe?: (s: TunnelStream) => void): (s: TunnelStream) => void {
  let cached: { rt: ContainerRuntime; deps: StreamingDeps } | null = null;
  return (s) => {
    observe?.(s);
    const rt = typeof runtime === "function" ? runtime() : runtime;
    if (!rt) {
      s.reject({ code: 503, reason: "ServiceUnavailable", message: `the container runtime of node "${nodeName}" is not available` });
      return;
    }
    if (cached?.rt !== rt) cached = { rt, deps: { runtime: rt, locator: locator ?? runtimeLocator(rt, nodeName) } };
    serveStream(s, cached.deps);
  };
}

export function startTunnel(opts: TunnelAgentOptions): TunnelAgent {
  const onStream = streamHandler(opts.nodeName, opts.runtime, opts.locator, opts.observe);
  const dialers = new Map<string, TunnelDialer>();
  const list = () => [...new Set(typeof opts.servers === "function" ? opts.servers() : opts.servers)];
  const sync = () => {
    const want = new Set(list());
    for (const url of want) {
      if (dialers.has(url)) continue;
      const d = new TunnelDialer({
        url,
        token: opts.token,
        caPem: opts.caPem,
        minBackoffMs: opts.minBackoffMs,
        maxBackoffMs: opts.maxBackoffMs,
        onStream,
      });
      dialers.set(url, d.start());
    }
    for (const [url, d] of dialers) {
      if (want.has(url)) continue;
      dialers.delete(url);
      void d.stop();
    }
  };
  sync();
  const timer = typeof opts.servers === "function" ? setInterval(sync, opts.refreshMs ?? 30_000) : null;
  (timer as { unref?: () => void } | null)?.unref?.();
  return {
    connectedServers: () => [...dialers.values()].filter((d) => d.connected).map((d) => d.url),
    async stop() {
      if (timer) clearInterval(timer);
      const all = [...dialers.values()];
      dialers.clear();
      await Promise.all(all.map((d) => d.stop()));
    },
  };
}
