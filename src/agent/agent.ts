/**
 * @module agent/agent
 * The node agent (kite's kubelet): registers the Node, heartbeats, and runs the pods bound
 * to it through the podman or docker CLI.
 */
import type { KubeClient } from "../client/client.ts";
import type { ServerPool } from "../client/failover.ts";

export interface AgentOptions {
  client: KubeClient;
  /** Server pool (agents started by `kite agent`); absent for the agent inside `kite server`. */
  servers?: ServerPool;
  nodeName: string;
  nodeIps: string[];
  labels: Record<string, string>;
  taints: { key: string; value?: string; effect: string }[];
  dataDir: string;
  runtime?: "podman" | "docker";
}

export interface RunningAgent {
  stop(): Promise<void>;
}

export async function startAgent(_opts: AgentOptions): Promise<RunningAgent> {
  throw new Error("the node agent is not built yet");
}
