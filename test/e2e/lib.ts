/**
 * @module test/e2e/lib
 * One real kite cluster per test file: `kite server` with its built-in agent plus any
 * number of separate `kite agent` processes (each its own node, data dir and node name),
 * all running pods on the host's podman (or a private dockerd), driven by the real
 * kubectl. Scenarios run in their own namespaces.
 *
 * Clean-up (stop(), also after a failed start): agents and server stopped, then every
 * sandbox and container labelled with one of the cluster's node names removed from the
 * engine, and the temp dirs (data dirs, local-path volumes, manifests) deleted. Node
 * names carry a random run id, so nothing else on the shared engine is touched.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { createRuntime } from "../../src/agent/runtime/detect.ts";
import { type ContainerRuntime, LABELS } from "../../src/agent/runtime/types.ts";
import { KubeClient, type KObj } from "../../src/client/client.ts";
import { R } from "../../src/client/resources.ts";
import { podmanTestEnv, startDockerd } from "../lib/container-env.ts";
import { adminToken, type KiteProcess, type KiteServer, type KubectlResult, kubectlBinary, startAgent, startServer } from "../lib/kite.ts";
import { ensureTestImage, testImage } from "../lib/test-image.ts";

export const IMAGE_1 = testImage("1");
export const IMAGE_2 = testImage("2");

export type Engine = "podman" | "docker";

export interface E2EOptions {
  engine?: Engine;
  /** Extra `kite server` flags. */
  serverArgs?: string[];
  /** Names (suffixes) of separate `kite agent` processes to start, e.g. ["a1"]. */
  agents?: string[];
  /** Image tags to make sure of (default ["1"]). */
  imageTags?: string[];
}

export interface E2ECluster {
  engine: Engine;
  /** The running `kite server` (a new process after restartServer()). */
  readonly server: KiteServer;
  client: KubeClient;
  runtime: ContainerRuntime;
  /** Environment every kite process gets (CONTAINERS_CONF or DOCKER_HOST, local-path root). */
  env: Record<string, string>;
  /** The server's built-in agent's node. */
  serverNode: string;
  /** Separate agents by suffix: node name and process. */
  agents: Map<string, { node: string; proc: KiteProcess }>;
  tmp: string;
  kubectl(args: string[], opts?: { stdin?: string; timeoutMs?: number }): Promise<KubectlResult>;
  /** kubectl that must exit 0; returns stdout. */
  k(args: string[], opts?: { stdin?: string; timeoutMs?: number }): Promise<string>;
  /** A long-running kubectl (logs -f) with piped output. */
  spawnKubectl(args: string[]): Subprocess<"ignore", "pipe", "pipe">;
  /** `kubectl apply -f` of a manifest in a namespace. */
  apply(namespace: string, manifest: string): Promise<string>;
  /** Creates a namespace for one scenario. */
  namespace(name: string): Promise<string>;
  pods(namespace: string, labelSelector?: string): Promise<KObj[]>;
  /** Starts one more separate agent and waits for its node to be Ready. */
  addAgent(suffix: string): Promise<string>;
  /** SIGKILLs `kite server` and starts it again from its data dir on the same port; waits for its node to be Ready. */
  restartServer(): Promise<void>;
  /** Starts a stopped or killed agent again, same node name and data dir; waits for Ready. */
  restartAgent(suffix: string): Promise<void>;
  /** Diagnostics for a failed expectation: pods, events, the tails of the logs. */
  describe(namespace?: string): Promise<string>;
  stop(): Promise<void>;
}

export function runId(): string {
  return Math.random().toString(36).slice(2, 7);
}

export function clientFor(server: KiteServer): KubeClient {
  const ca = readFileSync(join(server.dataDir, "server", "tls", "ca.crt"), "utf8");
  return new KubeClient({
    baseUrl: server.url,
    token: adminToken(server),
    fetch: ((input: string | URL | Request, init?: RequestInit) => fetch(input, { ...init, tls: { ca } } as RequestInit)) as never,
    userAgent: "kite-e2e-test",
  });
}

/** Polls `fn` until it returns a truthy value; the error names what was awaited and the last failure. */
export async function until<T>(what: string, fn: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 90_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await Bun.sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
}

export function isReady(obj: KObj | undefined): boolean {
  return ((obj?.status?.conditions ?? []) as KObj[]).some((c) => c.type === "Ready" && c.status === "True");
}

/** Runs `fn` over `items`, `n` at a time. */
async function inParallel<T>(items: T[], n: number, fn: (x: T) => Promise<unknown>): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: Math.min(n, queue.length) }, async () => {
    for (let x = queue.shift(); x !== undefined; x = queue.shift()) await fn(x).catch(() => {});
  }));
}

