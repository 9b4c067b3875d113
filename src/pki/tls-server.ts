/**
 * @module pki/tls-server
 * An HTTPS Bun.serve listener whose certificate can be replaced while it runs.
 *
 * Bun 1.4.5's `server.reload({tls})` keeps serving the old certificate (only
 * handlers are swapped; checked on Bun 1.4.5), so a renewal starts a
 * second listener with SO_REUSEPORT on the same address and then stops the old
 * one gracefully: new connections get the new certificate, requests in flight
 * on old connections finish, no connection is refused.
 *
 * SO_REUSEPORT would also let a second kite process bind the same port
 * silently, so `start` first probes the address without it and fails with
 * EADDRINUSE if anything else listens there.
 */

import type { Server } from "bun";
import { InvalidOptionError } from "./errors.ts";

export interface TlsPair {
  cert: string;
  key: string;
}

/** Everything Bun.serve takes except where to listen and TLS (fetch, routes, websocket, error...). */
export type ServeHandlers = Record<string, unknown> & { fetch?: unknown; routes?: unknown };

export interface RenewableTlsOptions {
  hostname: string;
  /** 0 picks a free port. */
  port: number;
  tls: TlsPair & Record<string, unknown>;
  handlers: ServeHandlers;
}

function probeFree(hostname: string, port: number): void {
  // Throws EADDRINUSE when any socket (with or without SO_REUSEPORT) holds the address.
  const probe = Bun.listen({ hostname, port, socket: { data() {} } });
  probe.stop(true);
}

export class RenewableTlsServer {
  private current: Server<unknown>;
  private tls: TlsPair & Record<string, unknown>;
  /** Replaced listeners still finishing requests on their open connections. */
  private readonly draining = new Set<Server<unknown>>();

  private constructor(
    private readonly opts: RenewableTlsOptions,
    first: Server<unknown>,
  ) {
    this.current = first;
    this.tls = opts.tls;
  }

  static start(opts: RenewableTlsOptions): RenewableTlsServer {
    if (!opts.tls?.cert || !opts.tls?.key) throw new InvalidOptionError("RenewableTlsServer needs tls.cert and tls.key");
    if (opts.port !== 0) probeFree(opts.hostname, opts.port);
    const server = RenewableTlsServer.listen(opts, opts.port, opts.tls);
    return new RenewableTlsServer(opts, server);
  }

  private static listen(opts: RenewableTlsOptions, port: number, tls: Record<string, unknown>): Server<unknown> {
    return Bun.serve({ ...opts.handlers, hostname: opts.hostname, port, reusePort: true, tls } as Parameters<typeof Bun.serve>[0]);
  }

  /** The listener that accepts new connections now. */
  get server(): Server<unknown> {
    return this.current;
  }

  get port(): number {
    return this.current.port!;
  }

  /**
   * Starts serving with a new certificate. New connections get it at once;
   * the old listener stops accepting and closes after its requests finish.
   */
  reloadTls(pair: TlsPair): void {
    const tls = { ...this.tls, cert: pair.cert, key: pair.key };
    const next = RenewableTlsServer.listen(this.opts, this.current.port!, tls);
    const old = this.current;
    this.current = next;
    this.tls = tls;
    this.draining.add(old);
    old
      .stop(false)
      .catch(() => {})
      .finally(() => this.draining.delete(old));
  }

  /** Stops listening; with `closeActive` also cuts open connections. */
  async stop(closeActive = false): Promise<void> {
    await Promise.all([this.current, ...this.draining].map((s) => s.stop(closeActive)));
  }
}
