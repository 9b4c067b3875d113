/**
 * @module api/streaming/exec
 * `pods/exec` and `pods/attach`: checks the options and the pod (upstream's wording),
 * opens the stream on the node's tunnel BEFORE upgrading — so a refusal (no agent,
 * container gone) is a plain Status response, which kubectl prints — and then upgrades to
 * the WebSocket channel protocol (v5…v1) or, for SPDY/3.1 requests, hands the connection
 * to a raw-socket listener if the server has one.
 */
import { ApiError, errors } from "../errors.ts";
import type { SubresourceHandler } from "../registry/types.ts";
import type { StreamRequest } from "../../tunnel/types.ts";
import { chooseContainer, loadPod, podNode, type PodReader, podRef, runningContainerId } from "./pod-target.ts";
import { type CommandKind, parseCommandOptions, SPDY_CHANNEL_PROTOCOLS, WS_CHANNEL_PROTOCOLS } from "./remotecommand.ts";
import { spdyCommandConnection } from "./spdy-command.ts";
import type { TunnelRegistry } from "./tunnels.ts";
import { negotiate, offeredProtocols, streamProtocolVersions, type StreamingUpgradeHandler, upgradeKind } from "./upgrade.ts";
import { wsCommandHandler } from "./ws-channels.ts";

export const SPDY_UNSUPPORTED =
  "SPDY/3.1 upgrades are not served on this listener: use kubectl 1.30 or newer for exec, attach and cp (WebSocket) and 1.31 or newer for port-forward, or set KUBECTL_REMOTE_COMMAND_WEBSOCKETS=true (kubectl 1.29) / KUBECTL_PORT_FORWARD_WEBSOCKETS=true (kubectl 1.30)";

export function commandSubresource(kind: CommandKind, deps: { tunnels: TunnelRegistry; pods: PodReader }): SubresourceHandler {
  return {
    verbs: ["create", "get"],
    async handle({ request, namespace, name, url, upgrade }) {
      const o = parseCommandOptions(url.searchParams, kind);
      const pod = await loadPod(deps.pods, namespace, name);
      const container = chooseContainer(pod, o.container);
      const containerId = runningContainerId(pod, container, kind);
      const node = podNode(pod);
      const up = upgradeKind(request.headers);
      if (!up) throw errors.badRequest("Upgrade request required");
      const protocol = up === "websocket" ? negotiate(offeredProtocols(request.headers), WS_CHANNEL_PROTOCOLS) : negotiate(streamProtocolVersions(request.headers), SPDY_CHANNEL_PROTOCOLS);
      if (!protocol) {
        const offered = up === "websocket" ? offeredProtocols(request.headers) : streamProtocolVersions(request.headers);
        const ours = up === "websocket" ? WS_CHANNEL_PROTOCOLS : SPDY_CHANNEL_PROTOCOLS;
        throw new ApiError(403, "Forbidden", `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(" ")}], server supports [${ours.join(" ")}]`);
      }
      if (!upgrade) throw errors.internal("this listener cannot upgrade connections");
      const req: StreamRequest = { kind, pod: podRef(pod), container, exec: { command: o.command, stdin: o.stdin, stdout: o.stdout, stderr: o.stderr, tty: o.tty } };
      if (containerId) req.containerId = containerId;
      const stream = await deps.tunnels.open(node, req);
      let handler: StreamingUpgradeHandler;
      if (up === "websocket") handler = wsCommandHandler(stream, { protocol, kind, command: o.command });
      else {
        handler = {
          raw: {
            headers: { Connection: "Upgrade", Upgrade: "SPDY/3.1", "X-Stream-Protocol-Version": protocol },
            start: (t) => spdyCommandConnection(stream, { protocol, kind, command: o.command, stdin: o.stdin, stdout: o.stdout, stderr: o.stderr, tty: o.tty }, t),
          },
        };
      }
      const res = upgrade({ handler }, up === "websocket" ? [protocol] : []);
      if (!res) {
        stream.reset("the connection could not be upgraded");
        throw errors.badRequest(up === "spdy" ? SPDY_UNSUPPORTED : "WebSocket upgrade failed");
      }
      return res;
    },
  };
}
