/**
 * @module agent/node
 * Registers this node's Node object (create, or on a restart update the labels the
 * agent owns) and keeps its status current: computed every `intervalMs` against the
 * stored Node and written when something besides heartbeat times changed, or at
 * least once a minute. A deleted Node is registered again.
 */
import { isAlreadyExists, isNotFound, type KObj, type KubeClient } from "../client/client.ts";
import { R } from "../client/resources.ts";
import { logger } from "../util/log.ts";
import { hostFacts, pressure } from "./host-info.ts";
import { mergePatch } from "./merge-diff.ts";
import { initialNode, meaningfulChange, type NodeConfig, nodeLabels, nodeStatus, type RuntimeHealth } from "./node-status.ts";

const log = logger("agent/node");

export interface NodeManagerOptions {
  cfg: NodeConfig;
  dataDir: string;
  health(): RuntimeHealth;
  intervalMs?: number;
  /** Longest time between two status writes. */
  reportMs?: number;
}

export class NodeManager {
  node: KObj | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  private lastWrite = 0;
  private allocatableCache: Record<string, string> = {};

  constructor(
    private readonly client: KubeClient,
    private readonly opts: NodeManagerOptions,
  ) {}

  get uid(): string | undefined {
    return this.node?.metadata?.uid;
  }

  allocatable(): Record<string, string> {
    return this.allocatableCache;
  }

  private status(current?: KObj): KObj {
    const host = hostFacts(this.opts.dataDir);
    const st = nodeStatus({ cfg: this.opts.cfg, host, pressure: pressure(this.opts.dataDir), health: this.opts.health(), current, now: new Date() });
    this.allocatableCache = st.allocatable;
    return st;
  }

  /** Creates the Node, or brings an existing one's labels and status up to date. */
  async register(): Promise<void> {
    const arch = hostFacts(this.opts.dataDir).architecture;
    const name = this.opts.cfg.nodeName;
    try {
      this.node = await this.client.create(R.nodes, undefined, initialNode(this.opts.cfg, this.status(), arch));
      this.lastWrite = Date.now();
      log.info("registered node", { node: name });
      return;
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
    const existing = await this.client.get(R.nodes, undefined, name);
    const want = nodeLabels(this.opts.cfg, arch);
    const labelPatch = mergePatch(existing.metadata?.labels ?? {}, { ...(existing.metadata?.labels ?? {}), ...want });
    this.node = labelPatch ? await this.client.patch(R.nodes, undefined, name, { metadata: { labels: labelPatch } }) : existing;
    await this.writeStatus(true);
    log.info("node already registered, updated it", { node: name });
  }

  start(): void {
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule() {
    if (this.stopped) return;
    this.timer = setTimeout(async () => {
      await this.writeStatus(false).catch((e) => log.warn("node status update failed", { error: e as Error }));
      this.schedule();
    }, this.opts.intervalMs ?? 10_000);
  }

  /** Writes the status when it changed (or when `force`, or once per report period). */
  async writeStatus(force: boolean): Promise<void> {
    if (!this.node) {
      await this.register();
      return;
    }
    // Read the stored Node first: others (the node lifecycle controller) write its conditions too.
    const fresh = await this.client.getOrNull(R.nodes, undefined, this.opts.cfg.nodeName);
    if (!fresh) {
      this.node = null;
      await this.register();
      return;
    }
    this.node = fresh;
    const current = this.node.status ?? {};
    const next = this.status(current);
    const due = Date.now() - this.lastWrite >= (this.opts.reportMs ?? 60_000);
    if (!force && !due && !meaningfulChange(current, next)) return;
    const patch = mergePatch(current, next);
    if (!patch) return;
    try {
      this.node = await this.client.patch(R.nodes, undefined, this.opts.cfg.nodeName, { status: patch }, "merge", { subresource: "status" });
      this.lastWrite = Date.now();
    } catch (e) {
      if (isNotFound(e)) {
        // The Node was deleted (kubectl delete node): register again, like the kubelet.
        this.node = null;
        await this.register();
        return;
      }
      throw e;
    }
  }
}
