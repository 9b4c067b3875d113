/**
 * @module api/streaming
 * The streaming pod subresources — log, exec, attach, portforward — served by relaying to
 * the node agent over its tunnel, plus the tunnel endpoint agents connect to.
 *
 * Wiring (server): one TunnelRegistry per server;
 *   attachSubresources(catalog, sa, { pods: podStreamingSubresources({ tunnels, pods: catalog }) })
 *   extraRoutes: (a) => mountTunnelRoute(a, { tunnels, authenticate: (r) => authenticator.authenticate(r) })
 */
import type { SubresourceHandler } from "../registry/types.ts";
import { commandSubresource } from "./exec.ts";
import { logSubresource } from "./log.ts";
import type { PodReader } from "./pod-target.ts";
import { portForwardSubresource } from "./portforward.ts";
import type { TunnelRegistry } from "./tunnels.ts";

export { TunnelRegistry } from "./tunnels.ts";
export { mountTunnelRoute, type TunnelRouteDeps } from "./tunnel-route.ts";
export type { RawConnection, RawUpgradeHandler, StreamingUpgradeHandler } from "./upgrade.ts";

export interface StreamingDeps {
  tunnels: TunnelRegistry;
  /** Reads pods (the Catalog satisfies it). */
  pods: PodReader;
}

export function podStreamingSubresources(deps: StreamingDeps): Record<string, SubresourceHandler> {
  return {
    log: logSubresource(deps),
    exec: commandSubresource("exec", deps),
    attach: commandSubresource("attach", deps),
    portforward: portForwardSubresource(deps),
  };
}
