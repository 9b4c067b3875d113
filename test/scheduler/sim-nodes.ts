/**
 * @module test/scheduler/sim-nodes
 * Simulated nodes for scheduler tests and bench:schedule: Node objects as an agent would
 * register them (Ready condition, capacity/allocatable, hostname and zone labels) and
 * their heartbeats — Lease renewals in kube-node-lease, which kite's node lifecycle
 * controller watches — without any containers. Also a KubeClient for a test server.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { KubeApiError, KubeClient, isAlreadyExists, type KObj } from "../../src/client/client.ts";
import { R } from "../../src/client/resources.ts";
import { adminToken, type KiteServer } from "../lib/kite.ts";

export const NODE_LEASE_NAMESPACE = "kube-node-lease";

/** An admin KubeClient over HTTPS, verifying the cluster CA. */
export function adminClient(server: KiteServer, timeoutMs = 60_000): KubeClient {
  const ca = readFileSync(join(server.dataDir, "server", "tls", "ca.crt"), "utf8");
  return new KubeClient({
    baseUrl: server.url,
    token: adminToken(server),
    timeoutMs,
    fetch: (input, init) => fetch(input, { ...init, tls: { ca } } as RequestInit),
  });
}

export interface SimNodeSpec {
  cpu?: string;
  memory?: string;
  pods?: string;
  zone?: string;
  labels?: Record<string, string>;
  taints?: KObj[];
  /** Ready condition status (default "True"). */
  ready?: "True" | "False" | "Unknown";
}

export function simNode(name: string, s: SimNodeSpec = {}): KObj {
  const capacity = { cpu: s.cpu ?? "4", memory: s.memory ?? "8Gi", pods: s.pods ?? "110", "ephemeral-storage": "50Gi" };
  const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      labels: {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        ...(s.zone ? { "topology.kubernetes.io/zone": s.zone } : {}),
        ...(s.labels ?? {}),
      },
    },
    spec: s.taints ? { taints: s.taints } : {},
    status: {
      capacity,
      allocatable: capacity,
      conditions: [{ type: "Ready", status: s.ready ?? "True", reason: "KubeletReady", message: "simulated", lastHeartbeatTime: now, lastTransitionTime: now }],
      addresses: [{ type: "InternalIP", address: "127.0.0.1" }, { type: "Hostname", address: name }],
      nodeInfo: { kubeletVersion: "v1.32.0-sim", containerRuntimeVersion: "sim://0", osImage: "simulated", kernelVersion: "0", operatingSystem: "linux", architecture: "amd64" },
    },
  };
}

function leaseOf(name: string): KObj {
  const now = new Date().toISOString().replace("Z", "000Z");
  return { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name, namespace: NODE_LEASE_NAMESPACE }, spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: now } };
}

/** Run `fn` over items with `concurrency` workers. */
export async function pool<T>(items: readonly T[], concurrency: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    }),
  );
}

/** Create, tolerating AlreadyExists; connection failures (the server resets some under load) are retried. */
async function createOnce(client: KubeClient, r: (typeof R)[keyof typeof R], ns: string | undefined, obj: KObj): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await client.create(r, ns, obj);
      return;
    } catch (e) {
      if (isAlreadyExists(e)) return;
      if (e instanceof KubeApiError || attempt >= 4) throw e;
      await Bun.sleep(100 * (attempt + 1));
    }
  }
}

/** Create the nodes (and their first heartbeat). */
export async function registerNodes(client: KubeClient, nodes: KObj[], concurrency = 16): Promise<void> {
  await pool(nodes, concurrency, async (n) => {
    await createOnce(client, R.nodes, undefined, n);
    await createOnce(client, R.leases, NODE_LEASE_NAMESPACE, leaseOf(n.metadata.name));
  });
}

/** Renews every node's Lease, spread evenly over `intervalMs` (kubelet: 10 s for a 40 s lease). */
export class Heartbeats {
  private timer?: ReturnType<typeof setInterval>;
  private i = 0;
  renewals = 0;
  failures = 0;
  lastError = "";

  constructor(
    private readonly client: KubeClient,
    private readonly names: string[],
    private readonly intervalMs = 10_000,
  ) {}

  start() {
    const tickMs = 100;
    const perTick = Math.max(1, Math.ceil((this.names.length * tickMs) / this.intervalMs));
    this.timer = setInterval(() => {
      for (let k = 0; k < perTick && this.names.length; k++) {
        const name = this.names[this.i++ % this.names.length]!;
        const renewTime = new Date().toISOString().replace("Z", "000Z");
        this.client
          .patch(R.leases, NODE_LEASE_NAMESPACE, name, { spec: { renewTime } })
          .then(() => this.renewals++)
          .catch((e: Error) => {
            this.failures++;
            this.lastError = e.message;
          });
      }
    }, tickMs);
  }

  stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** The controller manager's Lease: holding it (as someone else) stops the server's controllers and scheduler. */
export const CONTROLLER_LEASE = { namespace: "kube-system", name: "kite-controller-manager" };

/** Set the controller manager Lease's holder: a name holds it for an hour, null releases it at once. */
export async function setControllerLeaseHolder(client: KubeClient, holder: string | null): Promise<void> {
  for (;;) {
    const lease = await client.get(R.leases, CONTROLLER_LEASE.namespace, CONTROLLER_LEASE.name);
    const renewTime = new Date().toISOString().replace("Z", "000Z");
    lease.spec = { ...lease.spec, holderIdentity: holder, leaseDurationSeconds: holder ? 3600 : 1, renewTime };
    try {
      await client.update(R.leases, CONTROLLER_LEASE.namespace, lease);
      return;
    } catch (e) {
      if ((e as { code?: number }).code !== 409) throw e;
    }
  }
}
