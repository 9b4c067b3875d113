/**
 * @module api/streaming/log
 * `GET /api/v1/namespaces/{ns}/pods/{name}/log`: validates PodLogOptions like upstream,
 * picks the container instance, opens a `log` stream on the node's tunnel and answers
 * `200 text/plain` with the bytes as they come (chunked; with follow=true the body stays
 * open until the container stops or the client leaves). The response body pulls from the
 * tunnel, granting window credit only for bytes the client has taken.
 */
import { errors, field, type StatusCause } from "../errors.ts";
import { parseBool, parseInt64 } from "./params.ts";
import type { SubresourceHandler } from "../registry/types.ts";
import { Channel } from "../../tunnel/mux.ts";
import type { LogParams, StreamRequest } from "../../tunnel/types.ts";
import { chooseContainer, loadPod, logContainerId, podNode, type PodReader, podRef } from "./pod-target.ts";
import type { TunnelRegistry } from "./tunnels.ts";

export interface ParsedLogOptions {
  container: string | null;
  params: LogParams;
}

/** PodLogOptions from the query, validated like upstream (ValidatePodLogOptions). */
export function parseLogOptions(q: URLSearchParams, podName: string, now = Date.now()): ParsedLogOptions {
  const tailLines = parseInt64(q.get("tailLines"), "tailLines");
  const limitBytes = parseInt64(q.get("limitBytes"), "limitBytes");
  const sinceSeconds = parseInt64(q.get("sinceSeconds"), "sinceSeconds");
  const sinceTimeRaw = q.get("sinceTime");
  const causes: StatusCause[] = [];
  if (tailLines !== undefined && tailLines < 0) causes.push(field.invalid("tailLines", tailLines, "must be greater than or equal to 0"));
  if (limitBytes !== undefined && limitBytes < 1) causes.push(field.invalid("limitBytes", limitBytes, "must be greater than 0"));
  if (sinceSeconds !== undefined && sinceSeconds < 1) causes.push(field.invalid("sinceSeconds", sinceSeconds, "must be greater than 0"));
  if (sinceSeconds !== undefined && sinceTimeRaw) causes.push(field.forbidden("", "at most one of `sinceTime` or `sinceSeconds` may be specified"));
  let sinceTime: string | undefined;
  if (sinceTimeRaw) {
    const t = Date.parse(sinceTimeRaw);
    if (Number.isNaN(t)) throw errors.badRequest(`invalid sinceTime ${JSON.stringify(sinceTimeRaw)}: must be an RFC 3339 time`);
    sinceTime = new Date(t).toISOString();
  }
  if (causes.length) throw errors.invalid("PodLogOptions", "", podName, causes);
  if (sinceSeconds !== undefined) sinceTime = new Date(now - sinceSeconds * 1000).toISOString();
  const params: LogParams = {
    follow: parseBool(q.get("follow"), "follow") ?? false,
    previous: parseBool(q.get("previous"), "previous") ?? false,
    timestamps: parseBool(q.get("timestamps"), "timestamps") ?? false,
  };
  if (tailLines !== undefined) params.tailLines = tailLines;
  if (limitBytes !== undefined) params.limitBytes = limitBytes;
  if (sinceTime) params.sinceTime = sinceTime;
  return { container: q.get("container"), params };
}

export function logSubresource(deps: { tunnels: TunnelRegistry; pods: PodReader }): SubresourceHandler {
  return {
    verbs: ["get"],
    async handle({ namespace, name, url, method }) {
      if (method !== "GET" && method !== "HEAD") throw errors.methodNotAllowed();
      const opts = parseLogOptions(url.searchParams, name);
      const pod = await loadPod(deps.pods, namespace, name);
      const container = chooseContainer(pod, opts.container);
      const containerId = logContainerId(pod, container, !!opts.params.previous);
      const node = podNode(pod);
      if (method === "HEAD") return new Response(null, { headers: { "Content-Type": "text/plain" } });
      const req: StreamRequest = { kind: "log", pod: podRef(pod), container, log: opts.params };
      if (containerId) req.containerId = containerId;
      const stream = await deps.tunnels.open(node, req);

      const queue: Uint8Array[] = [];
      let over = false;
      let wake: (() => void) | null = null;
      const poke = () => {
        const w = wake;
        wake = null;
        w?.();
      };
      stream.setHandlers({
        data(ch, b) {
          if (ch === Channel.STDOUT) queue.push(b);
          else stream.consumed(b.length);
          poke();
        },
        exit() {
          over = true;
          poke();
        },
        reset() {
          over = true;
          poke();
        },
      });
      const body = new ReadableStream<Uint8Array>(
        {
          async pull(ctrl) {
            while (!queue.length && !over) await new Promise<void>((r) => (wake = r));
            const b = queue.shift();
            if (b) {
              ctrl.enqueue(b);
              stream.consumed(b.length);
            } else ctrl.close();
          },
          cancel() {
            stream.reset("the client closed the log stream");
          },
        },
        { highWaterMark: 0 },
      );
      return new Response(body, { headers: { "Content-Type": "text/plain", "Cache-Control": "no-cache, private", "X-Content-Type-Options": "nosniff" } });
    },
  };
}

