/**
 * @module agent/main
 * `kite agent`: join the cluster (CA pinned by the token), then run the node agent with the
 * node's own credentials, switching between servers when one dies.
 */
import type { AgentConfig } from "../cli/config.ts";
import { logger, setLogLevel } from "../util/log.ts";
import { joinCluster } from "./join.ts";
import { ServerPool } from "../client/failover.ts";
import { KubeClient } from "../client/client.ts";
import { onShutdownSignals } from "../server/signals.ts";
import { startAgent } from "./agent.ts";
import { startTunnel } from "./streaming/index.ts";
import { KITE_VERSION } from "../version.ts";

const log = logger("agent");

export async function runAgentProcess(cfg: AgentConfig): Promise<void> {
  setLogLevel(cfg.debug ? "debug" : "info");
  let creds;
  for (let attempt = 1; ; attempt++) {
    try {
      creds = await joinCluster({ dataDir: cfg.dataDir, server: cfg.server, token: cfg.token, nodeName: cfg.nodeName });
      break;
    } catch (e) {
      const msg = (e as Error).message;
      // A wrong CA hash or a rejected secret will not fix itself: fail fast.
      if (/hash|401|Unauthorized|token/i.test(msg) || attempt >= 30) throw e;
      log.warn("cannot join yet, retrying", { server: cfg.server, error: msg });
      await Bun.sleep(2000);
    }
  }
  const pool = new ServerPool(creds.servers, creds.fetch);
  const client = new KubeClient({ baseUrl: "", token: creds.token, fetch: pool.fetch, userAgent: `kite-agent/v${KITE_VERSION}` });
  const agent = await startAgent({
    client,
    servers: pool,
    nodeName: cfg.nodeName,
    nodeIps: cfg.nodeIps,
    labels: cfg.nodeLabels,
    taints: cfg.nodeTaints,
    dataDir: cfg.dataDir,
    runtime: cfg.containerRuntime,
  });
  // Logs, exec, attach and port-forward reach this node through tunnels it opens to every server.
  const tunnel = startTunnel({ nodeName: cfg.nodeName, servers: () => pool.list(), token: creds.token, caPem: creds.caPem, runtime: () => agent.runtime, locator: agent.locator ?? undefined });
  // Keep the server list current, so the agent can fail over to servers that joined later.
  const refresh = setInterval(() => void refreshServers(pool, creds.token), 30_000);
  onShutdownSignals(async () => {
    clearInterval(refresh);
    await tunnel.stop();
    await agent.stop();
  });
  log.info("kite agent is running", { node: cfg.nodeName, server: pool.url });
  await new Promise(() => {});
}

async function refreshServers(pool: ServerPool, token: string) {
  try {
    const res = await pool.fetch("/kite/v1/servers", { headers: { Authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
    if (!res.ok) return;
    const body = (await res.json()) as { servers?: string[] };
    if (body.servers?.length) pool.update(body.servers);
  } catch (e) {
    log.debug("server list refresh failed", { error: e as Error });
  }
}
