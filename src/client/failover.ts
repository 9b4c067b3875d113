/**
 * @module client/failover
 * A fetch that spreads over several API servers: requests go to the current server; a
 * connection failure (not an HTTP error) moves to the next one and retries, so agents
 * ride through a server's death. The server list is refreshed from the cluster.
 */
import type { FetchFn } from "./client.ts";
import { logger } from "../util/log.ts";

const log = logger("failover");

export class ServerPool {
  private servers: string[];
  private current = 0;

  constructor(servers: string[], private readonly inner: FetchFn) {
    if (!servers.length) throw new Error("ServerPool needs at least one server");
    this.servers = [...new Set(servers)];
  }

  get url(): string {
    return this.servers[this.current]!;
  }

  list(): string[] {
    return [...this.servers];
  }

  /** Replace the list, keeping the current server when it is still listed. */
  update(servers: string[]) {
    if (!servers.length) return;
    const cur = this.url;
    this.servers = [...new Set(servers)];
    const i = this.servers.indexOf(cur);
    this.current = i >= 0 ? i : 0;
  }

  private rotate(failed: string) {
    if (this.url !== failed) return;
    this.current = (this.current + 1) % this.servers.length;
    log.warn("server unreachable, switching", { from: failed, to: this.url });
  }

  /** A fetch for KubeClient: `input` is a path or a full URL on the current server. */
  readonly fetch: FetchFn = async (input, init) => {
    let path = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    for (const s of this.servers) if (path.startsWith(s)) path = path.slice(s.length);
    let lastErr: unknown;
    for (let attempt = 0; attempt < this.servers.length * 2; attempt++) {
      const base = this.url;
      try {
        return await this.inner(base + path, init);
      } catch (e) {
        lastErr = e;
        if ((init?.signal as AbortSignal | undefined)?.aborted) throw e;
        this.rotate(base);
        if (attempt >= this.servers.length - 1) await Bun.sleep(250);
      }
    }
    throw lastErr;
  };
}