/** Removes every sandbox and container of the given nodes from the engine (a few at a time). */
export async function cleanupNodes(rt: ContainerRuntime, nodes: string[]): Promise<void> {
  for (const node of nodes) {
    const filter = { [LABELS.nodeName]: node };
    await inParallel(await rt.listContainers(filter).catch(() => []), 4, (c) => rt.removeContainer(c.id));
    await inParallel(await rt.listSandboxes(filter).catch(() => []), 4, (s) => rt.removeSandbox(s.id));
  }
}

export async function startE2E(opts: E2EOptions = {}): Promise<E2ECluster> {
  const engine = opts.engine ?? "podman";
  const run = runId();
  const tmp = mkdtempSync(`/tmp/kite-e2e-${run}-`);
  const closers: (() => Promise<void> | void)[] = [() => rmSync(tmp, { recursive: true, force: true })];
  const nodes: string[] = [];
  let runtime: ContainerRuntime | null = null;
  let server: KiteServer | null = null;
  const agents = new Map<string, { node: string; proc: KiteProcess }>();

  const stop = async () => {
    for (const a of agents.values()) await a.proc.stop().catch(() => {});
    await server?.stop().catch(() => {});
    if (runtime) await cleanupNodes(runtime, nodes);
    for (const c of closers.reverse()) await Promise.resolve(c()).catch(() => {});
  };

  try {
    let engineEnv: Record<string, string>;
    if (engine === "podman") {
      const p = podmanTestEnv();
      engineEnv = p.env;
      closers.push(() => p.cleanup());
    } else {
      const d = await startDockerd();
      engineEnv = d.env;
      closers.push(() => d.stop());
    }
    for (const tag of opts.imageTags ?? ["1"]) await ensureTestImage({ engine, env: engineEnv, tag });
    runtime = createRuntime(engine, { env: engineEnv });
    const env = { ...engineEnv, KITE_LOCAL_PATH_ROOT: join(tmp, "storage") };
    const serverOpts = { withAgent: true, env, keepDataDir: true, args: ["--container-runtime", engine, ...(opts.serverArgs ?? [])], readyTimeoutMs: 60_000 };
    server = await startServer(serverOpts);
    const dataDir = server.dataDir;
    closers.push(() => rmSync(dataDir, { recursive: true, force: true }));
    let srv = server;
    const serverNode = `node-${srv.port}`;
    nodes.push(serverNode);
    const client = clientFor(srv);
    const cacheDir = join(tmp, "kubectl-cache");

    const kubectl = async (args: string[], o: { stdin?: string; timeoutMs?: number } = {}): Promise<KubectlResult> => {
      const proc = Bun.spawn([kubectlBinary(), "--kubeconfig", srv.kubeconfig, "--cache-dir", cacheDir, ...args], {
        stdin: o.stdin !== undefined ? new TextEncoder().encode(o.stdin) : "ignore",
        stdout: "pipe",
        stderr: "pipe",
      });
      const t = setTimeout(() => proc.kill("SIGKILL"), o.timeoutMs ?? 90_000);
      const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
      clearTimeout(t);
      return { code, stdout, stderr };
    };
    const k = async (args: string[], o?: { stdin?: string; timeoutMs?: number }) => {
      const r = await kubectl(args, o);
      if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed (${r.code}): ${r.stderr}${r.stdout}`);
      return r.stdout;
    };
    const nodeReady = (name: string) => until(`node ${name} Ready`, async () => isReady((await client.getOrNull(R.nodes, undefined, name)) ?? undefined), 90_000);

    const cluster: E2ECluster = {
      engine,
      get server() {
        return srv;
      },
      client,
      runtime,
      env,
      serverNode,
      agents,
      tmp,
      kubectl,
      k,
      spawnKubectl(args) {
        return Bun.spawn([kubectlBinary(), "--kubeconfig", srv.kubeconfig, "--cache-dir", cacheDir, ...args], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
      },
      async apply(namespace, manifest) {
        const file = join(tmp, `manifest-${runId()}.yaml`);
        writeFileSync(file, manifest);
        return k(["apply", "-n", namespace, "-f", file]);
      },
      async namespace(name) {
        await k(["create", "namespace", name]);
        // The ServiceAccount controller gives every namespace its default account; pods need it.
        await until(`default ServiceAccount in ${name}`, () => client.getOrNull(R.serviceaccounts, name, "default"), 30_000);
        return name;
      },
      async pods(namespace, labelSelector) {
        return ((await client.list(R.pods, namespace, { labelSelector })).items ?? []) as KObj[];
      },
      async addAgent(suffix) {
        const node = `e2e-${run}-${suffix}`;
        nodes.push(node);
        // The data dir outlives the process (restartAgent); stop() deletes it.
        const proc = await startAgent({ server: srv, nodeName: node, env, keepDataDir: true, args: ["--container-runtime", engine] });
        closers.push(() => rmSync(proc.dataDir, { recursive: true, force: true }));
        agents.set(suffix, { node, proc });
        await nodeReady(node).catch((e) => {
          throw new Error(`${(e as Error).message}\n--- agent log ---\n${proc.log().slice(-3000)}`);
        });
        return node;
      },
      async restartServer() {
        await srv.stop("SIGKILL");
        // Same data dir, port and node name: the same member, API endpoint and built-in agent.
        server = srv = await startServer({ ...serverOpts, dataDir, port: srv.port });
        await nodeReady(serverNode);
      },
      async restartAgent(suffix) {
        const old = agents.get(suffix);
        if (!old) throw new Error(`no agent ${suffix}`);
        if (old.proc.proc.exitCode === null && old.proc.proc.signalCode === null) throw new Error(`agent ${suffix} is still running`);
        const proc = await startAgent({ server: srv, nodeName: old.node, env, dataDir: old.proc.dataDir, keepDataDir: true, args: ["--container-runtime", engine] });
        agents.set(suffix, { node: old.node, proc });
        await nodeReady(old.node).catch((e) => {
          throw new Error(`${(e as Error).message}\n--- agent log ---\n${proc.log().slice(-3000)}`);
        });
      },
      async describe(namespace) {
        const parts: string[] = [];
        const get = await kubectl(["get", "pods,nodes", "-o", "wide", ...(namespace ? ["-n", namespace] : ["-A"])]);
        parts.push(get.stdout + get.stderr);
        if (namespace) {
          const ev = await kubectl(["get", "events", "-n", namespace, "--sort-by=.lastTimestamp"]);
          parts.push(ev.stdout.split("\n").slice(-40).join("\n"));
        }
        parts.push(`--- server log ---\n${srv.log().slice(-4000)}`);
        for (const [s, a] of agents) parts.push(`--- agent ${s} log ---\n${a.proc.log().slice(-2000)}`);
        return parts.join("\n");
      },
      stop,
    };
    await nodeReady(serverNode);
    for (const a of opts.agents ?? []) await cluster.addAgent(a);
    return cluster;
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * Watches pods of a namespace from now on and checks an invariant after every event (the
 * store's order), recording the first violation. stop() ends the watch.
 */
export function watchPods(client: KubeClient, namespace: string, labelSelector: string, check: (pods: KObj[]) => string | null) {
  const abort = new AbortController();
  const pods = new Map<string, KObj>();
  const violations: string[] = [];
  let events = 0;
  const done = (async () => {
    const list = await client.list(R.pods, namespace, { labelSelector });
    for (const p of list.items as KObj[]) pods.set(p.metadata.name, p);
    let rv: string = list.metadata.resourceVersion;
    while (!abort.signal.aborted) {
      try {
        for await (const ev of client.watch(R.pods, namespace, { labelSelector, resourceVersion: rv, allowWatchBookmarks: true }, abort.signal)) {
          if (ev.type === "ERROR") throw new Error(`watch error: ${JSON.stringify(ev.object)}`);
          rv = ev.object.metadata?.resourceVersion ?? rv;
          if (ev.type === "BOOKMARK") continue;
          events++;
          if (ev.type === "DELETED") pods.delete(ev.object.metadata.name);
          else pods.set(ev.object.metadata.name, ev.object);
          const v = check([...pods.values()]);
          if (v) violations.push(v);
        }
      } catch (e) {
        if (abort.signal.aborted) break;
        throw e;
      }
    }
  })();
  return {
    violations,
    events: () => events,
    async stop() {
      abort.abort();
      await done.catch((e) => {
        if (!abort.signal.aborted) throw e;
      });
    },
  };
}

/**
 * Incremental reader of a process's output: `until(pattern)` waits until the text read so
 * far matches (and consumes it); `rest()` reads to the end.
 */
export function streamReader(s: ReadableStream<Uint8Array>) {
  const reader = s.getReader();
  const dec = new TextDecoder();
  let acc = "";
  let ended = false;
  let pending: Promise<void> | null = null;
  const more = () =>
    (pending ??= reader.read().then(({ value, done }) => {
      pending = null;
      if (done) ended = true;
      else acc += dec.decode(value, { stream: true });
    }));
  return {
    async until(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(acc)) {
        if (ended) throw new Error(`stream ended before ${pattern}; got:\n${acc.slice(-2000)}`);
        const left = deadline - Date.now();
        if (left <= 0 || (await Promise.race([more().then(() => true), Bun.sleep(left).then(() => false)])) === false) {
          throw new Error(`timed out after ${timeoutMs} ms waiting for ${pattern}; got:\n${acc.slice(-2000)}`);
        }
      }
      const out = acc;
      acc = "";
      return out;
    },
    async rest(timeoutMs = 30_000): Promise<string> {
      const deadline = Date.now() + timeoutMs;
      while (!ended) {
        const left = deadline - Date.now();
        if (left <= 0 || (await Promise.race([more().then(() => true), Bun.sleep(left).then(() => false)])) === false) {
          throw new Error(`timed out after ${timeoutMs} ms waiting for the stream to end; got:\n${acc.slice(-2000)}`);
        }
      }
      const out = acc;
      acc = "";
      return out;
    },
    cancel() {
      void reader.cancel().catch(() => {});
    },
  };
}
