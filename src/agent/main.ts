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
  onShutdownSignals(() => agent.stop());
  log.info("kite agent is running", { node: cfg.nodeName, server: pool.url });
  await new Promise(() => {});
}
