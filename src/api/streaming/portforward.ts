/**
 * @module api/streaming/portforward
 * `pods/portforward`: kubectl speaks SPDY/3.1 (`portforward.k8s.io`) — tunnelled in a
 * WebSocket (`SPDY/3.1+portforward.k8s.io`, kubectl 1.31+) or over a raw upgraded socket
 * (older kubectl, fallback). For each local connection the client opens a pair of SPDY
 * streams sharing a `requestid` (`streamtype: error` and `data`, plus `port`); each pair
 * becomes one `portforward` tunnel stream to the agent, which dials the pod. Failures are
 * written to the error stream as text (kubectl prints them), then both streams finish.
 */
import { ApiError, errors } from "../errors.ts";
import type { SubresourceHandler } from "../registry/types.ts";
import { Channel, type TunnelStream } from "../../tunnel/mux.ts";
import { loadPod, podNode, type PodReader, podRef, requireRunning } from "./pod-target.ts";
import { type ByteTransport, SpdySession, type SpdyStream } from "./spdy/session.ts";
import { InboundGate } from "./inbound-gate.ts";
import type { TunnelRegistry } from "./tunnels.ts";
import { negotiate, offeredProtocols, type RawConnection, streamProtocolVersions, type StreamingUpgradeHandler, upgradeKind } from "./upgrade.ts";
import { SPDY_UNSUPPORTED } from "./exec.ts";
import { wsBytePipe } from "./ws-bytes.ts";

export const PORT_FORWARD_PROTOCOL = "portforward.k8s.io";
export const WS_SPDY_PORT_FORWARD = "SPDY/3.1+portforward.k8s.io";

interface Pair {
  error?: SpdyStream;
  data?: SpdyStream;
}

/** Serves one SPDY port-forward connection; `open(port)` opens a tunnel stream to the pod's port. */
export function spdyPortForwardConnection(open: (port: number) => Promise<TunnelStream>, transport: ByteTransport): RawConnection {
  const pairs = new Map<string, Pair>();
  const live = new Set<TunnelStream>();
  // One socket carries every forwarded connection: uploads waiting for their tunnels pause it.
  const gate = new InboundGate(
    () => transport.pauseInput?.(),
    () => transport.resumeInput?.(),
  );
  const session = new SpdySession(transport, {
    onStream(s) {
      const type = s.header("streamtype");
      const id = s.header("requestid") ?? s.header("port") ?? "";
      if (type !== "error" && type !== "data") {
        s.reset();
        return;
      }
      const p = pairs.get(id) ?? {};
      if (p[type]) {
        s.reset();
        return;
      }
      p[type] = s;
      pairs.set(id, p);
      if (p.error && p.data) {
        pairs.delete(id);
        void forward(p.error, p.data);
      }
    },
    onClose() {
      for (const t of live) t.reset("the client closed the port-forward connection");
    },
  });

  async function forward(errorStream: SpdyStream, data: SpdyStream) {
    const fail = (message: string) => {
      errorStream.write(new TextEncoder().encode(message));
      data.end();
      errorStream.end();
    };
    const portText = data.header("port") ?? "";
    const port = Number(portText);
    if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
      fail(`invalid port: ${JSON.stringify(portText)}`);
      return;
    }
    // Data from the client can arrive before the agent answered: keep it in order.
    let chain: Promise<TunnelStream | null> = open(port).catch((e) => {
      fail((e as Error).message);
      return null;
    });
    data.setHandlers({
      data(b) {
        gate.add(b.length);
        chain = chain.then(async (t) => {
          if (t) await t.write(Channel.STDIN, b).catch(() => {});
          gate.done(b.length);
          return t;
        });
      },
      end() {
        chain = chain.then((t) => {
          t?.end(Channel.STDIN);
          return t;
        });
      },
      reset() {
        void chain.then((t) => t?.reset("the client reset the data stream"));
      },
    });
    const t = await chain;
    if (!t) return;
    live.add(t);
    t.setHandlers({
      data(ch, b) {
        if (ch !== Channel.STDOUT) {
          t.consumed(b.length);
          return;
        }
        data.write(b);
        const room = session.waitForRoom();
        if (room) void room.then(() => t.consumed(b.length));
        else t.consumed(b.length);
      },
      eof(ch) {
        if (ch === Channel.STDOUT) data.end();
      },
      exit(e) {
        live.delete(t);
        if (e.error) errorStream.write(new TextEncoder().encode(e.error.message));
        data.end();
        errorStream.end();
      },
      reset(reason) {
        live.delete(t);
        if (!session.isClosed) fail(`error forwarding port ${port}: ${reason}`);
      },
    });
  }

  return {
    receive: (b) => session.receive(b),
    drained: () => session.drained(),
    closed: (reason) => session.transportClosed(reason),
  };
}

export function portForwardSubresource(deps: { tunnels: TunnelRegistry; pods: PodReader }): SubresourceHandler {
  return {
    verbs: ["create", "get"],
    async handle({ request, namespace, name, upgrade }) {
      const pod = await loadPod(deps.pods, namespace, name);
      requireRunning(pod);
      const node = podNode(pod);
      const up = upgradeKind(request.headers);
      if (!up) throw errors.badRequest("Upgrade request required");
      if (up === "websocket" && !offeredProtocols(request.headers).includes(WS_SPDY_PORT_FORWARD)) {
        throw new ApiError(403, "Forbidden", `unable to upgrade: unable to negotiate protocol: client supports [${offeredProtocols(request.headers).join(" ")}], server supports [${WS_SPDY_PORT_FORWARD}]`);
      }
      if (up === "spdy" && !negotiate(streamProtocolVersions(request.headers), [PORT_FORWARD_PROTOCOL])) {
        throw new ApiError(403, "Forbidden", `unable to upgrade: unable to negotiate protocol: client supports [${streamProtocolVersions(request.headers).join(" ")}], server supports [${PORT_FORWARD_PROTOCOL}]`);
      }
      if (!deps.tunnels.get(node)) throw new ApiError(503, "ServiceUnavailable", `error dialing backend: the agent of node "${node}" is not connected to this server`);
      if (!upgrade) throw errors.internal("this listener cannot upgrade connections");
      const ref = podRef(pod);
      const podIP: string = pod.status?.podIP ?? "";
      const hostNetwork = pod.spec?.hostNetwork === true;
      const open = (port: number) => deps.tunnels.open(node, { kind: "portforward", pod: ref, port, podIP, hostNetwork });
      const start = (t: ByteTransport) => spdyPortForwardConnection(open, t);
      const handler: StreamingUpgradeHandler =
        up === "websocket" ? wsBytePipe(start) : { raw: { headers: { Connection: "Upgrade", Upgrade: "SPDY/3.1", "X-Stream-Protocol-Version": PORT_FORWARD_PROTOCOL }, start } };
      const res = upgrade({ handler }, up === "websocket" ? [WS_SPDY_PORT_FORWARD] : []);
      if (!res) throw errors.badRequest(up === "spdy" ? SPDY_UNSUPPORTED : "WebSocket upgrade failed");
      return res;
    },
  };
}
