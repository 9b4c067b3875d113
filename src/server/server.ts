/**
 * @module server/server
 * `kite server`: brings up, in order, the PKI, the state store, the API server on one
 * HTTPS port, the cluster's bootstrap objects, the control loops (scheduler and
 * controllers) and, unless disabled, an in-process agent; and tears them down in reverse.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { ServerConfig } from "../cli/config.ts";
import { logger, setLogLevel } from "../util/log.ts";
import { serverPaths } from "./paths.ts";
import { onShutdownSignals } from "./signals.ts";
import { loadOrCreateCA } from "../pki/ca.ts";
import { ensureServingCert, startRenewal, type RenewalHandle } from "../pki/serving.ts";
import { RenewableTlsServer } from "../pki/tls-server.ts";
import { writeKubeconfig } from "../pki/kubeconfig.ts";
import type { Store } from "../store/types.ts";
import { RaftStore } from "../cluster/raft-store.ts";
import { openClusterStore, planCluster } from "./cluster.ts";
import { mountClusterRoutes } from "./cluster-routes.ts";
import { watchNodeRemovals } from "./node-removal.ts";
import { startPeerListener } from "./peer-listener.ts";
import { Catalog } from "../api/registry/catalog.ts";
import { createApiApp, websocketHandlers, type HealthCheck } from "../api/app.ts";
import { Authenticator, ADMIN_USER, putCredential } from "../api/auth/authn.ts";
import { loadSecrets, type ClusterSecrets } from "./secrets.ts";
import { bootstrapCluster, removeEndpointAddress, systemContext } from "./bootstrap.ts";
import { installApiExtensions } from "./api-extensions.ts";
import { ServiceAccountTokens } from "./service-accounts.ts";
import { builtinResources } from "../api/resources/index.ts";
import { systemPriorityClasses } from "../api/resources/index.ts";
import { attachSubresources } from "./subresources.ts";
import { mountJoinRoutes } from "./join.ts";
// --- streaming (logs/exec/attach/port-forward over agent tunnels; owner: api/streaming) ---
import { mountTunnelRoute, podStreamingSubresources, TunnelRegistry } from "../api/streaming/index.ts";
import { startTunnel } from "../agent/streaming/index.ts";
// --- end streaming ---
import { KubeClient } from "../client/client.ts";
import { ControllerManager } from "../controllers/manager.ts";
import { builtinControllers } from "../controllers/index.ts";
import { schedulerController } from "../scheduler/index.ts";
import { nodeUser } from "../api/auth/authn.ts";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../pki/files.ts";
import { randomBearerToken } from "../pki/token.ts";
import { KITE_VERSION } from "../version.ts";

const log = logger("server");

export interface RunningServer {
  url: string;
  port: number;
  store: Store;
  catalog: Catalog;
  secrets: ClusterSecrets;
  stop(): Promise<void>;
}

export const SERVICE_CIDR = "10.43.0.0/16";
export const KUBERNETES_SERVICE_IP = "10.43.0.1";

export async function startServer(cfg: ServerConfig): Promise<RunningServer> {
  setLogLevel(cfg.debug ? "debug" : "info");
  const paths = serverPaths(cfg.dataDir);
  for (const d of [paths.server, paths.tls, paths.db, dirname(paths.adminToken)]) mkdirSync(d, { recursive: true, mode: 0o700 });

  // 0. Cluster membership: resume, join (fetches the cluster's CA and keys) or bootstrap.
  const plan = await planCluster(cfg, paths);

  // 1. PKI: CA, serving certificate, tokens.
  const { ca, created } = await loadOrCreateCA(paths.tls);
  if (created) log.info("created cluster CA", { dir: paths.tls });
  const sanOpts = { nodeName: cfg.nodeName, ips: [...new Set([...cfg.nodeIps, cfg.advertiseAddress])], tlsSans: cfg.tlsSans, serviceIPs: [KUBERNETES_SERVICE_IP], ca };
  const serving = await ensureServingCert(paths.tls, sanOpts);
  const secrets = await loadSecrets(paths, ca.certPem, cfg.token);

  // 2. State store: Raft-replicated (a single server is a 1-voter cluster). Until the API
  //    is up, the port serves Raft peers only, so this member can catch up / form a quorum.
  const peerListener = startPeerListener({ hostname: cfg.bindAddress, port: cfg.httpsListenPort, cert: serving.certPem, key: serving.keyPem, caPem: serving.caPem });
  let store: RaftStore;
  try {
    store = await openClusterStore(cfg, paths, plan, secrets.secret, ca.certPem);
    peerListener.attach(store.node.transport);
    await store.waitReady((ms) => log.info("waiting for the raft cluster (a leader and a quorum)", { waitedSeconds: Math.round(ms / 1000) }));
  } catch (e) {
    await peerListener.stop();
    throw e;
  }
  const closers: (() => Promise<void> | void)[] = [() => store.close()];

  // 3. API server.
  const catalog = new Catalog(store);
  const sa = await ServiceAccountTokens.load(paths.tls);
  const authenticator = new Authenticator(store, (t) => sa.verify(t, catalog));
  for (const def of builtinResources({ defaultUnreachableTolerationSeconds: cfg.defaultUnreachableTolerationSeconds, verifyToken: (t) => authenticator.authenticateToken(t) })) catalog.add(def);
  // --- streaming: node tunnels and the pods/log|exec|attach|portforward subresources ---
  const tunnels = new TunnelRegistry();
  closers.push(() => tunnels.closeAll());
  attachSubresources(catalog, sa, { pods: podStreamingSubresources({ tunnels, pods: catalog }) });
  // --- end streaming ---
  const extensions = await installApiExtensions(catalog, store);
  closers.push(() => extensions.stop());

  let ready = false;
  const health: HealthCheck[] = [
    { name: "ping", check: () => true },
    { name: "etcd", check: () => store.node.leader !== 0 || "no raft leader" },
    { name: "poststarthook/bootstrap-controller", check: () => ready || "bootstrapping" },
  ];
  const serverAddress = `${cfg.advertiseAddress}:${cfg.httpsListenPort}`;
  const { app } = createApiApp({
    catalog,
    authenticator,
    serverAddress,
    health,
    openapi: extensions.openapi,
    extraRoutes: (a) => {
      a.get("/cacerts", () => new Response(serving.caPem, { headers: { "Content-Type": "application/x-pem-file" } }));
      mountTunnelRoute(a, { tunnels, authenticate: (r) => authenticator.authenticate(r) }); // streaming
      mountClusterRoutes(a, {
        store,
        clusterId: plan.identity.clusterId,
        secret: () => secrets.secret,
        tlsDir: paths.tls,
        caPem: ca.certPem,
        isAdmin: async (r) => (await authenticator.authenticate(r))?.groups?.includes("system:masters") ?? false,
      });
      mountJoinRoutes(a, { store, secret: () => secrets.secret, servers: () => store.members().map((m) => m.url), authenticate: (r) => authenticator.authenticate(r) });
    },
  });
  let tls: RenewableTlsServer;
  await peerListener.stop();
  try {
    tls = RenewableTlsServer.start({
      hostname: cfg.bindAddress,
      port: cfg.httpsListenPort,
      tls: { cert: serving.certPem, key: serving.keyPem },
      handlers: { fetch: app.fetch, websocket: websocketHandlers, idleTimeout: 0, maxRequestBodySize: 16 * 1024 * 1024 },
    });
  } catch (e) {
    await store.close();
    const err = e as NodeJS.ErrnoException;
    if (err.code === "EADDRINUSE") throw new Error(`invalid --https-listen-port: ${cfg.bindAddress}:${cfg.httpsListenPort} is already in use`);
    throw e;
  }
  // Shutdown: stop accepting, give in-flight requests up to 2 s (watches never finish by
  // themselves), then cut what is left; the store closes after, so accepted writes complete.
  closers.push(async () => {
    await Promise.race([tls.stop(false), Bun.sleep(2000)]);
    await tls.stop(true);
  });
  const renewal: RenewalHandle = startRenewal(paths.tls, { ...sanOpts, onRenew: (c) => tls.reloadTls({ cert: c.certPem, key: c.keyPem }), onError: (e) => log.error("certificate renewal failed", { error: e as Error }) });
  closers.push(() => renewal.stop());
  const port = tls.port;
  const url = `https://127.0.0.1:${port}`;
  log.info("API server listening", { address: `${cfg.bindAddress}:${port}` });

  // 4. Cluster bootstrap objects and the admin credential.
  await putCredential(store, secrets.adminToken, ADMIN_USER);
  await bootstrapCluster(catalog, { advertiseAddress: cfg.advertiseAddress, port, serviceIP: KUBERNETES_SERVICE_IP });
  // Deleting a server's Node removes it from the quorum (and from the `kubernetes` Endpoints).
  const removals = watchNodeRemovals(store, async (m) => {
    const host = new URL(m.url).hostname.replace(/^\[|\]$/g, "");
    if (!store.members().some((x) => new URL(x.url).hostname.replace(/^\[|\]$/g, "") === host)) await removeEndpointAddress(catalog, host);
  });
  closers.push(() => removals.stop());
  await writeKubeconfig(cfg.writeKubeconfig, { server: url, caPem: serving.caPem, token: secrets.adminToken }, cfg.writeKubeconfigMode);
  log.info("wrote kubeconfig", { path: cfg.writeKubeconfig });

  // 5. Control loops and the built-in agent talk to the API in-process, through the same
  //    client and informers as any other component.
  const inProcess = (input: string | URL | Request, init?: RequestInit) => app.fetch(input instanceof Request ? input : new Request(String(input), init));
  const internalClient = (token: string, ua: string) => new KubeClient({ baseUrl: "https://kite.internal", token, fetch: inProcess as never, userAgent: ua });
  const controllerToken = await stableToken(join(paths.server, "cred", "controller.token"));
  await putCredential(store, controllerToken, { username: "system:kube-controller-manager", groups: ["system:masters"] });
  const controllerClient = internalClient(controllerToken, `kite-controller-manager/v${KITE_VERSION}`);
  await seedPriorityClasses(catalog);
  const scheduler = cfg.disableScheduler ? null : schedulerController();
  const manager = new ControllerManager(controllerClient, [...builtinControllers(), ...(scheduler ? [() => scheduler] : [])], {
    leaseName: "kite-controller-manager",
    identity: `${cfg.nodeName}_${crypto.randomUUID().slice(0, 8)}`,
    nodeMonitorGracePeriodSeconds: cfg.nodeMonitorGracePeriod,
    hostName: cfg.nodeName,
    dataDir: cfg.dataDir,
  });
  if (!cfg.disableControllerManager) {
    manager.start();
    closers.push(() => manager.stop());
  }

  if (!cfg.disableAgent) {
    const nodeToken = await stableToken(join(paths.server, "cred", "node.token"));
    await putCredential(store, nodeToken, nodeUser(cfg.nodeName));
    const { startAgent } = await import("../agent/agent.ts");
    const agent = await startAgent({
      client: internalClient(nodeToken, `kite-agent/v${KITE_VERSION}`),
      nodeName: cfg.nodeName,
      nodeIps: cfg.nodeIps,
      labels: { ...cfg.nodeLabels, "node-role.kubernetes.io/control-plane": "true" },
      taints: cfg.nodeTaints,
      dataDir: cfg.dataDir,
      runtime: cfg.containerRuntime,
    });
    closers.push(() => agent.stop());
    // --- streaming: the built-in agent dials every server's tunnel endpoint, like `kite agent` ---
    const agentTunnel = startTunnel({ nodeName: cfg.nodeName, servers: () => store.members().map((m) => m.url), token: nodeToken, caPem: serving.caPem, runtime: () => agent.runtime });
    closers.push(() => agentTunnel.stop());
    // --- end streaming ---
  }
  ready = true;
  // Runs first on shutdown: a leader hands over before its API (and peer port) goes away.
  closers.push(async () => void (await store.transferLeadership()));

  let stopped = false;
  return {
    url,
    port,
    store,
    catalog,
    secrets,
    async stop() {
      if (stopped) return;
      stopped = true;
      ready = false;
      for (const c of closers.reverse()) {
        try {
          await c();
        } catch (e) {
          log.warn("error while stopping", { error: e as Error });
        }
      }
    },
  };
}

/** A token kept in a file (0600) so restarts reuse the same credential. */
async function stableToken(path: string): Promise<string> {
  if (existsSync(path)) return readFileSync(path, "utf8").trim();
  const t = randomBearerToken();
  await writeFileAtomic(path, t + "\n", 0o600);
  return t;
}

async function seedPriorityClasses(catalog: Catalog) {
  const e = catalog.lookupResource("scheduling.k8s.io", "priorityclasses");
  if (!e) return;
  for (const pc of systemPriorityClasses()) {
    try {
      await e.registry.create(undefined, pc, systemContext());
    } catch {
      /* exists */
    }
  }
}

/** The `kite server` command: start, then run until a signal. */
export async function runServer(cfg: ServerConfig): Promise<void> {
  const srv = await startServer(cfg);
  onShutdownSignals(() => srv.stop());
  if (srv.store instanceof RaftStore) {
    srv.store.onRemoved(() => {
      log.warn("this server was removed from the cluster; shutting down (empty its data dir to join again)");
      void srv.stop().finally(() => process.exit(0));
    });
    srv.store.onFatal((err) => {
      log.error("the raft member stopped on a fatal error; exiting", { error: err as Error });
      void srv.stop().finally(() => process.exit(1));
    });
  }
  log.info("kite server is ready", { kubeconfig: cfg.writeKubeconfig, node: cfg.nodeName });
  await new Promise(() => {});
}
