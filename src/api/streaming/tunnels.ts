/**
 * @module api/streaming/tunnels
 * The node tunnels connected to THIS server, by node name, and opening a stream on one
 * with API errors kubectl understands. Each agent keeps a tunnel to every server (see
 * agent/streaming), so a server only ever needs its own registry. A newer tunnel from
 * the same node replaces the older one (an agent that restarted, or reconnected before
 * the old connection timed out).
 */
import { ApiError } from "../errors.ts";
import { logger } from "../../util/log.ts";
import { type MuxOptions, OpenTimeoutError, StreamRejectedError, TunnelClosedError, TunnelMux, type TunnelStream } from "../../tunnel/mux.ts";
import { memoryTransportPair } from "../../tunnel/transport.ts";
import type { StreamRequest } from "../../tunnel/types.ts";

const log = logger("tunnels");

export class TunnelRegistry {
  private readonly byNode = new Map<string, TunnelMux>();

  /** Registers the tunnel of `node`, closing the one it replaces. */
  register(node: string, mux: TunnelMux): void {
    const old = this.byNode.get(node);
    this.byNode.set(node, mux);
    if (old && old !== mux) old.close("replaced by a newer tunnel from the same node", 4000);
    log.info("node tunnel registered", { node });
  }

  /** Forgets `mux` if it is still the node's current tunnel. */
  unregister(node: string, mux: TunnelMux): void {
    if (this.byNode.get(node) === mux) {
      this.byNode.delete(node);
      log.info("node tunnel gone", { node, reason: mux.closeReason ?? "" });
    }
  }

  get(node: string): TunnelMux | undefined {
    const m = this.byNode.get(node);
    return m && !m.isClosed ? m : undefined;
  }

  /** Nodes with a live tunnel to this server. */
  nodes(): string[] {
    return [...this.byNode.entries()].filter(([, m]) => !m.isClosed).map(([n]) => n);
  }

  /**
   * Opens a stream to the agent of `node`. Fails with an ApiError: 503 when the node has
   * no tunnel here, the agent's own Status when it refused, 504 when it did not answer.
   */
  async open(node: string, req: StreamRequest): Promise<TunnelStream> {
    const mux = this.get(node);
    if (!mux) throw new ApiError(503, "ServiceUnavailable", `error dialing backend: the agent of node "${node}" is not connected to this server`);
    try {
      return await mux.open(req);
    } catch (e) {
      if (e instanceof StreamRejectedError) throw new ApiError(e.status.code, e.status.reason, e.status.message);
      if (e instanceof OpenTimeoutError) throw new ApiError(504, "Timeout", `error dialing backend: ${e.message}`);
      if (e instanceof TunnelClosedError) throw new ApiError(503, "ServiceUnavailable", `error dialing backend: ${e.message}`);
      throw e;
    }
  }

  /**
   * An in-process tunnel for an agent running inside this server: returns the agent's
   * end (a mux that receives streams through `onStream`). close() ends both ends.
   */
  connectLocal(node: string, onStream: (s: TunnelStream) => void, opts: Partial<MuxOptions> = {}): { agent: TunnelMux; close(): void } {
    const pair = memoryTransportPair();
    const server: TunnelMux = new TunnelMux(pair.a, { pingIntervalMs: 0, ...opts, role: "server", onClose: () => this.unregister(node, server) });
    const agent = new TunnelMux(pair.b, { pingIntervalMs: 0, ...opts, role: "agent", onStream });
    pair.connect(server, agent);
    this.register(node, server);
    return { agent, close: () => server.close("local agent stopped") };
  }

  closeAll(reason = "server stopping"): void {
    for (const m of this.byNode.values()) m.close(reason, 1001);
    this.byNode.clear();
  }
}
